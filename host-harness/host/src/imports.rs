//! The `pos:sms/host` interface the plugin imports, implemented over [`HostStore`], and the
//! state each call's store holds.
//!
//! [`HostState`] is everything one call can touch: a WASI context that inherits nothing (no
//! environment, files or sockets; its wall clock is the harness's [`Clock`]), wasi:http gated
//! by [`PolicyHooks`], the host's storage, the limits' [`Enforcer`], and the throughput pacer
//! shared by every call of a harness. [`linker`] adds exactly these imports and nothing else:
//! `pos:sms/host` at each API version the host supports (0.2.0 here, 0.1.0 in [`v0_1`], which
//! forwards to it).
//!
//! Failures of the host's own storage are not the plugin's fault: they are reported to the
//! plugin as values (`host-error::storage`) and logged, never trapped. A setting the plugin's
//! manifest does not declare is never served.

mod v0_1;

use std::sync::{Arc, Mutex, MutexGuard};

use wasmtime::Engine;
use wasmtime::component::{HasSelf, Linker, ResourceTable};
use wasmtime_wasi::{WasiCtx, WasiCtxView, WasiView};
use wasmtime_wasi_http::{WasiHttpCtx, WasiHttpCtxView, WasiHttpView};

use crate::bindings::v0_2::Plugin;
use crate::bindings::v0_2::pos::sms::{host, types};
use crate::error::{LoadError, StorageError};
use crate::manifest::Manifest;
use crate::policy::PolicyHooks;
use crate::runtime::clock::{Clock, WasiWallClock};
use crate::runtime::limits::{Enforcer, Limits};
use crate::storage::{
    AuditEntry, GroupWriter, HostStore, NewHold, NewOutgoing, NewReply, NoticeState, OptOutEntry,
};

/// Everything one call's store holds.
pub struct HostState {
    pub(crate) wasi: WasiCtx,
    pub(crate) http: WasiHttpCtx,
    pub(crate) table: ResourceTable,
    pub(crate) hooks: PolicyHooks,
    pub(crate) store: Arc<Mutex<HostStore>>,
    /// The store's read-only connection, for the call's reads.
    pub(crate) reader: Arc<Mutex<HostStore>>,
    /// The store's group commit, for the writes of a send and of a webhook.
    pub(crate) writer: Arc<GroupWriter>,
    pub(crate) enforcer: Enforcer,
    pub(crate) pacer: SharedPacer,
    /// The plugin's manifest: it is served only the settings this declares.
    pub(crate) manifest: Arc<Manifest>,
    /// The time the plugin sees; the conversation store's times too.
    pub(crate) clock: Arc<dyn Clock>,
}

/// What a call's state is made from, besides the policy hooks.
#[derive(Clone)]
pub struct StateParts {
    /// The host's storage.
    pub store: Arc<Mutex<HostStore>>,
    /// A read-only connection to it ([`HostStore::open_reader`]): reads never wait while the
    /// group commit holds `store` through its fsync.
    pub reader: Arc<Mutex<HostStore>>,
    /// Its group commit.
    pub writer: Arc<GroupWriter>,
    /// Memory and CPU limits.
    pub limits: Limits,
    /// The harness's throughput budget.
    pub pacer: SharedPacer,
    /// The plugin's manifest.
    pub manifest: Arc<Manifest>,
    /// The time the plugin sees.
    pub clock: Arc<dyn Clock>,
}

impl HostState {
    /// State for one call: a WASI context with nothing inherited (no environment, no files,
    /// no sockets; stderr goes to the host's stderr so guest panics are visible), whose wall
    /// clock is `parts.clock`.
    pub fn new(parts: StateParts, hooks: PolicyHooks) -> HostState {
        HostState {
            wasi: WasiCtx::builder()
                .inherit_stderr()
                .wall_clock(WasiWallClock(parts.clock.clone()))
                .build(),
            http: WasiHttpCtx::new(),
            table: ResourceTable::new(),
            hooks,
            store: parts.store,
            reader: parts.reader,
            writer: parts.writer,
            enforcer: Enforcer::new(parts.limits),
            pacer: parts.pacer,
            manifest: parts.manifest,
            clock: parts.clock,
        }
    }

    /// The connection for writes outside the group commit.
    fn db(&self) -> MutexGuard<'_, HostStore> {
        self.store
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// The connection for reads.
    fn reads(&self) -> MutexGuard<'_, HostStore> {
        self.reader
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
/// wasi:http (gated by the policy hooks), and `pos:sms/host` at every supported version.
pub fn linker(engine: &Engine) -> Result<Linker<HostState>, LoadError> {
    let mut linker = Linker::new(engine);
    let link = |e: wasmtime::Error| LoadError::Engine(format!("{e:#}"));
    wasmtime_wasi::p2::add_to_linker_async(&mut linker).map_err(link)?;
    wasmtime_wasi_http::p2::add_only_http_to_linker_async(&mut linker).map_err(link)?;
    Plugin::add_to_linker::<HostState, HasSelf<HostState>>(&mut linker, |s| s).map_err(link)?;
    crate::bindings::v0_1::Plugin::add_to_linker::<HostState, HasSelf<HostState>>(
        &mut linker,
        |s| s,
    )
    .map_err(link)?;
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

/// The stop list's name for how a number opted out.
pub fn opt_out_how(method: types::OptOutMethod) -> &'static str {
    match method {
        types::OptOutMethod::Keyword => "keyword",
        types::OptOutMethod::Phrase => "phrase",
        types::OptOutMethod::TwilioRefusal => "twilio-21610",
        types::OptOutMethod::Staff => "staff",
    }
}

/// The store's name for a purpose.
pub fn purpose_name(purpose: types::Purpose) -> &'static str {
    match purpose {
        types::Purpose::Transactional => "transactional",
        types::Purpose::Marketing => "marketing",
    }
}

