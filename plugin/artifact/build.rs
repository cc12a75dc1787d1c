//! Builds the plugin component for `wasm32-wasip2`, for `pos-sms-host` to embed. Test guests
//! are not built here: they belong to `tests/programs`.

use std::env;
use std::path::PathBuf;

#[path = "guest_build.rs"]
mod guest_build;

fn main() {
    let manifest_dir = PathBuf::from(env::var_os("CARGO_MANIFEST_DIR").expect("set by cargo"));
    let workspace = manifest_dir
        .ancestors()
        .nth(2)
        .expect("plugin/artifact sits two levels below the workspace");
    let out_dir = PathBuf::from(env::var_os("OUT_DIR").expect("set by cargo"));
    // Cargo.toml holds the wasm-release profile the component is built with.
    for watched in [
        "plugin/core",
        "plugin/component",
        "wit",
        "Cargo.lock",
        "Cargo.toml",
    ] {
        println!(
            "cargo:rerun-if-changed={}",
            workspace.join(watched).display()
        );
    }
    let built = guest_build::build(workspace, &out_dir, "sms-plugin");
    let wasm = built.join("sms_plugin.wasm");
    std::fs::copy(&wasm, out_dir.join("sms_plugin.wasm"))
        .unwrap_or_else(|e| panic!("copying {}: {e}", wasm.display()));
}
