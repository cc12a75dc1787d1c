//! Builds the test guests for `wasm32-wasip2` (wasmtime's test-programs pattern): only the
//! tests depend on this crate, so no production build ever builds them.

use std::env;
use std::path::PathBuf;

#[path = "../../../plugin/artifact/guest_build.rs"]
mod guest_build;

fn main() {
    let manifest_dir = PathBuf::from(env::var_os("CARGO_MANIFEST_DIR").expect("set by cargo"));
    let workspace = manifest_dir
        .ancestors()
        .nth(3)
        .expect("tests/programs/artifacts sits three levels below the workspace");
    let out_dir = PathBuf::from(env::var_os("OUT_DIR").expect("set by cargo"));
    for watched in ["tests/programs/misbehaving", "wit", "Cargo.lock"] {
        println!(
            "cargo:rerun-if-changed={}",
            workspace.join(watched).display()
        );
    }
    let built = guest_build::build(workspace, &out_dir, "misbehaving-plugin");
    let wasm = out_dir.join("misbehaving_plugin.wasm");
    std::fs::copy(built.join("misbehaving_plugin.wasm"), &wasm)
        .unwrap_or_else(|e| panic!("copying the misbehaving plugin: {e}"));
    // Its manifest sits beside the .wasm, where a host looks for it.
    std::fs::copy(
        workspace.join("tests/programs/misbehaving/manifest.json"),
        out_dir.join("misbehaving_plugin.manifest.json"),
    )
    .unwrap_or_else(|e| panic!("copying the misbehaving plugin's manifest: {e}"));
    println!("cargo:rustc-env=MISBEHAVING_PLUGIN_WASM={}", wasm.display());
}
