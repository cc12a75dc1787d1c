//! Marketplace packages: package → install → run → upgrade → uninstall, and every tampering
//! case refused with the check that failed and the installed set left as it was.

use std::path::Path;

use ed25519_dalek::SigningKey;
use pos_sms_host::error::{ApiVersionError, PackageError};
use pos_sms_host::manifest::EMBEDDED_MANIFEST;
use pos_sms_host::package::{self, Mode};
use pos_sms_host::storage::HostStore;
use pos_sms_host::{EMBEDDED_PLUGIN, Error, Harness, HarnessConfig};

fn key(seed: u8) -> SigningKey {
    SigningKey::from_bytes(&[seed; 32])
}

/// Writes a package built from the given parts and returns its path.
fn write(
    dir: &Path,
    name: &str,
    wasm: &[u8],
    manifest: &str,
    signer: &SigningKey,
) -> std::path::PathBuf {
    let bytes = package::build(wasm, manifest, "# Twilio SMS\n", "Gems Plugins", signer).unwrap();
    let path = dir.join(name);
    std::fs::write(&path, bytes).unwrap();
    path
}

/// A data directory that trusts `signer`.
fn host(dir: &Path, signer: &SigningKey) -> std::path::PathBuf {
    let data = dir.join("data");
    std::fs::create_dir_all(data.join("trusted-keys")).unwrap();
    let public = hex::encode(signer.verifying_key().as_bytes());
    std::fs::write(data.join("trusted-keys/publisher.pub"), public).unwrap();
    data
}

fn installed(data: &Path) -> Vec<(String, String)> {
    HostStore::open(data)
        .unwrap()
        .installed_plugins()
        .unwrap()
        .into_iter()
        .map(|p| (p.id, p.version))
        .collect()
}

fn with_version(version: &str) -> String {
    EMBEDDED_MANIFEST.replace(
        "\"version\": \"0.2.0\"",
        &format!("\"version\": \"{version}\""),
    )
}

#[tokio::test(flavor = "multi_thread")]
async fn package_install_run_upgrade_uninstall() {
    let dir = tempfile::tempdir().unwrap();
    let signer = key(1);
    let data = host(dir.path(), &signer);
    let v1 = write(
        dir.path(),
        "v1.pkg",
        EMBEDDED_PLUGIN,
        EMBEDDED_MANIFEST,
        &signer,
    );
    // Reproducible: the same sources give the same bytes.
    let again = write(
        dir.path(),
        "again.pkg",
        EMBEDDED_PLUGIN,
        EMBEDDED_MANIFEST,
        &signer,
    );
    assert_eq!(std::fs::read(&v1).unwrap(), std::fs::read(&again).unwrap());

    let p = package::install(&data, &v1, Mode::Install).unwrap();
    assert_eq!(
        (p.id.as_str(), p.version.as_str()),
        ("pos-sms-twilio", "0.2.0")
    );
    assert_eq!(p.granted[0], "https://api.twilio.com:443");
    assert_eq!(
        installed(&data),
        [("pos-sms-twilio".into(), "0.2.0".into())]
    );

    // Run it, and store something it must keep across the upgrade.
    let mut config = HarnessConfig::new(&data);
    config.plugin = Some(p.wasm());
    let harness = Harness::open(config.clone()).unwrap();
    assert_eq!(
        harness.normalize_phone("(212) 555-0100").await.unwrap(),
        "+12125550100"
    );
    harness.set_config("store-name", "Gems").unwrap();
    drop(harness);
    let store = HostStore::open(&data).unwrap();
    store.set_secret("twilio-connection", "kept").unwrap();

    let v2 = write(
        dir.path(),
        "v2.pkg",
        EMBEDDED_PLUGIN,
        &with_version("0.3.0"),
        &signer,
    );
    let e = package::install(&data, &v2, Mode::Install).unwrap_err();
    assert!(
        matches!(
            &e,
            Error::Package(PackageError::AlreadyInstalled { id, version })
                if id == "pos-sms-twilio" && version == "0.2.0"
        ),
        "{e:?}"
    );
    assert_eq!(
        e.to_string(),
        "pos-sms-twilio 0.2.0 is already installed; use `upgrade` to replace it"
    );
    // A release candidate of 0.3.0 comes before 0.3.0 (semver), but after 0.2.0.
    let rc = write(
        dir.path(),
        "rc.pkg",
        EMBEDDED_PLUGIN,
        &with_version("0.3.0-rc.1"),
        &signer,
    );
    package::install(&data, &rc, Mode::Upgrade { force: false }).unwrap();
    let p2 = package::install(&data, &v2, Mode::Upgrade { force: false }).unwrap();
    assert_eq!(
        installed(&data),
        [("pos-sms-twilio".into(), "0.3.0".into())]
    );
    assert!(!p.dir.exists(), "the old version's files are gone");
    assert_eq!(
        store.get_secret("twilio-connection").unwrap().as_deref(),
        Some("kept")
    );
    assert_eq!(
        store.get_config("store-name").unwrap().as_deref(),
        Some("Gems")
    );

    // A downgrade needs --force: 0.2.0, and 0.3.0-rc.1, which semver puts before 0.3.0.
    for (older, version) in [(&v1, "0.2.0"), (&rc, "0.3.0-rc.1")] {
        let e = package::install(&data, older, Mode::Upgrade { force: false }).unwrap_err();
        match e {
            Error::Package(PackageError::NotNewer {
                installed,
                candidate,
                ..
            }) => assert_eq!((installed.as_str(), candidate.as_str()), ("0.3.0", version)),
            other => panic!("expected a refused downgrade, got {other:?}"),
        }
    }
    assert_eq!(
        installed(&data),
        [("pos-sms-twilio".into(), "0.3.0".into())]
    );

    let gone = package::uninstall(&data, "pos-sms-twilio", true).unwrap();
    assert_eq!(gone.version, "0.3.0");
    assert!(installed(&data).is_empty());
    assert!(!p2.dir.exists());
    assert_eq!(
        store.get_secret("twilio-connection").unwrap(),
        None,
        "purged on request"
    );
}

