//! The `pos:sms/host` interface the plugin imports, implemented over [`HostStore`], and the
//! state each call's store holds.
//!
//! [`HostState`] is everything one call can touch: a WASI context that inherits nothing (no
//! environment, files or sockets), wasi:http gated by [`PolicyHooks`], the host's storage,
//! the limits' [`Enforcer`], and the throughput pacer shared by every call of a harness.
//! [`linker`] adds exactly these imports and nothing else.
//!
//! Failures of the host's own storage are not the plugin's fault: they are reported to the
//! plugin as values (`set-secret` returns an error text; a failed read is `none`) and logged,
//! never trapped. A setting the plugin's manifest does not declare is never served.

use std::sync::{Arc, Mutex, MutexGuard};

use wasmtime::Engine;
use wasmtime::component::{HasSelf, Linker, ResourceTable};
use wasmtime_wasi::{WasiCtx, WasiCtxView, WasiView};
use wasmtime_wasi_http::{WasiHttpCtx, WasiHttpCtxView, WasiHttpView};

use crate::bindings::Plugin;
use crate::bindings::pos::sms::{host, types};
use crate::error::{LoadError, StorageError};
use crate::manifest::Manifest;
use crate::policy::PolicyHooks;
use crate::runtime::limits::{Enforcer, Limits};
use crate::storage::{AuditEntry, HostStore, NoticeState};

/// Everything one call's store holds.
pub struct HostState {
    pub(crate) wasi: WasiCtx,
    pub(crate) http: WasiHttpCtx,
    pub(crate) table: ResourceTable,
    pub(crate) hooks: PolicyHooks,
    pub(crate) store: Arc<Mutex<HostStore>>,
    pub(crate) enforcer: Enforcer,
    pub(crate) pacer: SharedPacer,
    /// The plugin's manifest: it is served only the settings this declares.
    pub(crate) manifest: Arc<Manifest>,
}

impl HostState {
    /// State for one call: a WASI context with nothing inherited (no environment, no files,
    /// no sockets; stderr goes to the host's stderr so guest panics are visible).
    pub fn new(
        store: Arc<Mutex<HostStore>>,
        hooks: PolicyHooks,
        limits: Limits,
        pacer: SharedPacer,
        manifest: Arc<Manifest>,
    ) -> HostState {
        HostState {
            wasi: WasiCtx::builder().inherit_stderr().build(),
            http: WasiHttpCtx::new(),
            table: ResourceTable::new(),
            hooks,
            store,
            enforcer: Enforcer::new(limits),
            pacer,
            manifest,
        }
    }

    fn db(&self) -> MutexGuard<'_, HostStore> {
        self.store
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
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

/// A linker with everything the plugin may import: WASI without ambient authority,
/// wasi:http (gated by the policy hooks), and `pos:sms/host`.
pub fn linker(engine: &Engine) -> Result<Linker<HostState>, LoadError> {
    let mut linker = Linker::new(engine);
    let link = |e: wasmtime::Error| LoadError::Engine(format!("{e:#}"));
    wasmtime_wasi::p2::add_to_linker_async(&mut linker).map_err(link)?;
    wasmtime_wasi_http::p2::add_only_http_to_linker_async(&mut linker).map_err(link)?;
    Plugin::add_to_linker::<HostState, HasSelf<HostState>>(&mut linker, |s| s).map_err(link)?;
    Ok(linker)
}

fn logged<T>(result: Result<T, StorageError>) -> Option<T> {
    result.map_err(|e| log::error!("{e}")).ok()
}

/// Host setting: the automated-text throughput budget, in segments per second.
pub const CONFIG_SEGMENTS_PER_SECOND: &str = "segments-per-second";
/// One segment per second: a US long code's base throughput.
pub const DEFAULT_SEGMENTS_PER_SECOND: u32 = 1;

impl types::Host for HostState {}

impl host::Host for HostState {
    fn get_secret(&mut self, name: String) -> Option<String> {
        logged(self.db().get_secret(&name)).flatten()
    }

    fn set_secret(&mut self, name: String, value: String) -> Result<(), String> {
        self.db()
            .set_secret(&name, &value)
            .map_err(|e| format!("the host could not save it ({e})"))
    }

    fn delete_secret(&mut self, name: String) -> Result<(), String> {
        self.db()
            .delete_secret(&name)
            .map_err(|e| format!("the host could not delete it ({e})"))
    }

    fn get_config(&mut self, key: String) -> Option<String> {
        if !self.manifest.reads_config(&key) {
            log::warn!(
                "refused the plugin's read of the setting '{key}': its manifest does not \
                 declare it (declared: {})",
                self.manifest.config.join(", ")
            );
            return None;
        }
        logged(self.db().get_config(&key)).flatten()
    }

    fn record_audit(&mut self, entry: types::AuditEntry) -> Result<u64, String> {
        let id = self
            .db()
            .append_audit(&audit_entry(entry))
            .map_err(|e| audit_failed("write", e))?;
        u64::try_from(id).map_err(|_| format!("the audit log returned an invalid row id {id}"))
    }

    fn record_delivery(&mut self, update: types::DeliveryUpdate) -> Result<(), String> {
        self.db()
            .record_delivery(
                &update.message_sid,
                &update.status,
                update.rank,
                update.error_code,
                update.reason.as_deref(),
            )
            .map_err(|e| store_failed("record a delivery status", e))
    }

