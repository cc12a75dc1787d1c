//! The API a POS calls: [`Harness`], a loaded plugin with the host state around it, and
//! [`Session`], one instance of it for one call or many.

use std::borrow::Cow;
use std::path::PathBuf;
use std::sync::{Arc, Mutex, MutexGuard};

use semver::Version;
use wasmtime::Store;

use crate::bindings::v0_1::pos::sms::types as old;
use crate::bindings::{v0_1, v0_2};
use crate::error::{Denial, Error, LimitExceeded, LoadError, PluginError, Refusal};
use crate::imports::{HostState, SharedPacer, StateParts, linker, purpose_name};
use crate::manifest::{self, Manifest};
use crate::origin::Origin;
use crate::policy::{
    Connector, DenialLog, OutboundPolicy, PolicyHooks, Resolver, SystemResolver, Timeouts,
};
use crate::runtime::clock::{Clock, SystemClock};
use crate::runtime::limits::{self, Limits};
use crate::runtime::{self, CacheOutcome};
use crate::storage::{
    AuditEntry, AuditRow, ConsentRow, GroupWriter, HeldRow, HostStore, NewConsent, OptOutEntry,
    OptOutRow, Reply, SettledSend, StopListEvent, ThreadMessage, ThreadSummary,
};
use crate::types;

mod customers;

/// How to open a [`Harness`].
#[derive(Debug, Clone)]
pub struct HarnessConfig {
    /// Where the database lives.
    pub data_dir: PathBuf,
    /// Where compiled plugins are cached [default: `<data_dir>/cache`].
    pub cache_dir: Option<PathBuf>,
    /// A plugin `.wasm` to load instead of the embedded one.
    pub plugin: Option<PathBuf>,
    /// That plugin's manifest [default: `plugin.manifest.json` beside `plugin.wasm`].
    pub manifest: Option<PathBuf>,
    /// Where the plugin's HTTP may go.
    pub policy: OutboundPolicy,
    /// HTTP timeouts.
    pub timeouts: Timeouts,
    /// Memory and CPU limits per call.
    pub limits: Limits,
    /// The time the plugin sees and held notices are released by [default: the system's].
    pub clock: Arc<dyn Clock>,
    /// How the plugin's destinations are resolved, once per request: the addresses checked
    /// are the ones connected to [default: the system's resolver].
    pub resolver: Arc<dyn Resolver>,
    /// The most instances alive at once (every call is one): a call past it waits for
    /// another to end [default: [`runtime::DEFAULT_MAX_INSTANCES`]]. Their slots are
    /// reserved when the harness opens.
    pub max_instances: u32,
}

impl HarnessConfig {
    /// The embedded plugin, Twilio's API only, default timeouts and limits.
    pub fn new(data_dir: impl Into<PathBuf>) -> HarnessConfig {
        HarnessConfig {
            data_dir: data_dir.into(),
            cache_dir: None,
            plugin: None,
            manifest: None,
            policy: OutboundPolicy::default(),
            timeouts: Timeouts::default(),
            limits: Limits::default(),
            clock: Arc::new(SystemClock),
            resolver: Arc::new(SystemResolver),
            max_instances: runtime::DEFAULT_MAX_INSTANCES,
        }
    }
}

/// Host setting: how many days the conversation store keeps the words of texts.
pub const CONFIG_MESSAGE_RETENTION_DAYS: &str = "message-retention-days";
/// A year.
pub const DEFAULT_MESSAGE_RETENTION_DAYS: u32 = 365;

/// Reads `message-retention-days`: a whole number of days, at least 1.
pub fn parse_retention_days(text: &str) -> Result<u32, String> {
    match text.trim().parse::<u32>() {
        Ok(days) if days > 0 => Ok(days),
        _ => Err(format!(
            "message-retention-days is a whole number of days above 0 (365 keeps a year), \
             not '{text}'"
        )),
    }
}

/// `sync` looks at sends from this far back: 72 hours.
pub const SYNC_WINDOW_SECS: i64 = 72 * 3600;
/// Host setting: how many requests a second `sync` makes at most.
pub const CONFIG_SYNC_REQUESTS_PER_SECOND: &str = "sync-requests-per-second";
/// One request a second.
pub const DEFAULT_SYNC_REQUESTS_PER_SECOND: u32 = 1;

/// Reads `sync-requests-per-second`: a whole number from 1 to 100.
pub fn parse_sync_rate(text: &str) -> Result<u32, String> {
    match text.trim().parse::<u32>() {
        Ok(rate) if (1..=100).contains(&rate) => Ok(rate),
        _ => Err(format!(
            "sync-requests-per-second is a whole number from 1 to 100, not '{text}'"
        )),
    }
}