/// Installs `pkg` into a host that has `0.2.0` installed, expects it refused, checks that the
/// installed set did not change, and returns the refusal.
fn refused(data: &Path, pkg: &Path) -> PackageError {
    let before = installed(data);
    let e = package::install(data, pkg, Mode::Upgrade { force: true }).unwrap_err();
    assert_eq!(installed(data), before);
    match e {
        Error::Package(refusal) => refusal,
        other => panic!("expected a package refusal, got {other:?}"),
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn tampered_packages_are_refused_with_the_check_that_failed() {
    let dir = tempfile::tempdir().unwrap();
    let signer = key(1);
    let data = host(dir.path(), &signer);
    let good = write(
        dir.path(),
        "good.pkg",
        EMBEDDED_PLUGIN,
        EMBEDDED_MANIFEST,
        &signer,
    );
    package::install(&data, &good, Mode::Install).unwrap();

    // One byte of the component changed after signing.
    let bytes = std::fs::read(&good).unwrap();
    let wasm_at = bytes
        .windows(4)
        .position(|w| w == b"\0asm")
        .expect("the component is in the archive");
    let mut tampered = bytes.clone();
    tampered[wasm_at + 100] ^= 0xff;
    let path = dir.path().join("tampered.pkg");
    std::fs::write(&path, tampered).unwrap();
    match refused(&data, &path) {
        PackageError::Hash {
            file: "plugin.wasm",
            ..
        } => {}
        other => panic!("expected the component hash check, got {other:?}"),
    }

    // The README changed after signing (its hash is in the signed manifest).
    let readme_at = bytes
        .windows(12)
        .position(|w| w == b"# Twilio SMS")
        .expect("the README is in the archive");
    let mut reworded = bytes.clone();
    reworded[readme_at + 2] = b'E';
    let path = dir.path().join("reworded.pkg");
    std::fs::write(&path, reworded).unwrap();
    match refused(&data, &path) {
        PackageError::Hash {
            file: "README.md", ..
        } => {}
        other => panic!("expected the README hash check, got {other:?}"),
    }

    // The manifest changed after signing (it now asks for another destination).
    let mut forged = bytes.clone();
    let at = forged
        .windows(14)
        .position(|w| w == b"api.twilio.com")
        .unwrap();
    forged[at..at + 14].copy_from_slice(b"api.evil1.com!");
    let path = dir.path().join("forged.pkg");
    std::fs::write(&path, forged).unwrap();
    assert!(matches!(refused(&data, &path), PackageError::Signature));

    // Signed by a key the host does not trust.
    let stranger = write(
        dir.path(),
        "stranger.pkg",
        EMBEDDED_PLUGIN,
        EMBEDDED_MANIFEST,
        &key(2),
    );
    assert!(matches!(
        refused(&data, &stranger),
        PackageError::UnknownSigner { publisher, .. } if publisher == "Gems Plugins"
    ));

    // A signed manifest that lies: no network, but the component imports wasi:http.
    let no_network = EMBEDDED_MANIFEST
        .split("\"outbound\"")
        .next()
        .map(|head| {
            format!(
                "{head}\"outbound\": [],\n  \"secrets\": [\"twilio-connection\"],\n  \"config\": []\n}}"
            )
        })
        .unwrap();
    let liar = write(
        dir.path(),
        "liar.pkg",
        EMBEDDED_PLUGIN,
        &no_network,
        &signer,
    );
    match refused(&data, &liar) {
        PackageError::DeclaredNetwork { imports } => {
            assert!(
                imports
                    .iter()
                    .all(|i| i.starts_with("wasi:http/outgoing-handler@")),
                "{imports:?}"
            );
            assert!(!imports.is_empty());
        }
        other => panic!("expected the declared-network check, got {other:?}"),
    }

    // A signed manifest for an API version this host does not support.
    let future =
        EMBEDDED_MANIFEST.replace("\"api_version\": \"0.2.0\"", "\"api_version\": \"0.3.0\"");
    let future = write(dir.path(), "future.pkg", EMBEDDED_PLUGIN, &future, &signer);
    assert!(matches!(
        refused(&data, &future),
        PackageError::ApiVersion(ApiVersionError::Unsupported { wanted, .. }) if wanted == "0.3.0"
    ));

    // Not a package at all.
    let junk = dir.path().join("junk.pkg");
    std::fs::write(&junk, b"not a tar archive").unwrap();
    assert!(matches!(refused(&data, &junk), PackageError::Archive(_)));
}

#[tokio::test(flavor = "multi_thread")]
async fn an_upgrade_killed_at_any_moment_leaves_a_working_plugin_installed() {
    let dir = tempfile::tempdir().unwrap();
    let signer = key(1);
    let data = host(dir.path(), &signer);
    let v1 = write(
        dir.path(),
        "v1.pkg",
        EMBEDDED_PLUGIN,
        EMBEDDED_MANIFEST,
        &signer,
    );
    let v2 = write(
        dir.path(),
        "v2.pkg",
        EMBEDDED_PLUGIN,
        &with_version("0.3.0"),
        &signer,
    );
    package::install(&data, &v1, Mode::Install).unwrap();
    let upgrade = || {
        let mut cmd = std::process::Command::new(env!("CARGO_BIN_EXE_host-harness"));
        cmd.arg("--data-dir")
            .arg(&data)
            .args(["upgrade", "--force"])
            .arg(&v2)
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null());
        cmd
    };
    // How long one upgrade takes, whole.
    let started = std::time::Instant::now();
    assert!(upgrade().status().unwrap().success());
    let whole = started.elapsed();

    // Killed (SIGKILL) at twenty moments across that time, and each time the plugin the
    // registry names loads and answers.
    let mut versions = std::collections::BTreeSet::new();
    for i in 0..20u32 {
        let mut child = upgrade().spawn().unwrap();
        std::thread::sleep(whole * i / 20);
        let _ = child.kill();
        let _ = child.wait();
        let p = package::installed_plugin(&data, "pos-sms-twilio").unwrap();
        versions.insert(p.version.clone());
        let mut config = HarnessConfig::new(&data);
        config.plugin = Some(p.wasm());
        let harness =
            Harness::open(config).unwrap_or_else(|e| panic!("after a kill at {i}/20: {e}"));
        assert_eq!(
            harness.normalize_phone("(212) 555-0100").await.unwrap(),
            "+12125550100",
            "after a kill at {i}/20"
        );
    }
    // Nothing is left behind but the installed version's directory.
    assert!(upgrade().status().unwrap().success());
    let p = package::installed_plugin(&data, "pos-sms-twilio").unwrap();
    let left: Vec<_> = std::fs::read_dir(p.dir.parent().unwrap())
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    assert_eq!(left, std::slice::from_ref(&p.dir));
    println!("one upgrade took {whole:?}; versions seen after the kills: {versions:?}");
}
