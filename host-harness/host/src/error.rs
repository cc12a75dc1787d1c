//! The one error type of this library, [`Error`], and the typed parts it is made of.
//!
//! Every public operation returns [`Error`]; a caller branches on its variants (and on the
//! variants inside them), never on message text. Each `Display` is a sentence that says what
//! went wrong and how to fix it.

use std::path::PathBuf;
use std::time::Duration;

use crate::origin::{Origin, OriginError};
use crate::types;

/// Why a call into this library failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The plugin returned one of its typed errors; the message is its sentence for staff.
    #[error("{0}")]
    Plugin(PluginError),
    /// The host's outbound policy refused a request the plugin made, and the plugin gave up
    /// (`denied-by-host`): which key was missing, and what staff see.
    #[error("{}", .0.plugin)]
    Refused(Box<Refusal>),
    /// The call passed a memory or CPU limit and was stopped; the host is unharmed.
    #[error(transparent)]
    Limit(LimitExceeded),
    /// The host's own storage failed.
    #[error(transparent)]
    Storage(#[from] StorageError),
    /// The plugin could not be loaded.
    #[error(transparent)]
    Load(#[from] LoadError),
    /// A package was refused, or installing it failed.
    #[error(transparent)]
    Package(#[from] PackageError),
    /// The plugin trapped (a bug in the plugin, not a limit): the call's instance is gone.
    #[error("the plugin failed: {0}")]
    Trap(String),
    /// The loaded plugin's API version has no way to do what was asked.
    #[error(
        "the plugin implements pos:sms {api_version}, which cannot {what}; install a plugin \
         built for pos:sms 0.2.0 or later"
    )]
    Unsupported {
        /// The plugin's API version.
        api_version: String,
        /// What was asked (`send marketing texts`).
        what: &'static str,
    },
    /// A value the caller passed cannot be used; the text says which and how to fix it.
    #[error("{0}")]
    Invalid(String),
    /// A customer could not be added or changed.
    #[error(transparent)]
    Customer(#[from] CustomerError),
    /// The webhook server could not listen on its address.
    #[error("could not listen on {addr}: {source}")]
    Listen {
        /// The address asked for.
        addr: std::net::SocketAddr,
        /// Why.
        source: std::io::Error,
    },
}

/// Why a customer could not be added or changed (a number that is not a phone number is the
/// plugin's `invalid-phone`, as [`Error::Plugin`]).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CustomerError {
    /// The name is empty (or only spaces).
    #[error("the customer's name is empty; type the name staff know them by")]
    EmptyName,
    /// The name is longer than [`CustomerError::MAX_NAME`] characters.
    #[error("the customer's name is {0} characters long; keep it to 100 or fewer")]
    NameTooLong(usize),
    /// There is no customer with this id (removed meanwhile?).
    #[error("there is no customer {0}; reload the list, it may have been removed")]
    NotFound(i64),
}

impl CustomerError {
    /// The longest name kept, in characters.
    pub const MAX_NAME: usize = 100;
}

/// A request the host refused, with the error the plugin then returned.
#[derive(Debug, Clone)]
pub struct Refusal {
    /// What the host refused, and why.
    pub denial: Denial,
    /// The plugin's error for it (`denied-by-host`), with its sentence for staff.
    pub plugin: PluginError,
}

/// The plugin's error with what a host shows for it.
#[derive(Debug, Clone, thiserror::Error)]
#[error("{message}")]
pub struct PluginError {
    /// The typed error.
    pub error: types::Error,
    /// A sentence for store staff, from the plugin's `describe-error`.
    pub message: String,
}