/// What one `sync` did.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct SyncReport {
    /// The sends of unknown outcome it looked for, and what it found.
    pub resolved: Vec<ResolvedSend>,
    /// The delivery statuses it fetched (and recorded).
    pub polled: Vec<types::DeliveryUpdate>,
    /// What it could not read, with the sentence for staff.
    pub failed: Vec<SyncFailure>,
}

/// A send of unknown outcome that `sync` looked for.
#[derive(Debug, Clone, PartialEq)]
pub struct ResolvedSend {
    /// Its audit row.
    pub audit_id: i64,
    /// The customer's number.
    pub to: String,
    /// What Twilio's list said.
    pub outcome: Resolved,
}

/// What Twilio's list said about a send of unknown outcome.
#[derive(Debug, Clone, PartialEq)]
pub enum Resolved {
    /// It was sent: the audit row now has its SID.
    Sent(types::Receipt),
    /// It was not: safe to send again.
    NotSent,
    /// The list could not tell; why.
    StillUnknown(String),
}

/// Something `sync` could not read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SyncFailure {
    /// Which send.
    pub what: String,
    /// The sentence for staff.
    pub why: String,
}

/// What [`Harness::group_commits`] reports.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct GroupCommits {
    /// Writes handed to the group commit.
    pub writes: u64,
    /// Transactions committed for them.
    pub transactions: u64,
}

/// The pre-instantiated plugin, at the API version it was built for.
enum Pre {
    V0_1(v0_1::PluginPre<HostState>),
    V0_2(v0_2::PluginPre<HostState>),
}

/// One instance of the plugin, at its API version.
enum Instance {
    V0_1(v0_1::Plugin),
    V0_2(v0_2::Plugin),
}

/// A loaded, pre-instantiated plugin and the host state around it. Share it (`Arc`) between
/// tasks: every call runs in its own instance.
pub struct Harness {
    pre: Pre,
    parts: StateParts,
    declared: Arc<Vec<Origin>>,
    policy: Arc<OutboundPolicy>,
    timeouts: Timeouts,
    denials: DenialLog,
    resolver: Arc<dyn Resolver>,
    /// The plugin's connections, kept open between calls.
    connector: Arc<Connector>,
    cache: CacheOutcome,
    /// One permit per slot of the engine's instance pool.
    slots: Arc<tokio::sync::Semaphore>,
}

// A POS shares one harness between its tasks and threads.
const _: fn() = || {
    fn shared<T: Send + Sync>() {}
    shared::<Harness>();
};

/// The plugin's bytes and manifest, as the configuration names them.
fn plugin_source(config: &HarnessConfig) -> Result<(Cow<'static, [u8]>, Manifest), LoadError> {
    let manifest = |wasm: Option<&PathBuf>| match (wasm, &config.manifest) {
        (_, Some(path)) => Manifest::load(path),
        (Some(wasm), None) => Manifest::load(&manifest::manifest_path_for(wasm)),
        (None, None) => Manifest::parse(manifest::EMBEDDED_MANIFEST),
    };
    match &config.plugin {
        Some(path) => {
            let wasm = std::fs::read(path).map_err(|source| LoadError::ReadPlugin {
                path: path.clone(),
                source,
            })?;
            Ok((wasm.into(), manifest(Some(path))?))
        }
        None => Ok((embedded_plugin()?.into(), manifest(None)?)),
    }
}

#[cfg(feature = "embedded-plugin")]
fn embedded_plugin() -> Result<&'static [u8], LoadError> {
    Ok(crate::EMBEDDED_PLUGIN)
}

#[cfg(not(feature = "embedded-plugin"))]
fn embedded_plugin() -> Result<&'static [u8], LoadError> {
    Err(LoadError::NoPlugin)
}