/// The store's name for a reply's intent.
fn intent_name(intent: types::ReplyIntent) -> &'static str {
    match intent {
        types::ReplyIntent::OptOut => "opt-out",
        types::ReplyIntent::OptIn => "opt-in",
        types::ReplyIntent::Help => "help",
        types::ReplyIntent::PossibleOptOut => "possible-opt-out",
    }
}

/// The kind of a notice, as templates and the queue name it.
pub fn notice_kind_name(kind: &types::NoticeKind) -> &'static str {
    match kind {
        types::NoticeKind::RepairReady(_) => "repair-ready",
        types::NoticeKind::CustomOrderArrived(_) => "custom-order-arrived",
        types::NoticeKind::PaymentLink(_) => "payment-link",
        types::NoticeKind::AppointmentReminder(_) => "appointment-reminder",
    }
}

/// A consent source by its store name.
fn consent_source(name: &str) -> Option<types::ConsentSource> {
    Some(match name {
        "in-store" => types::ConsentSource::InStore,
        "paper-form" => types::ConsentSource::PaperForm,
        "web-form" => types::ConsentSource::WebForm,
        "text-in" => types::ConsentSource::TextIn,
        _ => return None,
    })
}

impl host::Host for HostState {
    fn get_secret(&mut self, name: String) -> Result<Option<String>, types::HostError> {
        self.reads()
            .get_secret(&name)
            .map_err(|e| store_failed("read a secret", e))
    }

    fn set_secret(&mut self, name: String, value: String) -> Result<(), types::HostError> {
        self.db()
            .set_secret(&name, &value)
            .map_err(|e| store_failed("save a secret", e))
    }

    fn delete_secret(&mut self, name: String) -> Result<(), types::HostError> {
        self.db()
            .delete_secret(&name)
            .map_err(|e| store_failed("delete a secret", e))
    }

    fn get_config(&mut self, key: String) -> Result<Option<String>, types::HostError> {
        if !self.manifest.reads_config(&key) {
            log::warn!(
                "refused the plugin's read of the setting '{key}': its manifest does not \
                 declare it (declared: {})",
                self.manifest.config.join(", ")
            );
            return Ok(None);
        }
        self.reads()
            .get_config(&key)
            .map_err(|e| store_failed("read a setting", e))
    }

    async fn record_audit(&mut self, entry: types::AuditEntry) -> Result<u64, types::HostError> {
        let entry = audit_entry(entry);
        let id = self
            .writer
            .write(move |db| db.append_audit(&entry))
            .await
            .map_err(|e| store_failed("write the audit log", e))?;
        u64::try_from(id).map_err(|_| {
            types::HostError::Other(format!("the audit log returned an invalid row id {id}"))
        })
    }

    async fn update_audit(
        &mut self,
        id: u64,
        entry: types::AuditEntry,
    ) -> Result<(), types::HostError> {
        let row = i64::try_from(id)
            .map_err(|_| types::HostError::Invalid(format!("there is no audit row {id}")))?;
        let entry = audit_entry(entry);
        self.writer
            .write(move |db| db.update_audit(row, &entry))
            .await
            .map_err(|e| match e {
                StorageError::NoAuditRow(_) => {
                    types::HostError::Invalid(format!("there is no audit row {id}"))
                }
                e => store_failed("update the audit log", e),
            })
    }

    async fn record_delivery(
        &mut self,
        update: types::DeliveryUpdate,
    ) -> Result<(), types::HostError> {
        self.writer
            .write(move |db| {
                db.record_delivery(
                    &update.message_sid,
                    &update.status,
                    update.rank,
                    update.error_code,
                    update.reason.as_deref(),
                )
            })
            .await
            .map_err(|e| store_failed("record a delivery status", e))
    }

    async fn record_reply(
        &mut self,
        m: types::InboundMessage,
    ) -> Result<Option<String>, types::HostError> {
        let at_unix = self.clock.now_unix();
        self.writer
            .write(move |db| {
                let intent = m
                    .classification
                    .as_ref()
                    .map(|c| (intent_name(c.intent), c.rule.as_str()));
                db.record_reply(&NewReply {
                    message_sid: &m.message_sid,
                    from: &m.from,
                    to: &m.to,
                    body: &m.body,
                    intent,
                    at_unix,
                })
            })
            .await
            .map_err(|e| store_failed("store a reply", e))
    }

