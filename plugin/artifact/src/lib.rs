//! The plugin component (`plugin/component`, crate `sms-plugin`), built for
//! `wasm32-wasip2` in the `wasm-release` profile by this crate's build script.
//!
//! A crate of its own, with no dependencies, so cargo runs its build script (the guest build,
//! the slowest step of a clean build) at once, beside the host's dependencies, instead of
//! after them.

/// The component's bytes.
pub static COMPONENT: &[u8] = include_bytes!(concat!(env!("OUT_DIR"), "/sms_plugin.wasm"));

/// The most the released component may weigh: a POS downloads it once per store.
pub const SIZE_BUDGET: usize = 512 * 1024;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_component_stays_within_its_size_budget() {
        assert!(
            COMPONENT.len() <= SIZE_BUDGET,
            "the component is {} bytes, over its budget of {SIZE_BUDGET}: look for a dependency \
             pulled in by a new call (jiff's Display for its errors alone is about 100 KB)",
            COMPONENT.len()
        );
    }
}
