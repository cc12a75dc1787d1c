//! `host-harness`: see [`host_harness::cli`] for the commands.

use std::process::ExitCode;

fn main() -> ExitCode {
    host_harness::cli::main_with_args(std::env::args_os().collect())
}