    fn record_reply(&mut self, m: types::InboundMessage) -> Result<(), String> {
        let keyword = m.keyword.map(|k| match k {
            types::OptKeyword::OptOut => "opt-out",
            types::OptKeyword::OptIn => "opt-in",
            types::OptKeyword::Help => "help",
        });
        self.db()
            .record_reply(&m.message_sid, &m.from, &m.to, &m.body, keyword)
            .map_err(|e| store_failed("store a reply", e))
    }

    fn set_opted_out(&mut self, number: String, opted_out: bool) -> Result<(), String> {
        self.db()
            .set_opted_out(&number, opted_out)
            .map_err(|e| store_failed("record an opt-out", e))
    }

    fn is_opted_out(&mut self, number: String) -> Result<bool, String> {
        self.db()
            .is_opted_out(&number)
            .map_err(|e| store_failed("read the opt-outs", e))
    }

    fn claim_notice(&mut self, key: String) -> Result<types::NoticeClaim, String> {
        Ok(
            match self
                .db()
                .claim_notice(&key)
                .map_err(|e| store_failed("claim a notice", e))?
            {
                NoticeState::Claimed => types::NoticeClaim::Claimed,
                NoticeState::InProgress => types::NoticeClaim::InProgress,
                NoticeState::Sent(sid, to, status, segments) => {
                    types::NoticeClaim::AlreadySent(types::Receipt {
                        sid,
                        to,
                        status,
                        segments,
                    })
                }
            },
        )
    }

    fn finish_notice(&mut self, key: String, sent: Option<types::Receipt>) -> Result<(), String> {
        let sent = sent
            .as_ref()
            .map(|r| (r.sid.as_str(), r.to.as_str(), r.status.as_str(), r.segments));
        self.db()
            .finish_notice(&key, sent)
            .map_err(|e| store_failed("settle a notice", e))
    }

    fn throttle(&mut self, segments: u32) -> u64 {
        let rate = logged(self.db().get_config(CONFIG_SEGMENTS_PER_SECOND))
            .flatten()
            .and_then(|v| v.trim().parse().ok())
            .unwrap_or(DEFAULT_SEGMENTS_PER_SECOND);
        self.pacer.delay_for(rate, segments)
    }

    fn update_audit(&mut self, id: u64, entry: types::AuditEntry) -> Result<(), String> {
        let id = i64::try_from(id).map_err(|_| format!("there is no audit row {id}"))?;
        self.db()
            .update_audit(id, &audit_entry(entry))
            .map_err(|e| audit_failed("update", e))
    }
}

/// The host's row for the plugin's audit entry.
fn audit_entry(entry: types::AuditEntry) -> AuditEntry {
    AuditEntry {
        action: match entry.action {
            types::AuditAction::Send => "send",
            types::AuditAction::Test => "test",
            types::AuditAction::Notify => "notify",
        }
        .to_string(),
        to: entry.to,
        body_length: entry.body_length,
        segments: entry.segments,
        user: entry.user,
        message_sid: entry.message_sid,
        status: entry.status,
        error_kind: entry.error_kind,
        twilio_code: entry.twilio_code,
    }
}

/// Logs an audit-log failure on the host and words it for the plugin.
fn audit_failed(what: &str, e: StorageError) -> String {
    store_failed(&format!("{what} the audit log"), e)
}

/// Logs a storage failure on the host and words it for the plugin.
fn store_failed(what: &str, e: StorageError) -> String {
    log::error!("could not {what}: {e}");
    format!("the host could not {what} ({e})")
}

/// The segments-per-second budget shared by every call of one harness (each call has its own
/// store, so the bucket lives here). It is the plugin core's own pacer, run on the host.
#[derive(Clone)]
pub struct SharedPacer {
    inner: std::sync::Arc<std::sync::Mutex<Option<(u32, sms_core::notify::Pacer)>>>,
    started: std::time::Instant,
}

impl Default for SharedPacer {
    fn default() -> Self {
        SharedPacer {
            inner: Default::default(),
            started: std::time::Instant::now(),
        }
    }
}

impl SharedPacer {
    /// Milliseconds to wait before sending `segments` at `rate` segments per second.
    pub fn delay_for(&self, rate: u32, segments: u32) -> u64 {
        let now = u64::try_from(self.started.elapsed().as_millis()).unwrap_or(u64::MAX);
        let mut guard = self.inner.lock().unwrap_or_else(|p| p.into_inner());
        let pacer = match &mut *guard {
            Some((current, pacer)) if *current == rate => pacer,
            slot => {
                let (_, pacer) = slot.insert((rate, sms_core::notify::Pacer::new(rate)));
                pacer
            }
        };
        pacer.delay_for(now, segments)
    }
}

#[cfg(test)]
mod tests {
    use super::SharedPacer;

    #[test]
    fn a_burst_queues_behind_the_budget() {
        let pacer = SharedPacer::default();
        let clone = pacer.clone();
        // One segment a second, burst of one second's budget: the first goes at once, the
        // next waits about a second, the one after about two (across clones: one bucket).
        assert_eq!(pacer.delay_for(1, 1), 0);
        let second = clone.delay_for(1, 1);
        let third = pacer.delay_for(1, 1);
        assert!((900..=1000).contains(&second), "{second}");
        assert!((1900..=2000).contains(&third), "{third}");
        // A bigger budget lets a burst through.
        let fast = SharedPacer::default();
        assert_eq!((fast.delay_for(50, 1), fast.delay_for(50, 1)), (0, 0));
    }
}