impl Harness {
    /// Opens the database, loads the plugin (from the cache when it was compiled before),
    /// checks it against its manifest, and pre-instantiates it.
    pub fn open(config: HarnessConfig) -> Result<Harness, Error> {
        let store = HostStore::open(&config.data_dir)?;
        let clock = config.clock.clone();
        store.set_clock(move || clock.now_unix())?;
        let (wasm, manifest) = plugin_source(&config)?;
        if config.limits.memory_bytes > runtime::MAX_MEMORY_BYTES {
            return Err(LoadError::Engine(format!(
                "the memory limit is {} bytes, above the {} an instance can have; lower \
                 Limits::memory_bytes",
                config.limits.memory_bytes,
                runtime::MAX_MEMORY_BYTES
            ))
            .into());
        }
        if config.max_instances == 0 {
            return Err(LoadError::Engine(
                "max_instances is 0, so no call could ever run; allow at least 1".into(),
            )
            .into());
        }
        let engine = runtime::new_engine(config.max_instances)?;
        let cache_dir = config
            .cache_dir
            .clone()
            .unwrap_or_else(|| config.data_dir.join("cache"));
        let (component, cache) = runtime::load_component(&engine, &wasm, &cache_dir)?;
        let (_, exports) = runtime::interface_names(&engine, &component);
        crate::api::check_plugin(&manifest, &exports).map_err(LoadError::ApiVersion)?;
        let link = |e: wasmtime::Error| LoadError::Link(format!("{e:#}"));
        let pre = linker(&engine)?.instantiate_pre(&component).map_err(link)?;
        // `check_plugin` proved the component exports the version its manifest names.
        let pre = if manifest.api_version == Version::new(0, 1, 0) {
            Pre::V0_1(v0_1::PluginPre::new(pre).map_err(link)?)
        } else {
            Pre::V0_2(v0_2::PluginPre::new(pre).map_err(link)?)
        };
        let reader = Arc::new(Mutex::new(store.open_reader()?));
        let store = Arc::new(Mutex::new(store));
        let writer = Arc::new(GroupWriter::start(store.clone())?);
        let harness = Harness {
            pre,
            declared: Arc::new(manifest.outbound.clone()),
            parts: StateParts {
                store,
                reader,
                writer,
                limits: config.limits,
                pacer: SharedPacer::default(),
                manifest: Arc::new(manifest),
                clock: config.clock,
            },
            policy: Arc::new(config.policy),
            timeouts: config.timeouts,
            resolver: config.resolver.clone(),
            connector: Arc::default(),
            denials: DenialLog::default(),
            cache,
            slots: Arc::new(tokio::sync::Semaphore::new(config.max_instances as usize)),
        };
        // Old texts lose their words on every open; a failure here is the store's to fix and
        // does not stop the harness.
        if let Err(e) = harness.purge_expired() {
            log::error!("could not purge texts past their retention: {e}");
        }
        Ok(harness)
    }

    /// The loaded plugin's manifest.
    pub fn manifest(&self) -> &Manifest {
        &self.parts.manifest
    }

    /// The current time by the harness's clock, Unix seconds.
    pub fn now_unix(&self) -> i64 {
        self.parts.clock.now_unix()
    }

    /// Whether the compiled plugin came from the cache.
    pub fn cache_outcome(&self) -> CacheOutcome {
        self.cache
    }

    /// The store's group commit so far: writes of sends and webhooks handed to it, and the
    /// transactions (one fsync each) they took. Concurrent calls share transactions.
    pub fn group_commits(&self) -> GroupCommits {
        GroupCommits {
            writes: self.parts.writer.writes(),
            transactions: self.parts.writer.batches(),
        }
    }

    /// A fresh instance, for one call or a batch of calls.
    pub async fn session(&self) -> Result<Session, Error> {
        // The semaphore is never closed.
        let slot = self
            .slots
            .clone()
            .acquire_owned()
            .await
            .map_err(|_| Error::Trap("the harness is closing".into()))?;
        let denials = self.denials.for_session();
        let hooks = PolicyHooks::new(
            self.policy.clone(),
            self.declared.clone(),
            self.timeouts,
            denials.clone(),
            self.resolver.clone(),
            self.connector.clone(),
        );
        let engine = match &self.pre {
            Pre::V0_1(pre) => pre.engine(),
            Pre::V0_2(pre) => pre.engine(),
        };
        let mut store = Store::new(engine, HostState::new(self.parts.clone(), hooks));
        limits::install(&mut store, |s| &mut s.enforcer);
        let plugin = match &self.pre {
            Pre::V0_1(pre) => Instance::V0_1(
                pre.instantiate_async(&mut store)
                    .await
                    .map_err(call_failed)?,
            ),
            Pre::V0_2(pre) => Instance::V0_2(
                pre.instantiate_async(&mut store)
                    .await
                    .map_err(call_failed)?,
            ),
        };
        Ok(Session {
            store,
            plugin,
            api_version: self.parts.manifest.api_version.to_string(),
            denials,
            _slot: slot,
        })
    }

    /// See [`Session::connect`].
    pub async fn connect(&self, c: types::Credentials) -> Result<types::Account, Error> {
        self.session().await?.connect(c).await
    }

    /// See [`Session::disconnect`].
    pub async fn disconnect(&self) -> Result<(), Error> {
        self.session().await?.disconnect().await
    }

    /// See [`Session::status`].
    pub async fn status(&self) -> Result<types::ConnectionStatus, Error> {
        self.session().await?.status().await
    }

    /// See [`Session::send`].
    pub async fn send(&self, o: types::Outgoing) -> Result<types::Receipt, Error> {
        self.session().await?.send(o).await
    }

    /// See [`Session::test`].
    pub async fn test(&self, to: &str, user: &str) -> Result<types::Receipt, Error> {
        self.session().await?.test(to, user).await
    }

    /// See [`Session::segment_count`].
    pub async fn segment_count(
        &self,
        body: &str,
        smart_encoding: bool,
        price_per_segment_micros: Option<u64>,
    ) -> Result<types::SegmentInfo, Error> {
        self.session()
            .await?
            .segment_count(body, smart_encoding, price_per_segment_micros)
            .await
    }

