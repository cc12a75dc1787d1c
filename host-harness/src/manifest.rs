//! The manifest that ships with a plugin: who it is, which API version it targets, and the
//! capabilities it asks for (outbound destinations, secrets, settings).
//!
//! The outbound list is the plugin's key of the two-key network grant: a request leaves only
//! when the plugin declared its destination here *and* the host granted it (see
//! [`crate::policy`]). Destinations are `scheme://host:port` origins: no wildcards, no paths,
//! no IP addresses or local names.

use std::fmt;
use std::path::{Path, PathBuf};

use serde::Deserialize;

use crate::policy::Origin;

/// The manifest of the plugin built into the harness.
pub const EMBEDDED_MANIFEST: &str = include_str!("../../plugin/manifest.json");

/// A parsed, checked manifest.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Manifest {
    /// Stable identifier (`pos-sms-twilio`).
    pub id: String,
    /// Display name.
    pub name: String,
    /// The plugin's own version.
    pub version: String,
    /// The `pos:sms` API version it was built against.
    pub api_version: String,
    /// For the marketplace page.
    pub description: String,
    /// Where it needs to send HTTP requests.
    pub outbound: Vec<Origin>,
    /// Names of the secrets it stores.
    pub secrets: Vec<String>,
    /// Host settings it reads.
    pub config: Vec<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Raw {
    id: String,
    name: String,
    version: String,
    api_version: String,
    #[serde(default)]
    description: String,
    outbound: Vec<String>,
    #[serde(default)]
    secrets: Vec<String>,
    #[serde(default)]
    config: Vec<String>,
}

/// Why a manifest was refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ManifestError(pub String);

impl fmt::Display for ManifestError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for ManifestError {}

impl Manifest {
    /// Parses and checks a manifest's JSON text.
    pub fn parse(text: &str) -> Result<Manifest, ManifestError> {
        let raw: Raw = serde_json::from_str(text)
            .map_err(|e| ManifestError(format!("the plugin manifest is not valid: {e}")))?;
        if raw.id.trim().is_empty() {
            return Err(ManifestError("the plugin manifest has an empty id".into()));
        }
        let outbound = raw
            .outbound
            .iter()
            .map(|entry| {
                let origin: Origin = entry.parse().map_err(|e| {
                    ManifestError(format!("the plugin manifest's outbound list: {e}"))
                })?;
                if origin.is_local() {
                    return Err(ManifestError(format!(
                        "the plugin manifest asks for {origin}, an IP address or local name; \
                         plugins may only declare named public hosts"
                    )));
                }
                Ok(origin)
            })
            .collect::<Result<_, _>>()?;
        Ok(Manifest {
            id: raw.id,
            name: raw.name,
            version: raw.version,
            api_version: raw.api_version,
            description: raw.description,
            outbound,
            secrets: raw.secrets,
            config: raw.config,
        })
    }

    /// The manifest of the built-in plugin.
    pub fn embedded() -> Manifest {
        // Checked by a unit test; a broken embedded manifest cannot ship.
        Manifest::parse(EMBEDDED_MANIFEST).unwrap_or_else(|e| panic!("embedded manifest: {e}"))
    }

    /// Reads the manifest at `path`.
    pub fn load(path: &Path) -> Result<Manifest, ManifestError> {
        let text = std::fs::read_to_string(path).map_err(|e| {
            ManifestError(format!(
                "could not read the plugin manifest {}: {e}. A plugin ships with a manifest \
                 that declares what it needs; pass it with --manifest FILE.",
                path.display()
            ))
        })?;
        Manifest::parse(&text).map_err(|e| ManifestError(format!("{} ({})", e.0, path.display())))
    }
}

/// Where a plugin's manifest is expected when none is named: `plugin.wasm` →
/// `plugin.manifest.json`.
pub fn manifest_path_for(wasm: &Path) -> PathBuf {
    wasm.with_extension("manifest.json")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_embedded_manifest_declares_twilio() {
        let m = Manifest::embedded();
        assert_eq!(m.id, "pos-sms-twilio");
        assert_eq!(m.outbound[0], crate::policy::twilio_origin());
        assert_eq!(m.secrets, ["twilio-connection"]);
    }

    #[test]
    fn refusals_name_the_problem() {
        let with = |outbound: &str| {
            format!(
                r#"{{"id":"x","name":"x","version":"1","api_version":"0.1.0","outbound":[{outbound}]}}"#
            )
        };
        assert_eq!(Manifest::parse(&with("")).unwrap().outbound, []);
        assert_eq!(
            Manifest::parse(&with(r#""https://127.0.0.1:443""#))
                .unwrap_err()
                .0,
            "the plugin manifest asks for https://127.0.0.1:443, an IP address or local name; \
             plugins may only declare named public hosts"
        );
        assert!(
            Manifest::parse(&with(r#""https://*.twilio.com""#))
                .unwrap_err()
                .0
                .contains("wildcards are not allowed")
        );
        assert!(
            Manifest::parse(r#"{"id":"x"}"#)
                .unwrap_err()
                .0
                .starts_with("the plugin manifest is not valid: missing field")
        );
        assert!(
            Manifest::parse(&with("").replace("\"id\"", "\"extra\":1,\"id\""))
                .unwrap_err()
                .0
                .contains("unknown field `extra`")
        );
        assert_eq!(
            manifest_path_for(Path::new("/p/plugin.wasm")),
            Path::new("/p/plugin.manifest.json")
        );
    }
}
