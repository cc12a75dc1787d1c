//! The `pos:sms` API versions this host supports, and the guard on released contracts.
//!
//! Each released version of the WIT lives frozen in its own folder, `wit/since_v<version>/`
//! (as Zed's extension API does); every item in it carries `@since`. A change to the
//! contract goes into a new version folder, never into a released one: a unit test here
//! fails when a released file's bytes change.

use semver::Version;

use crate::error::ApiVersionError;
use crate::manifest::Manifest;

/// The API versions a plugin may target to load in this host.
pub fn supported_api_versions() -> [Version; 2] {
    [Version::new(0, 1, 0), Version::new(0, 2, 0)]
}

/// The export every `pos:sms` plugin provides, at `version`.
pub fn sms_export(version: &Version) -> String {
    format!("pos:sms/sms@{version}")
}

/// Checks that a plugin targets a supported API version, judging by what the component
/// actually exports (`exports`, from its type) rather than by what its manifest says.
pub fn check_plugin(manifest: &Manifest, exports: &[String]) -> Result<(), ApiVersionError> {
    let supported = supported_api_versions();
    if !supported.contains(&manifest.api_version) {
        return Err(ApiVersionError::Unsupported {
            id: manifest.id.clone(),
            wanted: manifest.api_version.to_string(),
            supported: supported.iter().map(Version::to_string).collect(),
        });
    }
    if !exports.contains(&sms_export(&manifest.api_version)) {
        return Err(ApiVersionError::ExportMismatch {
            id: manifest.id.clone(),
            declared: manifest.api_version.to_string(),
            found: exports
                .iter()
                .filter(|e| e.starts_with("pos:sms/"))
                .cloned()
                .collect(),
        });
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use sha2::{Digest as _, Sha256};

    /// SHA-256 of each released WIT file.
    const RELEASED: [(&str, &[u8], &str); 1] = [(
        "wit/since_v0.1.0/sms.wit",
        include_bytes!("../../../wit/since_v0.1.0/sms.wit"),
        "ae1330c56cbf0cdf30cec5b926a7a3a9f1a4819dc476d67b44818f7461b77faf",
    )];

    #[test]
    fn released_contracts_are_frozen() {
        for (path, bytes, expected) in RELEASED {
            assert_eq!(
                hex::encode(Sha256::digest(bytes)),
                expected,
                "{path} belongs to a released API version and must not change: put the \
                 change in a new folder (wit/since_v<next>/) and leave this one as it is"
            );
        }
    }

    fn manifest(api: &str) -> Manifest {
        Manifest {
            api_version: Version::parse(api).unwrap(),
            ..Manifest::embedded()
        }
    }

    #[test]
    fn versions_are_checked_against_the_components_exports() {
        let ok = vec!["pos:sms/sms@0.1.0".to_string()];
        check_plugin(&manifest("0.1.0"), &ok).unwrap();
        for unsupported in ["0.3.0", "0.1.0-rc.1", "0.1.1", "1.0.0"] {
            assert_eq!(
                check_plugin(&manifest(unsupported), &ok),
                Err(ApiVersionError::Unsupported {
                    id: "pos-sms-twilio".into(),
                    wanted: unsupported.into(),
                    supported: vec!["0.1.0".into(), "0.2.0".into()],
                })
            );
        }
        assert_eq!(
            check_plugin(&manifest("0.3.0"), &ok)
                .unwrap_err()
                .to_string(),
            "the plugin pos-sms-twilio targets pos:sms API 0.3.0, and this host supports \
             0.1.0, 0.2.0. Install a build of the plugin for a supported API version, or a newer host."
        );
        let wrong = check_plugin(
            &manifest("0.1.0"),
            &[
                "pos:sms/sms@0.2.0".to_string(),
                "wasi:cli/run@0.2.0".to_string(),
            ],
        )
        .unwrap_err();
        assert_eq!(
            wrong,
            ApiVersionError::ExportMismatch {
                id: "pos-sms-twilio".into(),
                declared: "0.1.0".into(),
                found: vec!["pos:sms/sms@0.2.0".into()],
            }
        );
        assert_eq!(
            wrong.to_string(),
            "the plugin pos-sms-twilio's manifest says it targets pos:sms API 0.1.0, but the \
             component exports pos:sms/sms@0.2.0. The manifest does not describe this \
             component; rebuild or repackage the plugin."
        );
        assert!(
            check_plugin(&manifest("0.1.0"), &[])
                .unwrap_err()
                .to_string()
                .contains("exports no pos:sms interface")
        );
    }
}