impl PluginError {
    /// The WIT case name (`recipient-opted-out`).
    pub fn kind(&self) -> &'static str {
        use types::Error as E;
        match &self.error {
            E::NotConnected => "not-connected",
            E::InvalidCredential(_) => "invalid-credential",
            E::CredentialsRejected => "credentials-rejected",
            E::InvalidPhone(_) => "invalid-phone",
            E::EmptyBody => "empty-body",
            E::BodyTooLong(_) => "body-too-long",
            E::RecipientUnreachable(_) => "recipient-unreachable",
            E::RecipientOptedOut => "recipient-opted-out",
            E::RegionNotPermitted => "region-not-permitted",
            E::RateLimited(_) => "rate-limited",
            E::OutcomeUnknown(_) => "outcome-unknown",
            E::DeniedByHost(_) => "denied-by-host",
            E::Twilio(_) => "twilio",
            E::Network(_) => "network",
            E::WebhookRejected(_) => "webhook-rejected",
            E::InvalidNotice(_) => "invalid-notice",
            E::QuietHours(_) => "quiet-hours",
            E::NoConsent => "no-consent",
            E::Other(_) => "other",
        }
    }

    /// Twilio's error code, when the error carries or stands for one.
    pub fn twilio_code(&self) -> Option<u32> {
        use types::Error as E;
        match &self.error {
            E::CredentialsRejected => Some(20003),
            E::RecipientOptedOut => Some(21610),
            E::RegionNotPermitted => Some(21408),
            E::RecipientUnreachable(t) | E::Twilio(t) => t.code,
            _ => None,
        }
    }
}

/// The limit a call passed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum LimitExceeded {
    /// The plugin asked for more linear memory than allowed.
    #[error("the plugin asked for {asked} bytes of memory; its limit is {limit}")]
    Memory {
        /// The limit, in bytes.
        limit: usize,
        /// The size it asked to grow to.
        asked: usize,
    },
    /// The plugin asked for a larger table than allowed.
    #[error("the plugin grew a table past its limit of {limit} elements")]
    Table {
        /// The limit, in elements.
        limit: usize,
    },
    /// The plugin's own code ran longer than allowed in one call.
    #[error("the plugin ran for more than {} ms in one call and was stopped", limit.as_millis())]
    Cpu {
        /// The limit.
        limit: Duration,
    },
}

/// A request of the plugin's that the host refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("refused the plugin's request {request}: {reason}")]
pub struct Denial {
    /// The method and URI the plugin asked for.
    pub request: String,
    /// Why it was refused.
    pub reason: DenialReason,
}

/// Which key of the two-key grant was missing, or what else stopped a request.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DenialReason {
    /// The URI has no `http`/`https` scheme and host.
    #[error("'{0}' has no http(s) scheme and host, so it matches no grant")]
    NoOrigin(String),
    /// The destination is an IP address or a local name.
    #[error("{0} is an IP address or local name; the plugin may only reach named hosts")]
    LocalDestination(Origin),
    /// The plugin's manifest does not declare the destination (the plugin's key).
    #[error(
        "{origin} is not among the destinations the plugin's manifest declares ({})",
        listed(declared, "it declares none", "declared")
    )]
    NotDeclared {
        /// Where the request was going.
        origin: Origin,
        /// What the manifest declares.
        declared: Vec<Origin>,
    },
    /// The host did not grant the destination (the host's key).
    #[error(
        "{origin} is not granted to the plugin ({})",
        listed(granted, "nothing is granted", "granted")
    )]
    NotGranted {
        /// Where the request was going.
        origin: Origin,
        /// What the host grants.
        granted: Vec<Origin>,
    },
    /// A granted name resolved to an address that is not globally reachable.
    #[error(
        "{origin} resolves to {address}, a private or local address; the plugin may only \
         reach public hosts"
    )]
    PrivateAddress {
        /// The granted destination.
        origin: Origin,
        /// The address it resolved to.
        address: std::net::IpAddr,
    },
}

fn listed(origins: &[Origin], none: &str, label: &str) -> String {
    if origins.is_empty() {
        return none.to_string();
    }
    let list: Vec<String> = origins.iter().map(Origin::to_string).collect();
    format!("{label}: {}", list.join(", "))
}

