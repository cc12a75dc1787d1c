//! The API a POS calls: [`Harness`], a loaded plugin with the host state around it, and
//! [`Session`], one instance of it for one call or many.

use std::borrow::Cow;
use std::path::PathBuf;
use std::sync::{Arc, Mutex, MutexGuard};

use wasmtime::Store;

use crate::bindings::{Plugin, PluginPre};
use crate::error::{Denial, Error, LimitExceeded, LoadError, PluginError, Refusal};
use crate::imports::{HostState, SharedPacer, linker};
use crate::manifest::{self, Manifest};
use crate::origin::Origin;
use crate::policy::{DenialLog, OutboundPolicy, PolicyHooks, Timeouts};
use crate::runtime::limits::{self, Limits};
use crate::runtime::{self, CacheOutcome};
use crate::storage::{AuditRow, HostStore, Reply};
use crate::types;

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
        }
    }
}

/// A loaded, pre-instantiated plugin and the host state around it. Share it (`Arc`) between
/// tasks: every call runs in its own instance.
pub struct Harness {
    pre: PluginPre<HostState>,
    manifest: Arc<Manifest>,
    declared: Arc<Vec<Origin>>,
    store: Arc<Mutex<HostStore>>,
    policy: Arc<OutboundPolicy>,
    timeouts: Timeouts,
    limits: Limits,
    pacer: SharedPacer,
    denials: DenialLog,
    cache: CacheOutcome,
}

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
        let (wasm, manifest) = plugin_source(&config)?;
        let engine = runtime::new_engine()?;
        let cache_dir = config
            .cache_dir
            .clone()
            .unwrap_or_else(|| config.data_dir.join("cache"));
        let (component, cache) = runtime::load_component(&engine, &wasm, &cache_dir)?;
        let (_, exports) = runtime::interface_names(&engine, &component);
        crate::api::check_plugin(&manifest, &exports).map_err(LoadError::ApiVersion)?;
        let pre = linker(&engine)?
            .instantiate_pre(&component)
            .map_err(|e| LoadError::Link(format!("{e:#}")))?;
        let pre = PluginPre::new(pre).map_err(|e| LoadError::Link(format!("{e:#}")))?;
        Ok(Harness {
            pre,
            declared: Arc::new(manifest.outbound.clone()),
            manifest: Arc::new(manifest),
            store: Arc::new(Mutex::new(store)),
            policy: Arc::new(config.policy),
            timeouts: config.timeouts,
            limits: config.limits,
            pacer: SharedPacer::default(),
            denials: DenialLog::default(),
            cache,
        })
    }

    /// The loaded plugin's manifest.
    pub fn manifest(&self) -> &Manifest {
        &self.manifest
    }

    /// Whether the compiled plugin came from the cache.
    pub fn cache_outcome(&self) -> CacheOutcome {
        self.cache
    }

    /// A fresh instance, for one call or a batch of calls.
    pub async fn session(&self) -> Result<Session, Error> {
        let denials = self.denials.for_session();
        let hooks = PolicyHooks::new(
            self.policy.clone(),
            self.declared.clone(),
            self.timeouts,
            denials.clone(),
        );
        let mut store = Store::new(
            self.pre.engine(),
            HostState::new(
                self.store.clone(),
                hooks,
                self.limits,
                self.pacer.clone(),
                self.manifest.clone(),
            ),
        );
        limits::install(&mut store, |s| &mut s.enforcer);
        let plugin = self
            .pre
            .instantiate_async(&mut store)
            .await
            .map_err(call_failed)?;
        Ok(Session {
            store,
            plugin,
            denials,
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

    /// See [`Session::normalize_phone`].
    pub async fn normalize_phone(&self, text: &str) -> Result<String, Error> {
        self.session().await?.normalize_phone(text).await
    }

    /// See [`Session::notify`].
    pub async fn notify(&self, event: types::NoticeEvent) -> Result<types::NoticeReceipt, Error> {
        self.session().await?.notify(event).await
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

    /// Every host setting.
    pub fn list_config(&self) -> Result<Vec<(String, String)>, Error> {
        Ok(self.db().list_config()?)
    }

    /// The plugin requests the policy refused since this harness opened.
    pub fn denials(&self) -> Vec<Denial> {
        self.denials.all()
    }

    fn db(&self) -> MutexGuard<'_, HostStore> {
        self.store.lock().unwrap_or_else(|p| p.into_inner())
    }
}

/// A failed call into the plugin: a limit it passed, or a trap. (`downcast_ref` looks
/// through the whole context chain wasmtime adds.)
fn call_failed(e: wasmtime::Error) -> Error {
    match e.downcast_ref::<LimitExceeded>() {
        Some(limit) => Error::Limit(limit.clone()),
        None => Error::Trap(format!("{e:#}")),
    }
}

/// One plugin instance. Reuse it for many calls (the CLI's JSON-lines modes do); after an
/// error other than [`Error::Plugin`] or [`Error::Refused`], start a new one.
pub struct Session {
    store: Store<HostState>,
    plugin: Plugin,
    denials: DenialLog,
}

impl Session {
    /// Starts the CPU clock for one export call.
    fn begin(&mut self) {
        self.store.data_mut().enforcer.start_call();
        self.store.set_epoch_deadline(1);
        self.denials.clear_session();
    }

    async fn finish<T>(
        &mut self,
        result: wasmtime::Result<Result<T, types::Error>>,
    ) -> Result<T, Error> {
        let error = match result.map_err(call_failed)? {
            Ok(value) => return Ok(value),
            Err(error) => error,
        };
        let message = self
            .plugin
            .pos_sms_sms()
            .call_describe_error(&mut self.store, &error)
            .await
            .map_err(call_failed)?;
        let plugin = PluginError { error, message };
        if matches!(plugin.error, types::Error::DeniedByHost(_))
            && let Some(denial) = self.denials.take_last()
        {
            return Err(Error::Refused(Box::new(Refusal { denial, plugin })));
        }
        Err(Error::Plugin(plugin))
    }

    /// Checks the credentials' format, proves them against Twilio, and stores them.
    pub async fn connect(&mut self, c: types::Credentials) -> Result<types::Account, Error> {
        self.begin();
        let r = self
            .plugin
            .pos_sms_sms()
            .call_connect(&mut self.store, &c)
            .await;
        self.finish(r).await
    }

    /// Forgets the stored credentials.
    pub async fn disconnect(&mut self) -> Result<(), Error> {
        self.begin();
        let r = self
            .plugin
            .pos_sms_sms()
            .call_disconnect(&mut self.store)
            .await;
        self.finish(r).await
    }

    /// Whether credentials are stored.
    pub async fn status(&mut self) -> Result<types::ConnectionStatus, Error> {
        self.begin();
        let r = self.plugin.pos_sms_sms().call_status(&mut self.store).await;
        r.map_err(call_failed)
    }

    /// Sends one text.
    pub async fn send(&mut self, o: types::Outgoing) -> Result<types::Receipt, Error> {
        self.begin();
        let r = self
            .plugin
            .pos_sms_sms()
            .call_send(&mut self.store, &o)
            .await;
        self.finish(r).await
    }

    /// Sends the test message.
    pub async fn test(&mut self, to: &str, user: &str) -> Result<types::Receipt, Error> {
        self.begin();
        let r = self
            .plugin
            .pos_sms_sms()
            .call_test(&mut self.store, to, user)
            .await;
        self.finish(r).await
    }

    /// Counts characters and segments, and prices them (none: $0.008 a segment).
    pub async fn segment_count(
        &mut self,
        body: &str,
        smart_encoding: bool,
        price_per_segment_micros: Option<u64>,
    ) -> Result<types::SegmentInfo, Error> {
        self.begin();
        let r = self
            .plugin
            .pos_sms_sms()
            .call_segment_count(
                &mut self.store,
                body,
                smart_encoding,
                price_per_segment_micros,
            )
            .await;
        r.map_err(call_failed)
    }

    /// Sends an automated notice once per event id, paced to the host's budget.
    pub async fn notify(
        &mut self,
        event: types::NoticeEvent,
    ) -> Result<types::NoticeReceipt, Error> {
        self.begin();
        let r = self
            .plugin
            .pos_sms_sms()
            .call_notify(&mut self.store, &event)
            .await;
        self.finish(r).await
    }

    /// Verifies a webhook Twilio sent and records what it says.
    pub async fn handle_webhook(
        &mut self,
        request: types::WebhookRequest,
    ) -> Result<types::WebhookEvent, Error> {
        self.begin();
        let r = self
            .plugin
            .pos_sms_sms()
            .call_handle_webhook(&mut self.store, &request)
            .await;
        self.finish(r).await
    }

    /// Normalizes a phone number to E.164.
    pub async fn normalize_phone(&mut self, text: &str) -> Result<String, Error> {
        self.begin();
        let r = self
            .plugin
            .pos_sms_sms()
            .call_normalize_phone(&mut self.store, text)
            .await;
        self.finish(r).await
    }
}