    async fn record_outgoing(&mut self, m: types::OutgoingMessage) -> Result<(), types::HostError> {
        let audit_id = i64::try_from(m.audit_id).map_err(|_| {
            types::HostError::Invalid(format!("there is no audit row {}", m.audit_id))
        })?;
        let at_unix = self.clock.now_unix();
        self.writer
            .write(move |db| {
                db.record_outgoing(&NewOutgoing {
                    audit_id,
                    to: &m.to,
                    sender: &m.sender,
                    body: &m.body,
                    event_id: m.event_id.as_deref(),
                    notice_key: m.notice_key.as_deref(),
                    at_unix,
                })
            })
            .await
            .map_err(|e| store_failed("keep a text in its thread", e))
    }

    fn record_opt_out(&mut self, entry: types::OptOut) -> Result<bool, types::HostError> {
        self.db()
            .record_opt_out(&OptOutEntry {
                number: &entry.number,
                how: opt_out_how(entry.method),
                reply: entry.reply.as_deref(),
                via: entry.via.as_deref(),
                user: None,
            })
            .map_err(|e| store_failed("record an opt-out", e))
    }

    fn record_opt_in(
        &mut self,
        number: String,
        reply: Option<String>,
    ) -> Result<(), types::HostError> {
        self.db()
            .record_opt_in(&OptOutEntry {
                number: &number,
                how: "reply",
                reply: reply.as_deref(),
                via: None,
                user: None,
            })
            .map(|_| ())
            .map_err(|e| store_failed("record an opt-in", e))
    }

    fn is_opted_out(&mut self, number: String) -> Result<bool, types::HostError> {
        self.reads()
            .is_opted_out(&number)
            .map_err(|e| store_failed("read the stop list", e))
    }

    fn find_consent(
        &mut self,
        number: String,
        purpose: types::Purpose,
    ) -> Result<Option<types::Consent>, types::HostError> {
        let row = self
            .reads()
            .active_consent(&number, purpose_name(purpose))
            .map_err(|e| store_failed("read the consents", e))?;
        row.map(|row| {
            let source = consent_source(&row.source).ok_or_else(|| {
                store_failed(
                    "read the consents",
                    StorageError::Corrupt(format!("consent source '{}'", row.source)),
                )
            })?;
            Ok(types::Consent {
                number: row.number,
                purpose,
                source,
                user: row.user,
                granted_at: row.granted_at,
                note: row.note,
            })
        })
        .transpose()
    }

    fn claim_notice(&mut self, key: String) -> Result<types::NoticeClaim, types::HostError> {
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

    fn finish_notice(
        &mut self,
        key: String,
        sent: Option<types::Receipt>,
    ) -> Result<(), types::HostError> {
        let sent = sent
            .as_ref()
            .map(|r| (r.sid.as_str(), r.to.as_str(), r.status.as_str(), r.segments));
        self.db()
            .finish_notice(&key, sent)
            .map_err(|e| store_failed("settle a notice", e))
    }

    fn hold_notice(&mut self, notice: types::HeldNotice) -> Result<(), types::HostError> {
        let event = serde_json::to_string(&notice.event)
            .map_err(|e| types::HostError::Other(format!("the notice could not be kept: {e}")))?;
        let release_at_unix = i64::try_from(notice.release_at_unix).map_err(|_| {
            types::HostError::Invalid(format!(
                "release time {} is out of range",
                notice.release_at_unix
            ))
        })?;
        self.db()
            .hold_notice(&NewHold {
                key: &notice.key,
                to: &notice.event.to,
                kind: notice_kind_name(&notice.event.notice),
                event: &event,
                release_at_unix,
                release_at: &notice.release_at,
                release_local: &notice.release_local,
            })
            .map_err(|e| store_failed("hold a notice", e))
    }

    fn throttle(&mut self, segments: u32) -> u64 {
        let rate = logged(self.reads().get_config(CONFIG_SEGMENTS_PER_SECOND))
            .flatten()
            .and_then(|v| v.trim().parse().ok())
            .unwrap_or(DEFAULT_SEGMENTS_PER_SECOND);
        self.pacer.delay_for(rate, segments)
    }
}

/// The host's row for the plugin's audit entry.
fn audit_entry(entry: types::AuditEntry) -> AuditEntry {
    AuditEntry {
        action: match entry.action {
            types::AuditAction::Send => "send",
            types::AuditAction::Test => "test",
            types::AuditAction::Notify => "notify",
            types::AuditAction::OptOutConfirmation => "opt-out-confirmation",
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
        purpose: purpose_name(entry.purpose).to_string(),
        note: entry.note,
    }
}

/// Logs a storage failure on the host and hands it to the plugin as a value.
fn store_failed(what: &str, e: StorageError) -> types::HostError {
    log::error!("could not {what}: {e}");
    types::HostError::Storage(format!("could not {what} ({e})"))
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