/// A failure of the host's own storage.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum StorageError {
    /// The data directory could not be created.
    #[error("could not create the data directory {path}: {source}")]
    DataDir {
        /// The directory.
        path: PathBuf,
        /// Why.
        source: std::io::Error,
    },
    /// The database could not be opened or set up.
    #[error("could not open the database {path}: {source}")]
    Open {
        /// The database file.
        path: PathBuf,
        /// Why.
        source: Box<dyn std::error::Error + Send + Sync>,
    },
    /// A statement failed.
    #[error("the database could not {action}: {source}")]
    Query {
        /// What was being done ("append to the audit log").
        action: &'static str,
        /// Why.
        source: Box<dyn std::error::Error + Send + Sync>,
    },
    /// An audit row the caller named does not exist.
    #[error("there is no audit row {0}")]
    NoAuditRow(i64),
    /// A stored value could not be read back.
    #[error("the database holds a value it cannot read ({0})")]
    Corrupt(String),
}

/// Why a plugin could not be loaded into a [`crate::Harness`].
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum LoadError {
    /// The `.wasm` file could not be read.
    #[error("could not read the plugin {path}: {source}")]
    ReadPlugin {
        /// The file.
        path: PathBuf,
        /// Why.
        source: std::io::Error,
    },
    /// The plugin's manifest is missing or wrong.
    #[error(transparent)]
    Manifest(#[from] ManifestError),
    /// The plugin targets an API version this host does not run.
    #[error(transparent)]
    ApiVersion(#[from] ApiVersionError),
    /// No plugin was named and this build embeds none.
    #[error(
        "no plugin to load: this build of pos-sms-host embeds none (feature `embedded-plugin` \
         is off). Set HarnessConfig::plugin to the plugin's .wasm"
    )]
    NoPlugin,
    /// wasmtime could not be set up.
    #[error("could not start the WebAssembly engine: {0}")]
    Engine(String),
    /// The file is not a component wasmtime can compile.
    #[error("the plugin does not compile: {0}")]
    Compile(String),
    /// The component imports something this host does not provide, or exports the wrong
    /// interface.
    #[error("the plugin's imports and exports do not match what this host provides: {0}")]
    Link(String),
}

/// Why a plugin manifest was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ManifestError {
    /// The file could not be read.
    #[error(
        "could not read the plugin manifest {path}: {reason}. A plugin ships with a manifest \
         that declares what it needs; pass it with --manifest FILE."
    )]
    Read {
        /// The file.
        path: PathBuf,
        /// Why.
        reason: String,
    },
    /// The JSON does not have the manifest's shape (a missing or unknown field, a wrong type).
    #[error("the plugin manifest is not valid: {0}")]
    Invalid(String),
    /// The id is empty.
    #[error("the plugin manifest has an empty id")]
    EmptyId,
    /// A version is not a semantic version (`1.2.3`).
    #[error(
        "the plugin manifest's {field} is '{value}', which is not a semantic version \
         ({reason}); write it as MAJOR.MINOR.PATCH, like 0.1.0"
    )]
    Version {
        /// `version` or `api_version`.
        field: &'static str,
        /// What it says.
        value: String,
        /// What semver said.
        reason: String,
    },
    /// An outbound entry is not an origin.
    #[error("the plugin manifest's outbound list: {0}")]
    Outbound(OriginError),
    /// An outbound entry is an IP address or local name.
    #[error(
        "the plugin manifest asks for {0}, an IP address or local name; plugins may only \
         declare named public hosts"
    )]
    LocalOutbound(Origin),
}

/// Why a plugin's API version is refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ApiVersionError {
    /// The manifest names an API version this host does not run.
    #[error(
        "the plugin {id} targets pos:sms API {wanted}, and this host supports {}. Install a \
         build of the plugin for a supported API version, or a newer host.",
        supported.join(", ")
    )]
    Unsupported {
        /// The plugin's id.
        id: String,
        /// The version its manifest names.
        wanted: String,
        /// The versions this host runs.
        supported: Vec<String>,
    },
    /// The component's exports disagree with its manifest.
    #[error(
        "the plugin {id}'s manifest says it targets pos:sms API {declared}, but the component \
         exports {}. The manifest does not describe this component; rebuild or repackage the \
         plugin.",
        if found.is_empty() { "no pos:sms interface".to_string() } else { found.join(", ") }
    )]
    ExportMismatch {
        /// The plugin's id.
        id: String,
        /// The version its manifest names.
        declared: String,
        /// The `pos:sms` interfaces the component exports.
        found: Vec<String>,
    },
}