    /// See [`Session::smart_substitutions`].
    pub async fn smart_substitutions(&self, body: &str) -> Result<Vec<types::Substitution>, Error> {
        self.session().await?.smart_substitutions(body).await
    }

    /// See [`Session::normalize_phone`].
    pub async fn normalize_phone(&self, text: &str) -> Result<String, Error> {
        self.session().await?.normalize_phone(text).await
    }

    /// See [`Session::notify`].
    pub async fn notify(&self, event: types::NoticeEvent) -> Result<types::NoticeOutcome, Error> {
        self.session().await?.notify(event).await
    }

    /// See [`Session::classify_reply`].
    pub async fn classify_reply(
        &self,
        body: &str,
    ) -> Result<Option<types::ReplyClassification>, Error> {
        self.session().await?.classify_reply(body).await
    }

    /// See [`Session::handle_webhook`].
    pub async fn handle_webhook(
        &self,
        request: types::WebhookRequest,
    ) -> Result<types::WebhookEvent, Error> {
        self.session().await?.handle_webhook(request).await
    }

    /// The newest `limit` audit rows, oldest first, with their delivery status.
    pub fn audit(&self, limit: u32) -> Result<Vec<AuditRow>, Error> {
        Ok(self.db().audit(limit)?)
    }

    /// The newest `limit` customer replies (from `number` when given), oldest first.
    pub fn replies(&self, number: Option<&str>, limit: u32) -> Result<Vec<Reply>, Error> {
        Ok(self.db().replies(number, limit)?)
    }

    /// Sets a host setting (`store-name`, `smart-encoding`, …).
    pub fn set_config(&self, key: &str, value: &str) -> Result<(), Error> {
        Ok(self.db().set_config(key, value)?)
    }

    /// Removes a host setting.
    pub fn unset_config(&self, key: &str) -> Result<(), Error> {
        Ok(self.db().unset_config(key)?)
    }

    /// One host setting.
    pub fn get_config(&self, key: &str) -> Result<Option<String>, Error> {
        Ok(self.db().get_config(key)?)
    }

    /// Every host setting.
    pub fn list_config(&self) -> Result<Vec<(String, String)>, Error> {
        Ok(self.db().list_config()?)
    }

    /// The plugin requests the policy refused since this harness opened.
    pub fn denials(&self) -> Vec<Denial> {
        self.denials.all()
    }

    /// Every customer's thread, the most recent first, with its last message and unread
    /// replies.
    pub fn inbox(&self) -> Result<Vec<ThreadSummary>, Error> {
        Ok(self.db().threads()?)
    }

    /// One customer's thread, oldest first (the store's texts with their delivery status,
    /// the customer's replies), and marks its replies read.
    pub async fn thread(&self, number: &str) -> Result<Vec<ThreadMessage>, Error> {
        let number = self.normalize_phone(number).await?;
        Ok(self.db().thread(&number)?)
    }

    /// Removes the words of texts older than `message-retention-days` (default 365) from
    /// the conversation store; the audit log keeps its rows. Returns how many were removed.
    /// [`Harness::open`] and [`crate::serve`] run it.
    pub fn purge_expired(&self) -> Result<usize, Error> {
        let days = self.retention_days()?;
        let cut = self
            .now_unix()
            .saturating_sub(i64::from(days).saturating_mul(86_400));
        Ok(self.db().purge_bodies(cut)?)
    }

    /// The `message-retention-days` setting, or why it cannot be used.
    fn retention_days(&self) -> Result<u32, Error> {
        match self.db().get_config(CONFIG_MESSAGE_RETENTION_DAYS)? {
            None => Ok(DEFAULT_MESSAGE_RETENTION_DAYS),
            Some(text) => parse_retention_days(&text).map_err(Error::Invalid),
        }
    }

