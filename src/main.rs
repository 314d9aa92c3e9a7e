//! The `strata` binary: parse flags, run, exit with the code `strata::Error::exit_code` chose.

fn main() {
    std::process::exit(strata::cli::main(std::env::args_os().collect()));
}
