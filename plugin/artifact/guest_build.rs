//! Building a guest component from a build script (the pattern of wasmtime's
//! `crates/test-programs/artifacts`), shared by this crate's build script (the plugin) and
//! `tests/programs/artifacts`' (the test guests) through `#[path]`.
//!
//! The guest is built by a child `cargo` in its own target directory (`<target>/guest`): the
//! outer build holds the lock on the main one. Variables that the outer build (clippy,
//! coverage, a `--target` flag) sets for itself are removed from the child's environment.

use std::env;
use std::path::{Path, PathBuf};
use std::process::Command;

/// Builds `package` of `workspace` for `wasm32-wasip2` in the `wasm-release` profile, in the
/// guest target directory beside the outer build's (found from `out_dir`); returns the
/// directory its `.wasm` lands in.
pub fn build(workspace: &Path, out_dir: &Path, package: &str) -> PathBuf {
    let target_dir = guest_target_dir(out_dir, workspace);
    let target_dir = target_dir.as_path();
    let cargo = env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let mut cmd = Command::new(cargo);
    cmd.current_dir(workspace)
        .args(["build", "--target", "wasm32-wasip2", "--package", package])
        .args(["--profile", "wasm-release", "--locked", "--target-dir"])
        .arg(target_dir);
    for var in [
        "RUSTFLAGS",
        "CARGO_ENCODED_RUSTFLAGS",
        "RUSTC_WORKSPACE_WRAPPER",
        "RUSTC_WRAPPER",
        "CARGO_TARGET_DIR",
        "CARGO_BUILD_TARGET",
        "CARGO_MAKEFLAGS",
        "CARGO_PRIMARY_PACKAGE",
    ] {
        cmd.env_remove(var);
    }
    let status = cmd
        .status()
        .unwrap_or_else(|e| panic!("could not run cargo to build {package}: {e}"));
    if !status.success() {
        panic!(
            "building {package} for wasm32-wasip2 failed. If the target is missing, run \
             `rustup target add wasm32-wasip2`."
        );
    }
    target_dir.join("wasm32-wasip2/wasm-release")
}

/// `<target>/guest`, where `<target>` is the outer build's target directory (found above
/// `OUT_DIR`, which is `<target>/<profile>/build/<pkg>-<hash>/out`).
fn guest_target_dir(out_dir: &Path, workspace: &Path) -> PathBuf {
    out_dir
        .ancestors()
        .find(|p| p.file_name().is_some_and(|n| n == "build"))
        .and_then(Path::parent)
        .and_then(Path::parent)
        .map(|target| target.join("guest"))
        .unwrap_or_else(|| workspace.join("target/guest"))
}