    /// Reads back from Twilio what its callbacks would have said, for a store with no public
    /// URL: first, each send of unknown outcome from the last [`SYNC_WINDOW_SECS`] is looked
    /// for in Twilio's list and its audit row settled (sent, with its SID; not sent, safe to
    /// send again; or still unknown, with why); then every accepted send of that window whose
    /// status is not final is fetched and its status recorded as a callback would be. The
    /// requests are paced to `sync-requests-per-second` (default 1); Twilio's 429 is honoured.
    pub async fn sync(&self) -> Result<SyncReport, Error> {
        let since = self.now_unix().saturating_sub(SYNC_WINDOW_SECS);
        let pace = self.sync_pace()?;
        let mut session = self.session().await?;
        let mut report = SyncReport::default();
        let mut first = true;
        let mut wait = || {
            let now = !std::mem::take(&mut first);
            async move {
                if now {
                    tokio::time::sleep(pace).await;
                }
            }
        };
        let unknown = self.db().unknown_sends(since)?;
        for row in unknown {
            wait().await;
            let known_sids = self.db().known_sids(&row.to)?;
            let send = types::UnknownSend {
                to: row.to.clone(),
                body: row.body.clone(),
                sent_at: u64::try_from(row.sent_at).unwrap_or(0),
                known_sids,
            };
            let outcome = match session.resolve_unknown(send).await {
                Ok(outcome) => outcome,
                Err(Error::Plugin(e)) => {
                    report.failed.push(SyncFailure {
                        what: format!("audit row {}", row.audit_id),
                        why: e.message,
                    });
                    continue;
                }
                Err(other) => return Err(other),
            };
            let db = self.db();
            let resolved = match &outcome {
                types::UnknownResolution::Sent(receipt) => {
                    let note = format!(
                        "outcome resolved by sync: Twilio created it as {}",
                        receipt.sid
                    );
                    db.settle_unknown(
                        row.audit_id,
                        &SettledSend {
                            message_sid: Some(&receipt.sid),
                            status: &receipt.status,
                            error_kind: None,
                            note: &note,
                        },
                    )?;
                    // The notice was sent: a repeat of its event gets this receipt.
                    if let Some(key) = &row.notice_key {
                        let sent = (
                            receipt.sid.as_str(),
                            receipt.to.as_str(),
                            receipt.status.as_str(),
                            receipt.segments,
                        );
                        db.finish_notice(key, Some(sent))?;
                    }
                    Resolved::Sent(receipt.clone())
                }
                types::UnknownResolution::NotSent => {
                    db.settle_unknown(
                        row.audit_id,
                        &SettledSend {
                            message_sid: None,
                            status: "failed",
                            error_kind: Some("network"),
                            note: "outcome resolved by sync: Twilio has no such message, so \
                                   nothing was sent and it is safe to send again",
                        },
                    )?;
                    // The notice was not sent: its event may be tried again.
                    if let Some(key) = &row.notice_key {
                        db.finish_notice(key, None)?;
                    }
                    Resolved::NotSent
                }
                types::UnknownResolution::StillUnknown(why) => {
                    db.note_unknown(row.audit_id, &format!("sync could not tell: {why}"))?;
                    Resolved::StillUnknown(why.clone())
                }
            };
            report.resolved.push(ResolvedSend {
                audit_id: row.audit_id,
                to: row.to,
                outcome: resolved,
            });
        }
        let pending = self.db().pending_deliveries(since)?;
        for (audit_id, sid) in pending {
            wait().await;
            match session.poll_delivery(&sid).await {
                Ok(update) => report.polled.push(update),
                Err(Error::Plugin(e)) => report.failed.push(SyncFailure {
                    what: format!("{sid} (audit row {audit_id})"),
                    why: e.message,
                }),
                Err(other) => return Err(other),
            }
        }
        Ok(report)
    }

    /// The wait between two sync requests.
    fn sync_pace(&self) -> Result<std::time::Duration, Error> {
        let rate = match self.db().get_config(CONFIG_SYNC_REQUESTS_PER_SECOND)? {
            None => DEFAULT_SYNC_REQUESTS_PER_SECOND,
            Some(text) => parse_sync_rate(&text).map_err(Error::Invalid)?,
        };
        Ok(std::time::Duration::from_secs_f64(1.0 / f64::from(rate)))
    }

    /// The store's stop list, oldest opt-out first.
    pub fn opt_outs(&self) -> Result<Vec<OptOutRow>, Error> {
        Ok(self.db().opt_outs()?)
    }

    /// Every opt-out and opt-in request for a number, oldest first (repeats too).
    pub async fn stop_list_history(&self, number: &str) -> Result<Vec<StopListEvent>, Error> {
        let number = self.normalize_phone(number).await?;
        Ok(self.db().stop_list_history(&number)?)
    }

    /// Puts a number on the stop list by hand (the customer asked in person, by phone, by
    /// email), audited with `user`. Returns false when it was on the list already.
    pub async fn record_opt_out(&self, number: &str, user: &str) -> Result<bool, Error> {
        let number = self.staff_number(number, user).await?;
        let mut db = self.db();
        let added = db.record_opt_out(&OptOutEntry::staff(&number, user))?;
        let note = (!added).then(|| "already on the stop list".to_string());
        db.append_audit(&AuditEntry::staff_action("opt-out", &number, user, note))?;
        Ok(added)
    }

    /// Takes a number off the stop list by hand, audited with `user`. Returns false when it
    /// was not on it. Only do this when the customer asked to be texted again.
    pub async fn record_opt_in(&self, number: &str, user: &str) -> Result<bool, Error> {
        let number = self.staff_number(number, user).await?;
        let mut db = self.db();
        let removed = db.record_opt_in(&OptOutEntry::staff(&number, user))?;
        let note = (!removed).then(|| "was not on the stop list".to_string());
        db.append_audit(&AuditEntry::staff_action("opt-in", &number, user, note))?;
        Ok(removed)
    }

