//! Where the test guests of `tests/programs` were built (see `build.rs`).

/// The hostile plugin (`tests/programs/misbehaving`); its manifest is beside it, as
/// `misbehaving_plugin.manifest.json`.
pub const MISBEHAVING_PLUGIN: &str = env!("MISBEHAVING_PLUGIN_WASM");
