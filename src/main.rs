//! The `inspect` binary: parse the command line, run it, map errors to exit statuses.

use clap::Parser;

fn main() {
    let cli = inspect::cli::Cli::parse();
    if let Err(e) = inspect::run::run(cli) {
        let code = e.exit_code();
        if code != 0 {
            eprintln!("inspect: {e}");
        }
        std::process::exit(code);
    }
}