    /// Records a customer's consent as evidence, audited with its user.
    pub async fn grant_consent(&self, consent: NewConsent<'_>) -> Result<ConsentRow, Error> {
        let number = self.staff_number(consent.number, consent.user).await?;
        let db = self.db();
        let row = db.grant_consent(&NewConsent {
            number: &number,
            ..consent
        })?;
        let note = format!("{} consent, {}", row.purpose, row.source);
        db.append_audit(&AuditEntry::staff_action(
            "consent-grant",
            &number,
            consent.user,
            Some(note),
        ))?;
        Ok(row)
    }

    /// Revokes a customer's consents in force (of `purpose`, or all), audited with `user`.
    /// Returns how many were revoked.
    pub async fn revoke_consent(
        &self,
        number: &str,
        purpose: Option<types::Purpose>,
        user: &str,
        reason: Option<&str>,
    ) -> Result<usize, Error> {
        let number = self.staff_number(number, user).await?;
        let purpose = purpose.map(purpose_name);
        let db = self.db();
        let revoked = db.revoke_consent(&number, purpose, user, reason)?;
        let note = format!("{} consent, {revoked} revoked", purpose.unwrap_or("every"));
        db.append_audit(&AuditEntry::staff_action(
            "consent-revoke",
            &number,
            user,
            Some(note),
        ))?;
        Ok(revoked)
    }

    /// Every consent recorded for a number, revoked ones too, oldest first.
    pub async fn consents(&self, number: &str) -> Result<Vec<ConsentRow>, Error> {
        let number = self.normalize_phone(number).await?;
        Ok(self.db().consents(&number)?)
    }

    /// The notices held until quiet hours end, the soonest due first.
    pub fn held_notices(&self) -> Result<Vec<HeldRow>, Error> {
        Ok(self.db().held_notices(None)?)
    }

    /// Sends the held notices that are due by the harness's clock, each through `notify`
    /// again: the stop list and quiet hours are checked anew. Each run takes a notice before
    /// it sends it, so two runs at once (cron and `serve`, or two processes) send each notice
    /// once, and the second leaves it alone; behind that, the notice's idempotency key
    /// stops a second text too. An opt-out that arrived meanwhile cancels the notice (the
    /// plugin audits the refusal).
    pub async fn release_due(&self) -> Result<Vec<Released>, Error> {
        let now = self.now_unix();
        let due = self.db().held_notices(Some(now))?;
        let mut released = Vec::with_capacity(due.len());
        for held in due {
            if !self.db().take_held(&held.key, now)? {
                continue; // another run is sending it
            }
            let event: types::NoticeEvent = match serde_json::from_str(&held.event) {
                Ok(event) => event,
                Err(e) => {
                    let why = format!("the held notice cannot be read back: {e}");
                    self.db().settle_held(&held.key, "failed", &why)?;
                    released.push(Released::Failed { held, why });
                    continue;
                }
            };
            let outcome = match self.notify(event).await {
                Ok(types::NoticeOutcome::Sent(receipt)) => {
                    self.db()
                        .settle_held(&held.key, "sent", &receipt.receipt.sid)?;
                    Released::Sent { held, receipt }
                }
                Ok(types::NoticeOutcome::Held(again)) => Released::StillHeld { held, again },
                Err(Error::Plugin(e)) if e.error == types::Error::RecipientOptedOut => {
                    self.db()
                        .settle_held(&held.key, "cancelled", "the customer opted out")?;
                    Released::Cancelled {
                        held,
                        why: e.message,
                    }
                }
                Err(Error::Plugin(e)) => {
                    // Not sent, or (outcome-unknown) perhaps sent: staff read the sentence,
                    // which says to check Twilio's logs before sending again.
                    self.db().settle_held(&held.key, "failed", &e.message)?;
                    Released::Failed {
                        held,
                        why: e.message,
                    }
                }
                Err(other) => return Err(other),
            };
            released.push(outcome);
        }
        Ok(released)
    }

    /// A number staff typed, in E.164, or why it cannot be used.
    async fn staff_number(&self, number: &str, user: &str) -> Result<String, Error> {
        if user.trim().is_empty() {
            return Err(Error::Invalid(
                "say who is recording this: pass the staff user's name".into(),
            ));
        }
        self.normalize_phone(number).await
    }

    fn db(&self) -> MutexGuard<'_, HostStore> {
        self.parts.store.lock().unwrap_or_else(|p| p.into_inner())
    }
}