/// Why a package was refused, or could not be installed. Each check that can fail is its own
/// variant; the sentences start with the name of the check.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum PackageError {
    /// The file could not be read or written.
    #[error("{action} {path}: {source}")]
    Io {
        /// "reading", "writing".
        action: &'static str,
        /// The file.
        path: PathBuf,
        /// Why.
        source: std::io::Error,
    },
    /// The archive is not shaped like a package (not a tar, an unexpected or repeated entry,
    /// a part missing, too large).
    #[error("check failed: archive. {0}")]
    Archive(String),
    /// `manifest.json` is not a package manifest, or is in a format this host does not read.
    #[error("check failed: package manifest. {0}")]
    Manifest(String),
    /// The signer's key is not trusted here.
    #[error(
        "check failed: unknown signer. The package is signed by {publisher} with key {key}, \
         which this host does not trust. Add the publisher's public key with `host-harness \
         trust KEY.pub` if you trust them."
    )]
    UnknownSigner {
        /// Who the manifest says published it.
        publisher: String,
        /// Their key, hex.
        key: String,
    },
    /// The signature does not hold over `manifest.json`.
    #[error(
        "check failed: signature. manifest.json was changed after it was signed, or was signed \
         with another key"
    )]
    Signature,
    /// A file's hash is not the one the signed manifest names.
    #[error(
        "check failed: {file} hash. {file} has SHA-256 {actual}, but the signed manifest says \
         {expected}: the file was changed after packaging"
    )]
    Hash {
        /// `plugin.wasm` or `README.md`.
        file: &'static str,
        /// Its SHA-256.
        actual: String,
        /// What the manifest says.
        expected: String,
    },
    /// The plugin manifest inside the package is refused.
    #[error("check failed: plugin manifest. {0}")]
    PluginManifest(ManifestError),
    /// The component targets an API version this host does not run, or its exports disagree
    /// with its manifest.
    #[error("check failed: API version. {0}")]
    ApiVersion(ApiVersionError),
    /// The component imports the network but declares no destinations.
    #[error(
        "check failed: capabilities. The component imports the network ({}), but its \
         manifest declares no outbound destinations",
        imports.join(", ")
    )]
    DeclaredNetwork {
        /// The network imports found.
        imports: Vec<String>,
    },
    /// The component does not compile.
    #[error("check failed: the component does not compile: {0}")]
    Compile(String),
    /// The component imports something this host does not provide.
    #[error("check failed: imports. {0}")]
    Imports(String),
    /// `install` of a plugin that is installed.
    #[error("{id} {version} is already installed; use `upgrade` to replace it")]
    AlreadyInstalled {
        /// The plugin.
        id: String,
        /// The installed version.
        version: String,
    },
    /// `upgrade` or `uninstall` of a plugin that is not installed.
    #[error("{id} is not installed; use `install`")]
    NotInstalled {
        /// The plugin.
        id: String,
    },
    /// `upgrade` to a version that is not newer, without `force`.
    #[error(
        "refusing to replace {id} {installed} with {candidate}, which is not newer; pass \
         --force to downgrade or reinstall"
    )]
    NotNewer {
        /// The plugin.
        id: String,
        /// What is installed.
        installed: String,
        /// What the package holds.
        candidate: String,
    },
    /// A signing or public key file is not an ed25519 key in hex.
    #[error("{0}")]
    Key(String),
    /// The host's storage failed.
    #[error(transparent)]
    Storage(#[from] StorageError),
}
