//! The plugin component (`plugin/component`, crate `sms-plugin`), built for
//! `wasm32-wasip2` in the `wasm-release` profile by this crate's build script.
//!
//! A crate of its own, with no dependencies, so cargo runs its build script (the guest build,
//! the slowest step of a clean build) at once, beside the host's dependencies, instead of
//! after them.

/// The component's bytes.
pub static COMPONENT: &[u8] = include_bytes!(concat!(env!("OUT_DIR"), "/sms_plugin.wasm"));
