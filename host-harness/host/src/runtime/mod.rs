//! The wasmtime side: the engine, the compiled-component cache, and the per-call limits.
//!
//! 1. [`new_engine`] builds one [`wasmtime::Engine`] for the process, with epoch
//!    interruption for the CPU limit (see [`limits`]).
//! 2. [`load_component`] compiles the plugin once and keeps the machine code in a cache
//!    directory, keyed by the wasm's SHA-256 and the engine's compatibility hash (which
//!    covers wasmtime's version and every compilation setting); later runs load it in well
//!    under a millisecond.
//!
//! 3. [`clock`] is the time a call sees (`wasi:clocks/wall-clock`), the system's or one a
//!    test sets.
//!
//! What a call may import, and the state it runs with, is the next layer up
//! ([`crate::imports`]).

pub mod clock;
pub mod limits;

use std::hash::{Hash as _, Hasher as _};
use std::path::{Path, PathBuf};

use sha2::{Digest as _, Sha256};
use wasmtime::Engine;
use wasmtime::component::Component;

use crate::error::LoadError;

/// Instances alive at once, by default: calls past it wait for one to end
/// ([`crate::HarnessConfig::max_instances`]).
pub const DEFAULT_MAX_INSTANCES: u32 = 1000;

/// The most linear memory an instance may have; [`limits::Limits::memory_bytes`] may not
/// ask for more.
pub const MAX_MEMORY_BYTES: usize = 64 * 1024 * 1024;

/// The bytes of each table a slot keeps resident (2,048 entries of 8 bytes: more than the
/// plugin's tables hold).
const TABLE_KEEP_RESIDENT: usize = 16 * 1024;

/// The most bytes of a slot's linear memory that are reset in place when its instance ends
/// (where the kernel can report which pages were written; see [`new_engine`]): far more
/// than a call of the plugin writes. Past it, a slot's written pages go back to the kernel.
const LINEAR_MEMORY_KEEP_RESIDENT: usize = 512 * 1024;

/// An engine whose instances come from a pool of `max_instances` slots.
///
/// Every call runs in a fresh instance, so instantiation is the hot path. The default
/// allocator maps and unmaps each instance's memory, and at a few thousand calls a second
/// that churn (page faults, TLB shootdowns across cores, the kernel's mmap lock) was most of
/// a send's CPU time. The pool reserves the slots once and resets a slot's memory (from its
/// copy-on-write image) when an instance ends.
pub fn new_engine(max_instances: u32) -> Result<Engine, LoadError> {
    let mut pool = wasmtime::PoolingAllocationConfig::new();
    let slots = max_instances.max(1);
    pool.total_component_instances(slots)
        // A component instance is several core instances (the program and wit-component's
        // shims), each with at most one memory and a few tables.
        .total_core_instances(slots.saturating_mul(8))
        .total_memories(slots.saturating_mul(2))
        .total_tables(slots.saturating_mul(8))
        .total_stacks(slots)
        .max_memory_size(MAX_MEMORY_BYTES)
        .decommit_batch_size(64)
        // A slot's tables are zeroed in place when its instance ends, not decommitted: the
        // next instance's lazy table initialisation then writes to pages already its own,
        // where a decommitted page faults once per instance and the fault's TLB shootdown
        // interrupts the other core. 3,000 sends at --parallel 64: 2.9 fewer page faults a
        // send, 0.57 s down to 0.45-0.50 s.
        .table_keep_resident(TABLE_KEEP_RESIDENT);
    // Linear memory the same way, but only where Linux's PAGEMAP_SCAN (6.7 and later) tells
    // wasmtime which pages a call wrote: it then restores just those, wherever they lie. The
    // plugin's written pages sit near the top of its 1 MiB stack, so without the scan the
    // kept region (the lowest addresses) would be zeroed whole and miss them. 3,000 sends at
    // --parallel 64: page faults 21,200 -> 4,000, kernel time a third lower. The price is
    // memory: a slot keeps those pages (about 120 KiB for the plugin) after its instance
    // ends, so a host that once ran N calls at once holds N times that until it closes.
    // `HarnessConfig::max_instances` bounds it.
    if wasmtime::PoolingAllocationConfig::is_pagemap_scan_available() {
        pool.pagemap_scan(wasmtime::Enabled::Auto)
            .linear_memory_keep_resident(LINEAR_MEMORY_KEEP_RESIDENT);
    }
    let mut config = wasmtime::Config::new();
    config.wasm_component_model(true);
    config.allocation_strategy(wasmtime::InstanceAllocationStrategy::Pooling(pool));
    // CPU limits: an epoch ticked by a background thread (see `limits`).
    config.epoch_interruption(true);
    let engine = Engine::new(&config).map_err(|e| LoadError::Engine(e.to_string()))?;
    limits::start_ticker(&engine);
    Ok(engine)
}

/// How [`load_component`] got its component.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CacheOutcome {
    /// Loaded from the cache.
    Hit,
    /// Compiled, and written to the cache.
    Compiled,
}

/// The cache file for `wasm` under `cache_dir`.
pub fn cache_path(engine: &Engine, wasm: &[u8], cache_dir: &Path) -> PathBuf {
    let mut hasher = std::collections::hash_map::DefaultHasher::new();
    engine.precompile_compatibility_hash().hash(&mut hasher);
    cache_dir.join(format!(
        "{}-{:016x}.cwasm",
        hex::encode(Sha256::digest(wasm)),
        hasher.finish()
    ))
}

/// Loads the compiled component from `cache_dir`, or compiles `wasm` and caches it. A cache
/// file that does not load (another CPU, a damaged file) is replaced; a cache that cannot be
/// written is logged and skipped.
pub fn load_component(
    engine: &Engine,
    wasm: &[u8],
    cache_dir: &Path,
) -> Result<(Component, CacheOutcome), LoadError> {
    let path = cache_path(engine, wasm, cache_dir);
    if path.is_file() {
        // SAFETY: the file is one this function wrote into the host's private data
        // directory, named by the wasm's hash and the engine's compatibility hash; wasmtime
        // checks its header and refuses a mismatch.
        if let Ok(component) = unsafe { Component::deserialize_file(engine, &path) } {
            return Ok((component, CacheOutcome::Hit));
        }
    }
    let component =
        Component::new(engine, wasm).map_err(|e| LoadError::Compile(format!("{e:#}")))?;
    if let Err(e) = write_cache(&component, cache_dir, &path) {
        log::warn!(
            "could not cache the compiled plugin in {}: {e}",
            cache_dir.display()
        );
    }
    Ok((component, CacheOutcome::Compiled))
}

fn write_cache(component: &Component, cache_dir: &Path, path: &Path) -> std::io::Result<()> {
    std::fs::create_dir_all(cache_dir)?;
    let bytes = component
        .serialize()
        .map_err(|e| std::io::Error::other(e.to_string()))?;
    // Unique per writer: tests (and several host processes) may fill one cache at once.
    let tmp = path.with_extension(format!(
        "tmp{}-{:016x}",
        std::process::id(),
        rand::random::<u64>()
    ));
    std::fs::write(&tmp, bytes)?;
    std::fs::rename(&tmp, path)
}

/// The names a component imports and exports, from its type.
pub fn interface_names(engine: &Engine, component: &Component) -> (Vec<String>, Vec<String>) {
    let ty = component.component_type();
    let imports = ty.imports(engine).map(|(n, _)| n.to_string()).collect();
    let exports = ty.exports(engine).map(|(n, _)| n.to_string()).collect();
    (imports, exports)
}