/// What releasing one held notice did.
#[derive(Debug, Clone)]
pub enum Released {
    /// Sent now.
    Sent {
        /// The notice as it was held.
        held: HeldRow,
        /// What `notify` returned.
        receipt: types::NoticeReceipt,
    },
    /// Not sent: the customer opted out while it was held.
    Cancelled {
        /// The notice as it was held.
        held: HeldRow,
        /// The sentence for staff.
        why: String,
    },
    /// Still outside quiet hours (the window moved): held again.
    StillHeld {
        /// The notice as it was held.
        held: HeldRow,
        /// The new hold.
        again: types::HeldNotice,
    },
    /// Not sent, for another reason (or, outcome unknown, perhaps sent).
    Failed {
        /// The notice as it was held.
        held: HeldRow,
        /// The sentence for staff.
        why: String,
    },
}

/// A failed call into the plugin: a limit it passed, or a trap. (`downcast_ref` looks
/// through the whole context chain wasmtime adds.)
fn call_failed(e: wasmtime::Error) -> Error {
    match e.downcast_ref::<LimitExceeded>() {
        Some(limit) => Error::Limit(limit.clone()),
        None => Error::Trap(format!("{e:#}")),
    }
}

/// The plugin's typed error with its sentence, or the host's refusal behind it.
fn plugin_error(denials: &DenialLog, error: types::Error, message: String) -> Error {
    let plugin = PluginError { error, message };
    if matches!(plugin.error, types::Error::DeniedByHost(_))
        && let Some(denial) = denials.take_last()
    {
        return Error::Refused(Box::new(Refusal { denial, plugin }));
    }
    Error::Plugin(plugin)
}

/// One plugin instance. Reuse it for many calls (the CLI's JSON-lines modes do); after an
/// error other than [`Error::Plugin`] or [`Error::Refused`], start a new one.
pub struct Session {
    store: Store<HostState>,
    plugin: Instance,
    api_version: String,
    denials: DenialLog,
    /// The pool slot the instance holds, released after it (fields drop in order).
    _slot: tokio::sync::OwnedSemaphorePermit,
}

/// Calls export `$call` of whichever version the session's plugin is. `$new` is the 0.2.0
/// call's argument list; `$old` the 0.1.0 one (converted); the 0.1.0 result is converted to
/// the 0.2.0 type with `$back`. Errors get their sentence from the same plugin.
macro_rules! call {
    ($self:ident, $call:ident ($($new:expr),*) ; ($($old:expr),*) ; $back:expr) => {{
        $self.begin();
        match &$self.plugin {
            Instance::V0_2(p) => {
                let r = p.pos_sms_sms().$call(&mut $self.store $(, $new)*).await;
                $self.settle_v0_2(r).await
            }
            Instance::V0_1(p) => {
                let r = p.pos_sms_sms().$call(&mut $self.store $(, $old)*).await;
                match r.map_err(call_failed)? {
                    Ok(v) => Ok($back(v)),
                    Err(e) => {
                        let message = p
                            .pos_sms_sms()
                            .call_describe_error(&mut $self.store, &e)
                            .await
                            .map_err(call_failed)?;
                        Err(plugin_error(&$self.denials, e.into(), message))
                    }
                }
            }
        }
    }};
}

impl Session {
    /// Starts the CPU clock for one export call.
    fn begin(&mut self) {
        self.store.data_mut().enforcer.start_call();
        self.store.set_epoch_deadline(1);
        self.denials.clear_session();
    }

    /// The error for something the loaded plugin's API version cannot do.
    fn unsupported(&self, what: &'static str) -> Error {
        Error::Unsupported {
            api_version: self.api_version.clone(),
            what,
        }
    }

    /// Checks the credentials' format, proves them against Twilio, and stores them.
    pub async fn connect(&mut self, c: types::Credentials) -> Result<types::Account, Error> {
        let old: old::Credentials = c.clone().into();
        call!(self, call_connect(&c); (&old); types::Account::from)
    }

    /// Forgets the stored credentials.
    pub async fn disconnect(&mut self) -> Result<(), Error> {
        call!(self, call_disconnect(); (); |v| v)
    }

    /// Whether credentials are stored.
    pub async fn status(&mut self) -> Result<types::ConnectionStatus, Error> {
        self.begin();
        match &self.plugin {
            Instance::V0_2(p) => p.pos_sms_sms().call_status(&mut self.store).await,
            Instance::V0_1(p) => p
                .pos_sms_sms()
                .call_status(&mut self.store)
                .await
                .map(Into::into),
        }
        .map_err(call_failed)
    }

    /// Sends one text. Refused before any request for a number on the stop list, a
    /// marketing text without consent, and outside quiet hours unless overridden.
    pub async fn send(&mut self, o: types::Outgoing) -> Result<types::Receipt, Error> {
        if matches!(self.plugin, Instance::V0_1(_)) && o.purpose == types::Purpose::Marketing {
            return Err(self.unsupported("check marketing consent before a send"));
        }
        let old = old::Outgoing {
            to: o.to.clone(),
            body: o.body.clone(),
            user: o.user.clone(),
        };
        call!(self, call_send(&o); (&old); types::Receipt::from)
    }

