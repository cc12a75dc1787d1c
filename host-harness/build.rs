//! Builds the plugin for `wasm32-wasip2` so the harness binary embeds the component it was
//! built with, and the hostile test plugin of `tests/programs` that the containment tests
//! load (the pattern of wasmtime's `crates/test-programs`).
//!
//! The guest is built by a child `cargo` in its own target directory (`target/guest`): the
//! outer build holds the lock on the main one. Variables that the outer build (clippy,
//! coverage, a `--target` flag) sets for itself are removed from the child's environment.

use std::env;
use std::path::{Path, PathBuf};
use std::process::Command;

fn main() {
    let manifest_dir = PathBuf::from(env::var_os("CARGO_MANIFEST_DIR").expect("set by cargo"));
    let workspace = manifest_dir
        .parent()
        .expect("host-harness sits in the workspace");
    let out_dir = PathBuf::from(env::var_os("OUT_DIR").expect("set by cargo"));

    for watched in [
        "plugin/src",
        "plugin/manifest.json",
        "plugin/Cargo.toml",
        "tests/programs",
        "wit",
        "Cargo.lock",
    ] {
        println!(
            "cargo:rerun-if-changed={}",
            workspace.join(watched).display()
        );
    }

    println!(
        "cargo:rustc-env=WASMTIME_VERSION={}",
        locked_version(&workspace.join("Cargo.lock"), "wasmtime")
    );

    let guest_target = guest_target_dir(&out_dir, workspace);
    let cargo = env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let mut cmd = Command::new(cargo);
    cmd.current_dir(workspace)
        .args(["build", "--target", "wasm32-wasip2"])
        .args(["--package", "sms-plugin", "--package", "misbehaving-plugin"])
        .args(["--profile", "wasm-release", "--locked", "--target-dir"])
        .arg(&guest_target);
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
        .expect("could not run cargo to build the plugin");
    if !status.success() {
        panic!(
            "building the plugin for wasm32-wasip2 failed. If the target is missing, run \
             `rustup target add wasm32-wasip2`."
        );
    }
    // The hostile test plugin's manifest sits beside its .wasm, where the harness looks.
    std::fs::copy(
        workspace.join("tests/programs/misbehaving/manifest.json"),
        out_dir.join("misbehaving_plugin.manifest.json"),
    )
    .expect("copying the misbehaving plugin's manifest");
    let built = guest_target.join("wasm32-wasip2/wasm-release");
    for file in ["sms_plugin.wasm", "misbehaving_plugin.wasm"] {
        std::fs::copy(built.join(file), out_dir.join(file))
            .unwrap_or_else(|e| panic!("copying {}: {e}", built.join(file).display()));
    }
    // The containment tests load the hostile test plugin from here.
    println!(
        "cargo:rustc-env=MISBEHAVING_PLUGIN_WASM={}",
        out_dir.join("misbehaving_plugin.wasm").display()
    );
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

/// The version of `package` that Cargo.lock pins (keys the compiled-component cache).
fn locked_version(lock: &Path, package: &str) -> String {
    let text = std::fs::read_to_string(lock).unwrap_or_default();
    let wanted = format!("name = \"{package}\"");
    let mut lines = text.lines();
    while let Some(line) = lines.next() {
        if line.trim() != wanted {
            continue;
        }
        if let Some(version) = lines
            .next()
            .and_then(|l| l.trim().strip_prefix("version = "))
        {
            return version.trim_matches('"').to_string();
        }
    }
    "unknown".to_string()
}
