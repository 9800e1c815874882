//! The `inspect` binary: parse the command line, run it, map errors to exit statuses.

use clap::Parser;

fn main() {
    let cli = inspect::cli::Cli::parse_from(inspect::cli::habits(std::env::args_os()));
    let result = inspect::config::Config::new(cli).and_then(inspect::command::run);
    match result {
        // Left to the kernel, which frees them at exit faster than dropping them.
        Ok(leftovers) => std::mem::forget(leftovers),
        Err(e) => {
            let code = e.exit_code();
            if code != 0 {
                eprintln!("inspect: {e}");
            }
            std::process::exit(code);
        }
    }
}
