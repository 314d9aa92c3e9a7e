//! The `strata` binary: parse flags, run, exit with the code `strata::Error::exit_code` chose.

use clap::Parser;

fn main() {
    let cli = strata::cli::Cli::parse();
    std::process::exit(strata::cli::run(cli));
}
