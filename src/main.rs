//! The `inspect` binary: parse the command line, run it, map errors to exit statuses.

use clap::Parser;

fn main() {
    let cli = inspect::cli::Cli::parse();
    match inspect::run::run(cli) {
        // Left to the kernel, which frees them at exit faster than dropping them (see `Tables`).
        Ok(tables) => std::mem::forget(tables),
        Err(e) => {
            let code = e.exit_code();
            if code != 0 {
                eprintln!("inspect: {e}");
            }
            std::process::exit(code);
        }
    }
}