    /// Sends the test message.
    pub async fn test(&mut self, to: &str, user: &str) -> Result<types::Receipt, Error> {
        call!(self, call_test(to, user); (to, user); types::Receipt::from)
    }

    /// Counts characters and segments, and prices them (none: $0.008 a segment).
    pub async fn segment_count(
        &mut self,
        body: &str,
        smart_encoding: bool,
        price_per_segment_micros: Option<u64>,
    ) -> Result<types::SegmentInfo, Error> {
        self.begin();
        match &self.plugin {
            Instance::V0_2(p) => {
                p.pos_sms_sms()
                    .call_segment_count(
                        &mut self.store,
                        body,
                        smart_encoding,
                        price_per_segment_micros,
                    )
                    .await
            }
            Instance::V0_1(p) => p
                .pos_sms_sms()
                .call_segment_count(
                    &mut self.store,
                    body,
                    smart_encoding,
                    price_per_segment_micros,
                )
                .await
                .map(Into::into),
        }
        .map_err(call_failed)
    }

    /// Sends an automated notice once per event id, paced to the host's budget; outside
    /// quiet hours it is held (the plugin asks the host to keep it) and comes back `held`.
    pub async fn notify(
        &mut self,
        event: types::NoticeEvent,
    ) -> Result<types::NoticeOutcome, Error> {
        let old: old::NoticeEvent = event.clone().into();
        call!(self, call_notify(&event); (&old); |r: old::NoticeReceipt| {
            types::NoticeOutcome::Sent(r.into())
        })
    }

    /// Verifies a webhook Twilio sent and records what it says.
    pub async fn handle_webhook(
        &mut self,
        request: types::WebhookRequest,
    ) -> Result<types::WebhookEvent, Error> {
        let old: old::WebhookRequest = request.clone().into();
        call!(self, call_handle_webhook(&request); (&old); types::WebhookEvent::from)
    }

    /// Normalizes a phone number to E.164.
    pub async fn normalize_phone(&mut self, text: &str) -> Result<String, Error> {
        call!(self, call_normalize_phone(text); (text); |v| v)
    }

    /// Fetches a sent message's status from Twilio and records it as a callback would.
    pub async fn poll_delivery(
        &mut self,
        message_sid: &str,
    ) -> Result<types::DeliveryUpdate, Error> {
        self.begin();
        let Instance::V0_2(p) = &self.plugin else {
            return Err(self.unsupported("read delivery statuses back from Twilio"));
        };
        let r = p
            .pos_sms_sms()
            .call_poll_delivery(&mut self.store, message_sid)
            .await;
        self.settle_v0_2(r).await
    }

    /// Looks for a send of unknown outcome in Twilio's list of messages.
    pub async fn resolve_unknown(
        &mut self,
        send: types::UnknownSend,
    ) -> Result<types::UnknownResolution, Error> {
        self.begin();
        let Instance::V0_2(p) = &self.plugin else {
            return Err(self.unsupported("look for sends of unknown outcome"));
        };
        let r = p
            .pos_sms_sms()
            .call_resolve_unknown(&mut self.store, &send)
            .await;
        self.settle_v0_2(r).await
    }

    /// The result of a 0.2.0-only call, with the plugin's sentence for its error.
    async fn settle_v0_2<T>(
        &mut self,
        r: wasmtime::Result<Result<T, types::Error>>,
    ) -> Result<T, Error> {
        let Instance::V0_2(p) = &self.plugin else {
            return Err(self.unsupported("answer this call"));
        };
        match r.map_err(call_failed)? {
            Ok(v) => Ok(v),
            Err(e) => {
                let message = p
                    .pos_sms_sms()
                    .call_describe_error(&mut self.store, &e)
                    .await
                    .map_err(call_failed)?;
                Err(plugin_error(&self.denials, e, message))
            }
        }
    }

    /// What the plugin's rule table makes of a reply, without recording anything.
    pub async fn classify_reply(
        &mut self,
        body: &str,
    ) -> Result<Option<types::ReplyClassification>, Error> {
        self.begin();
        match &self.plugin {
            Instance::V0_2(p) => p
                .pos_sms_sms()
                .call_classify_reply(&mut self.store, body)
                .await
                .map_err(call_failed),
            Instance::V0_1(_) => Err(self.unsupported("classify replies")),
        }
    }

    /// What smart encoding would replace in `body` (each character once, in order), for a
    /// counter that shows what "use plain quotes and dashes" changes.
    pub async fn smart_substitutions(
        &mut self,
        body: &str,
    ) -> Result<Vec<types::Substitution>, Error> {
        self.begin();
        match &self.plugin {
            Instance::V0_2(p) => p
                .pos_sms_sms()
                .call_smart_substitutions(&mut self.store, body)
                .await
                .map_err(call_failed),
            Instance::V0_1(_) => Err(self.unsupported("list smart-encoding substitutions")),
        }
    }
}
