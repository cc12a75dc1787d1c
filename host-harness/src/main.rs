//! `host-harness`: see [`host_harness::cli`] for the commands.

use std::process::ExitCode;

use clap::Parser as _;

fn main() -> ExitCode {
    host_harness::cli::run(host_harness::cli::Cli::parse())
}
