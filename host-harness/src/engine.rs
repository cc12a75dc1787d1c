//! The wasmtime side: engine, linker, the compiled-component cache, and per-call stores.
//!
//! Embedding walk-through:
//! 1. [`new_engine`] builds one [`wasmtime::Engine`] for the process.
//! 2. [`load_component`] compiles the plugin once and keeps the machine code in a cache
//!    directory, keyed by the wasm's SHA-256, the wasmtime version and the engine's
//!    compatibility hash; later runs load it in well under a millisecond.
//! 3. [`linker`] adds WASI (no sockets, no files, no environment), wasi:http and the
//!    `pos:sms/host` interface, and `PluginPre` pre-instantiates the component once.
//! 4. Every call gets a fresh [`wasmtime::Store`] holding a [`HostState`] (instantiating from
//!    the `PluginPre` takes tens of microseconds), so no state leaks between calls except
//!    what the host stores on purpose.

use std::hash::{Hash as _, Hasher as _};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use anyhow::Context as _;
use sha2::{Digest as _, Sha256};
use wasmtime::Engine;
use wasmtime::component::{Component, HasSelf, Linker, ResourceTable};
use wasmtime_wasi::{WasiCtx, WasiCtxView, WasiView};
use wasmtime_wasi_http::{WasiHttpCtx, WasiHttpCtxView, WasiHttpView};

use crate::bindings::Plugin;
use crate::limits::{Enforcer, Limits};
use crate::policy::PolicyHooks;
use crate::store::HostStore;

/// The wasmtime version this harness was built with (from Cargo.lock).
pub const WASMTIME_VERSION: &str = env!("WASMTIME_VERSION");

/// Everything one call's store holds.
pub struct HostState {
    pub(crate) wasi: WasiCtx,
    pub(crate) http: WasiHttpCtx,
    pub(crate) table: ResourceTable,
    pub(crate) hooks: PolicyHooks,
    pub(crate) store: Arc<Mutex<HostStore>>,
    pub(crate) enforcer: Enforcer,
    pub(crate) pacer: crate::host::SharedPacer,
}

impl HostState {
    /// State for one call: a WASI context with nothing inherited (no environment, no files,
    /// no sockets; stderr goes to the host's stderr so guest panics are visible).
    pub fn new(
        store: Arc<Mutex<HostStore>>,
        hooks: PolicyHooks,
        limits: Limits,
        pacer: crate::host::SharedPacer,
    ) -> HostState {
        HostState {
            wasi: WasiCtx::builder().inherit_stderr().build(),
            http: WasiHttpCtx::new(),
            table: ResourceTable::new(),
            hooks,
            store,
            enforcer: Enforcer::new(limits),
            pacer,
        }
    }
}

impl WasiView for HostState {
    fn ctx(&mut self) -> WasiCtxView<'_> {
        WasiCtxView {
            ctx: &mut self.wasi,
            table: &mut self.table,
        }
    }
}

impl WasiHttpView for HostState {
    fn http(&mut self) -> WasiHttpCtxView<'_> {
        WasiHttpCtxView {
            ctx: &mut self.http,
            table: &mut self.table,
            hooks: &mut self.hooks,
        }
    }
}

/// The process's engine.
pub fn new_engine() -> anyhow::Result<Engine> {
    let mut config = wasmtime::Config::new();
    config.wasm_component_model(true);
    // CPU limits: an epoch ticked by a background thread (see `limits`).
    config.epoch_interruption(true);
    Ok(Engine::new(&config)?)
}

/// A linker with everything the plugin may import.
pub fn linker(engine: &Engine) -> anyhow::Result<Linker<HostState>> {
    let mut linker = Linker::new(engine);
    wasmtime_wasi::p2::add_to_linker_async(&mut linker)?;
    wasmtime_wasi_http::p2::add_only_http_to_linker_async(&mut linker)?;
    Plugin::add_to_linker::<HostState, HasSelf<HostState>>(&mut linker, |s| s)?;
    Ok(linker)
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
    let digest = Sha256::digest(wasm);
    let hex = crate::package::hex(&digest);
    let mut hasher = std::collections::hash_map::DefaultHasher::new();
    engine.precompile_compatibility_hash().hash(&mut hasher);
    cache_dir.join(format!(
        "{hex}-wasmtime-{WASMTIME_VERSION}-{:016x}.cwasm",
        hasher.finish()
    ))
}

/// Loads the compiled component from `cache_dir`, or compiles `wasm` and caches it. A cache
/// file that does not load (another CPU, a damaged file) is replaced.
pub fn load_component(
    engine: &Engine,
    wasm: &[u8],
    cache_dir: &Path,
) -> anyhow::Result<(Component, CacheOutcome)> {
    let path = cache_path(engine, wasm, cache_dir);
    if path.is_file() {
        // SAFETY: the file is one this function wrote into the harness's private data
        // directory, named by the wasm's hash, the wasmtime version and the engine's
        // compatibility hash; wasmtime checks its header and refuses a mismatch.
        if let Ok(component) = unsafe { Component::deserialize_file(engine, &path) } {
            return Ok((component, CacheOutcome::Hit));
        }
    }
    let component = Component::new(engine, wasm)
        .map_err(anyhow::Error::from)
        .context("compiling the plugin")?;
    if let Err(e) = write_cache(&component, cache_dir, &path) {
        eprintln!(
            "host-harness: could not cache the compiled plugin in {}: {e:#}",
            cache_dir.display()
        );
    }
    Ok((component, CacheOutcome::Compiled))
}

fn write_cache(component: &Component, cache_dir: &Path, path: &Path) -> anyhow::Result<()> {
    std::fs::create_dir_all(cache_dir)?;
    let bytes = component.serialize()?;
    // Unique per writer: tests (and several harness processes) may fill one cache at once.
    let tmp = path.with_extension(format!(
        "tmp{}-{:016x}",
        std::process::id(),
        rand::random::<u64>()
    ));
    std::fs::write(&tmp, bytes)?;
    std::fs::rename(&tmp, path)?;
    Ok(())
}
