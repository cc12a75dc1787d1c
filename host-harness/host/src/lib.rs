//! `pos-sms-host`: the library a point-of-sale platform embeds to run the `pos:sms` SMS
//! plugin in wasmtime, with the plugin contained and the store's state kept.
//!
//! # Embedding
//! ```no_run
//! # async fn demo() -> Result<(), pos_sms_host::Error> {
//! use pos_sms_host::{Error, Harness, HarnessConfig, types::{Outgoing, Purpose}};
//!
//! let harness = Harness::open(HarnessConfig::new("/var/lib/pos/sms"))?;
//! let sent = harness
//!     .send(Outgoing {
//!         to: "(212) 555-0100".into(),
//!         body: "Your ring is ready".into(),
//!         user: "alice".into(),
//!         purpose: Purpose::Transactional,
//!         override_quiet_hours: false,
//!     })
//!     .await;
//! match sent {
//!     Ok(receipt) => println!("queued as {}", receipt.sid),
//!     // The plugin's typed error, and the sentence store staff read for it.
//!     Err(Error::Plugin(e)) => println!("{}: {}", e.kind(), e.message),
//!     Err(other) => eprintln!("host failure: {other}"),
//! }
//! # Ok(()) }
//! ```
//! 1. [`Harness::open`] opens the host's database ([`storage`]), takes the plugin (the one
//!    embedded at build time, or [`HarnessConfig::plugin`]) and its [`manifest`], gets its
//!    machine code from the cache or compiles it ([`runtime`]), checks the API version it
//!    exports ([`api`]), and pre-instantiates it against the imports of [`imports`].
//! 2. Each call runs in a fresh wasmtime store (tens of microseconds) with a memory and CPU
//!    limit ([`runtime::limits`]), a WASI context that inherits nothing, and the plugin's
//!    HTTP gated by the two-key outbound [`policy`].
//! 3. Errors are one type, [`Error`]: the plugin's own typed error ([`Error::Plugin`]), a
//!    refused destination, a limit, storage, loading, packages, a trap.
//!
//! [`serve`] is the webhook endpoint Twilio posts to; [`package`] builds, verifies and
//! installs signed marketplace packages.
//!
//! # Layers
//! Read the crate bottom-up; no module imports one above it:
//!
//! | layer | modules |
//! |---|---|
//! | 1. types | [`bindings`] (each supported WIT version, [`types`] the current one), [`error`], [`origin`], [`manifest`], [`api`] |
//! | 2. storage | [`storage`]: SQLite |
//! | 3. runtime | [`runtime`]: engine, compiled-component cache, limits, the clock |
//! | 4. policy | [`policy`]: the outbound grant and which addresses are public |
//! | 5. imports | [`imports`]: the `pos:sms/host` interface over storage, per-call state, linker |
//! | 6. API | [`harness`]: [`Harness`] and [`Session`] |
//! | 7. services | [`serve`] (webhooks) and [`package`] (verify, install), over the API |
//!
//! The library logs through the `log` crate (refused requests and settings, storage
//! failures, webhook requests); it prints nothing itself.

// `Error::Plugin` carries the plugin's generated WIT error by value (a quiet-hours error holds
// five strings), so a POS matches on it directly; boxing it would put a deref in every match
// for a value that is built once per failed call.
#![allow(clippy::result_large_err)]

pub mod api;
pub mod display;
pub mod error;
pub mod harness;
pub mod imports;
pub mod manifest;
pub mod origin;
pub mod package;
pub mod policy;
pub mod runtime;
pub mod serve;
pub mod storage;

pub mod bindings;

/// The WIT types hosts pass to and get from the plugin.
pub use bindings::v0_2::pos::sms::types;

pub use error::{CustomerError, Error, PluginError};
pub use harness::{GroupCommits, Harness, HarnessConfig, Session};

/// The plugin component this library was built with (feature `embedded-plugin`).
#[cfg(feature = "embedded-plugin")]
pub static EMBEDDED_PLUGIN: &[u8] = sms_plugin_artifact::COMPONENT;
