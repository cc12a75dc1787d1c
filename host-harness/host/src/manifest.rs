//! The manifest that ships with a plugin: who it is, which API version it targets, and the
//! capabilities it asks for (outbound destinations, secrets, settings).
//!
//! The outbound list is the plugin's key of the two-key network grant: a request leaves only
//! when the plugin declared its destination here *and* the host granted it (see
//! [`crate::policy`]). Destinations are `scheme://host:port` origins: no wildcards, no paths,
//! no IP addresses or local names. The config list is every host setting the plugin reads;
//! the host serves no other.

use std::path::{Path, PathBuf};

use semver::Version;
use serde::Deserialize;

use crate::error::ManifestError;
use crate::origin::Origin;

/// The manifest of the plugin built into this library (feature `embedded-plugin`).
pub const EMBEDDED_MANIFEST: &str = include_str!("../../../plugin/component/manifest.json");

/// A parsed, checked manifest.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Manifest {
    /// Stable identifier (`pos-sms-twilio`).
    pub id: String,
    /// Display name.
    pub name: String,
    /// The plugin's own version.
    pub version: Version,
    /// The `pos:sms` API version it was built against.
    pub api_version: Version,
    /// For the marketplace page.
    pub description: String,
    /// Where it needs to send HTTP requests.
    pub outbound: Vec<Origin>,
    /// Names of the secrets it stores.
    pub secrets: Vec<String>,
    /// Every host setting it reads.
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

fn version(field: &'static str, value: &str) -> Result<Version, ManifestError> {
    Version::parse(value).map_err(|e| ManifestError::Version {
        field,
        value: value.to_string(),
        reason: e.to_string(),
    })
}

impl Manifest {
    /// Parses and checks a manifest's JSON text.
    pub fn parse(text: &str) -> Result<Manifest, ManifestError> {
        let raw: Raw =
            serde_json::from_str(text).map_err(|e| ManifestError::Invalid(e.to_string()))?;
        if raw.id.trim().is_empty() {
            return Err(ManifestError::EmptyId);
        }
        let outbound = raw
            .outbound
            .iter()
            .map(|entry| {
                let origin: Origin = entry.parse().map_err(ManifestError::Outbound)?;
                if origin.is_local() {
                    return Err(ManifestError::LocalOutbound(origin));
                }
                Ok(origin)
            })
            .collect::<Result<_, _>>()?;
        Ok(Manifest {
            version: version("version", &raw.version)?,
            api_version: version("api_version", &raw.api_version)?,
            id: raw.id,
            name: raw.name,
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
        let text = std::fs::read_to_string(path).map_err(|e| ManifestError::Read {
            path: path.to_path_buf(),
            reason: e.to_string(),
        })?;
        Manifest::parse(&text)
    }

    /// Whether the plugin declares that it reads the host setting `key`.
    pub fn reads_config(&self, key: &str) -> bool {
        self.config.iter().any(|k| k == key)
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
    use crate::origin::OriginProblem;

    #[test]
    fn the_embedded_manifest_declares_twilio_and_every_setting_it_reads() {
        let m = Manifest::embedded();
        assert_eq!(m.id, "pos-sms-twilio");
        assert_eq!(m.outbound[0], crate::origin::twilio_origin());
        assert_eq!(m.secrets, ["twilio-connection"]);
        assert_eq!(m.api_version, Version::new(0, 2, 0));
        for key in [
            sms_core::service::CONFIG_STORE_NAME,
            sms_core::service::CONFIG_SMART_ENCODING,
            sms_core::service::CONFIG_WEBHOOK_URL,
            "template.repair-ready",
            "template.custom-order-arrived",
            "template.payment-link",
            "template.appointment-reminder",
        ] {
            assert!(m.reads_config(key), "{key}");
        }
        assert!(!m.reads_config("template.unknown"));
    }

    fn with(outbound: &str) -> String {
        format!(
            r#"{{"id":"x","name":"x","version":"1.0.0","api_version":"0.1.0","outbound":[{outbound}]}}"#
        )
    }

    #[test]
    fn refusals_name_the_problem() {
        assert_eq!(Manifest::parse(&with("")).unwrap().outbound, []);
        assert_eq!(
            Manifest::parse(&with(r#""https://127.0.0.1:443""#)),
            Err(ManifestError::LocalOutbound(
                "https://127.0.0.1:443".parse().unwrap()
            ))
        );
        assert!(matches!(
            Manifest::parse(&with(r#""https://*.twilio.com""#)),
            Err(ManifestError::Outbound(e)) if e.problem == OriginProblem::Wildcard
        ));
        assert!(matches!(
            Manifest::parse(r#"{"id":"x"}"#),
            Err(ManifestError::Invalid(e)) if e.starts_with("missing field")
        ));
        assert!(matches!(
            Manifest::parse(&with("").replace("\"id\"", "\"extra\":1,\"id\"")),
            Err(ManifestError::Invalid(e)) if e.contains("unknown field `extra`")
        ));
        assert_eq!(
            Manifest::parse(&with("").replace("\"id\":\"x\"", "\"id\":\" \"")),
            Err(ManifestError::EmptyId)
        );
        assert_eq!(
            manifest_path_for(Path::new("/p/plugin.wasm")),
            Path::new("/p/plugin.manifest.json")
        );
    }

    #[test]
    fn versions_must_be_semantic_versions() {
        for (field, bad) in [
            ("version", "1"),
            ("version", "1.0"),
            ("api_version", "v0.1.0"),
        ] {
            let text = with("").replace(
                &format!(
                    "\"{field}\":\"{}\"",
                    if field == "version" { "1.0.0" } else { "0.1.0" }
                ),
                &format!("\"{field}\":\"{bad}\""),
            );
            match Manifest::parse(&text) {
                Err(ManifestError::Version {
                    field: f, value, ..
                }) => {
                    assert_eq!((f, value.as_str()), (field, bad));
                }
                other => panic!("{field}={bad}: {other:?}"),
            }
        }
        let pre = with("").replace("\"1.0.0\"", "\"1.0.0-rc.1\"");
        assert_eq!(
            Manifest::parse(&pre).unwrap().version,
            Version::parse("1.0.0-rc.1").unwrap()
        );
    }
}
