//! Marketplace packages: build, sign, verify, install, upgrade, uninstall.
//!
//! A package is one tar archive, byte-for-byte reproducible (entries in a fixed order with
//! zeroed times, owners and modes):
//! - `manifest.json`: the package manifest — the plugin's own manifest (id, versions, the
//!   outbound destinations, secrets and settings it asks for), the publisher, the publisher's
//!   ed25519 public key, and the SHA-256 of the component;
//! - `manifest.sig`: the publisher's ed25519 signature over `manifest.json`, hex;
//! - `plugin.wasm`: the component;
//! - `README.md`: the user-facing part of the README, for the marketplace page.
//!
//! Installing checks, in order, and refuses with the name of the check that failed: the
//! signer is trusted, the signature holds, the component's hash matches, the component's own
//! type exports the declared API version and imports only what the host provides (and no
//! network unless destinations are declared). Only then are files written and the plugin
//! registered; a refusal leaves the installed set as it was.

use std::io::Read as _;
use std::path::{Path, PathBuf};

use anyhow::{Context as _, bail};
use ed25519_dalek::{Signature, Signer as _, SigningKey, Verifier as _, VerifyingKey};
use serde::{Deserialize, Serialize};
use sha2::{Digest as _, Sha256};

use crate::manifest::Manifest;

/// The package format this host writes and reads.
pub const FORMAT: &str = "pos-sms-package/1";
/// Packages larger than this are refused unread.
const MAX_PACKAGE_BYTES: u64 = 16 * 1024 * 1024;

/// `manifest.json` of a package.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PackageManifest {
    /// [`FORMAT`].
    pub format: String,
    /// The plugin's own manifest, as it ships with the plugin.
    pub plugin: serde_json::Value,
    /// Who publishes it.
    pub publisher: String,
    /// The publisher's ed25519 public key, hex.
    pub publisher_key: String,
    /// SHA-256 of `plugin.wasm`, hex.
    pub wasm_sha256: String,
}

/// Lowercase hex of `bytes` (hashes and keys in manifests, cache names).
pub fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn unhex<const N: usize>(text: &str, what: &str) -> anyhow::Result<[u8; N]> {
    let text = text.trim();
    if text.len() != N * 2 || !text.is_ascii() {
        bail!("{what} must be {} hex characters", N * 2);
    }
    let mut out = [0u8; N];
    for (i, byte) in out.iter_mut().enumerate() {
        *byte = u8::from_str_radix(&text[i * 2..i * 2 + 2], 16)
            .with_context(|| format!("{what} is not hex"))?;
    }
    Ok(out)
}

/// Creates a signing key: `key` holds the secret (mode 0600), `key.pub` the public key.
pub fn keygen(key: &Path) -> anyhow::Result<String> {
    let secret: [u8; 32] = rand::random();
    let signing = SigningKey::from_bytes(&secret);
    let public = hex(signing.verifying_key().as_bytes());
    write_private(key, &hex(&secret))?;
    std::fs::write(public_path(key), format!("{public}\n"))?;
    Ok(public)
}

/// `key` → `key.pub`.
pub fn public_path(key: &Path) -> PathBuf {
    let mut name = key.as_os_str().to_owned();
    name.push(".pub");
    PathBuf::from(name)
}

fn write_private(path: &Path, text: &str) -> anyhow::Result<()> {
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    let mut file = options
        .open(path)
        .with_context(|| format!("creating {} (it must not exist yet)", path.display()))?;
    std::io::Write::write_all(&mut file, text.as_bytes())?;
    Ok(())
}

/// Reads a signing key written by [`keygen`].
pub fn read_signing_key(path: &Path) -> anyhow::Result<SigningKey> {
    let text = std::fs::read_to_string(path)
        .with_context(|| format!("reading the signing key {}", path.display()))?;
    Ok(SigningKey::from_bytes(&unhex::<32>(
        &text,
        "the signing key",
    )?))
}

/// The user-facing part of the README: everything before the CLI reference.
pub fn user_readme(readme: &str) -> String {
    match readme.find("\n## The CLI") {
        Some(end) => format!("{}\n", readme[..end].trim_end()),
        None => readme.to_string(),
    }
}

/// Builds a package for `wasm` with `plugin_manifest`, signed with `key`.
pub fn build(
    wasm: &[u8],
    plugin_manifest: &str,
    readme: &str,
    publisher: &str,
    key: &SigningKey,
) -> anyhow::Result<Vec<u8>> {
    Manifest::parse(plugin_manifest)?;
    let manifest = PackageManifest {
        format: FORMAT.into(),
        plugin: serde_json::from_str(plugin_manifest)?,
        publisher: publisher.into(),
        publisher_key: hex(key.verifying_key().as_bytes()),
        wasm_sha256: hex(&Sha256::digest(wasm)),
    };
    let manifest_bytes = serde_json::to_vec_pretty(&manifest)?;
    let signature = hex(&key.sign(&manifest_bytes).to_bytes());
    let mut archive = tar::Builder::new(Vec::new());
    for (name, bytes) in [
        ("manifest.json", manifest_bytes.as_slice()),
        ("manifest.sig", signature.as_bytes()),
        ("plugin.wasm", wasm),
        ("README.md", readme.as_bytes()),
    ] {
        let mut header = tar::Header::new_gnu();
        header.set_size(bytes.len() as u64);
        header.set_mode(0o644);
        header.set_mtime(0);
        header.set_uid(0);
        header.set_gid(0);
        header.set_cksum();
        archive.append_data(&mut header, name, bytes)?;
    }
    Ok(archive.into_inner()?)
}

/// A package's contents, read but not yet trusted.
pub struct Unpacked {
    /// `manifest.json`, as bytes (the signature covers these exact bytes).
    pub manifest_bytes: Vec<u8>,
    /// `manifest.sig`.
    pub signature: String,
    /// `plugin.wasm`.
    pub wasm: Vec<u8>,
    /// `README.md`.
    pub readme: String,
}

/// Reads a package file.
pub fn unpack(path: &Path) -> anyhow::Result<Unpacked> {
    let file = std::fs::File::open(path)
        .with_context(|| format!("opening the package {}", path.display()))?;
    if file.metadata()?.len() > MAX_PACKAGE_BYTES {
        bail!("the package is larger than {MAX_PACKAGE_BYTES} bytes");
    }
    let mut archive = tar::Archive::new(file);
    let (mut manifest, mut signature, mut wasm, mut readme) = (None, None, None, None);
    for entry in archive
        .entries()
        .context("the package is not a pos:sms package")?
    {
        let mut entry = entry.context("the package is damaged")?;
        let name = entry.path()?.to_string_lossy().into_owned();
        let mut bytes = Vec::new();
        entry.read_to_end(&mut bytes)?;
        let slot = match name.as_str() {
            "manifest.json" => &mut manifest,
            "manifest.sig" => &mut signature,
            "plugin.wasm" => &mut wasm,
            "README.md" => &mut readme,
            other => bail!("the package has an unexpected file '{other}'"),
        };
        if slot.replace(bytes).is_some() {
            bail!("the package has '{name}' twice");
        }
    }
    let need = |part: Option<Vec<u8>>, name: &str| {
        part.with_context(|| format!("the package has no {name}"))
    };
    Ok(Unpacked {
        manifest_bytes: need(manifest, "manifest.json")?,
        signature: String::from_utf8(need(signature, "manifest.sig")?)
            .context("manifest.sig is not text")?,
        wasm: need(wasm, "plugin.wasm")?,
        readme: String::from_utf8(readme.unwrap_or_default()).unwrap_or_default(),
    })
}

/// A package whose signature, signer and hash have been checked.
pub struct Verified {
    /// The package manifest.
    pub package: PackageManifest,
    /// The plugin manifest inside it, parsed and checked.
    pub plugin: Manifest,
    /// The plugin manifest's JSON text, to install beside the component.
    pub plugin_manifest_json: String,
    /// The component.
    pub wasm: Vec<u8>,
}

/// Checks the signer (`trusted` holds the hex public keys this host trusts), the signature
/// and the component's hash.
pub fn verify(unpacked: Unpacked, trusted: &[String]) -> anyhow::Result<Verified> {
    let package: PackageManifest = serde_json::from_slice(&unpacked.manifest_bytes)
        .context("check failed: manifest.json is not a package manifest")?;
    if package.format != FORMAT {
        bail!(
            "check failed: the package format is '{}', and this host reads {FORMAT}",
            package.format
        );
    }
    if !trusted
        .iter()
        .any(|k| k.trim().eq_ignore_ascii_case(&package.publisher_key))
    {
        bail!(
            "check failed: unknown signer. The package is signed by {} with key {}, which \
             this host does not trust. Add the publisher's public key with \
             `host-harness trust KEY.pub` if you trust them.",
            package.publisher,
            package.publisher_key
        );
    }
    let key = VerifyingKey::from_bytes(&unhex::<32>(&package.publisher_key, "publisher_key")?)
        .context("check failed: the publisher key is not an ed25519 key")?;
    let signature = Signature::from_bytes(&unhex::<64>(&unpacked.signature, "manifest.sig")?);
    key.verify(&unpacked.manifest_bytes, &signature)
        .map_err(|_| {
            anyhow::anyhow!(
                "check failed: signature. manifest.json was changed after it was signed, or was \
             signed with another key"
            )
        })?;
    let actual = hex(&Sha256::digest(&unpacked.wasm));
    if actual != package.wasm_sha256 {
        bail!(
            "check failed: component hash. plugin.wasm has SHA-256 {actual}, but the signed \
             manifest says {}: the component was changed after packaging",
            package.wasm_sha256
        );
    }
    let plugin_manifest_json = serde_json::to_string_pretty(&package.plugin)?;
    let plugin = Manifest::parse(&plugin_manifest_json)
        .map_err(|e| anyhow::anyhow!("check failed: plugin manifest. {e}"))?;
    Ok(Verified {
        package,
        plugin,
        plugin_manifest_json,
        wasm: unpacked.wasm,
    })
}

/// Checks the component's own type against what its manifest claims: the exported API
/// version (see [`crate::api::check_plugin`]), and that it imports the network only when it
/// declares destinations.
pub fn check_component(
    manifest: &Manifest,
    exports: &[String],
    imports: &[String],
) -> anyhow::Result<()> {
    crate::api::check_plugin(manifest, exports)
        .map_err(|e| anyhow::anyhow!("check failed: API version. {e}"))?;
    let uses_network = imports
        .iter()
        .any(|i| i.starts_with("wasi:http/outgoing-handler@") || i.starts_with("wasi:sockets/"));
    if uses_network && manifest.outbound.is_empty() {
        bail!(
            "check failed: capabilities. The component imports the network ({}), but its \
             manifest declares no outbound destinations",
            imports
                .iter()
                .filter(|i| i.starts_with("wasi:http/") || i.starts_with("wasi:sockets/"))
                .cloned()
                .collect::<Vec<_>>()
                .join(", ")
        );
    }
    Ok(())
}

/// Compares dotted numeric versions (`0.10.0` > `0.9.1`); non-numeric parts compare as text.
pub fn version_newer(candidate: &str, installed: &str) -> bool {
    let parts = |v: &str| -> Vec<(u64, String)> {
        v.split('.')
            .map(|p| (p.parse().unwrap_or(0), p.to_string()))
            .collect()
    };
    parts(candidate) > parts(installed)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key() -> SigningKey {
        SigningKey::from_bytes(&[7; 32])
    }

    #[test]
    fn packages_are_reproducible_and_round_trip() {
        let manifest = crate::manifest::EMBEDDED_MANIFEST;
        let a = build(b"\0asm-ish", manifest, "# readme\n", "Acme", &key()).unwrap();
        let b = build(b"\0asm-ish", manifest, "# readme\n", "Acme", &key()).unwrap();
        assert_eq!(a, b, "same inputs, same bytes");
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("p.tar");
        std::fs::write(&path, &a).unwrap();
        let trusted = vec![hex(key().verifying_key().as_bytes())];
        let v = verify(unpack(&path).unwrap(), &trusted).unwrap();
        assert_eq!(v.plugin.id, "pos-sms-twilio");
        assert_eq!(v.wasm, b"\0asm-ish");
        assert_eq!(v.package.publisher, "Acme");
    }

    #[test]
    fn versions_compare_numerically() {
        assert!(version_newer("0.10.0", "0.9.1"));
        assert!(version_newer("1.0.0", "0.99.0"));
        assert!(!version_newer("0.1.0", "0.1.0"));
        assert!(!version_newer("0.1.0", "0.2.0"));
    }

    #[test]
    fn user_readme_stops_before_the_cli_reference() {
        assert_eq!(
            user_readme("# T\nintro\n\n## The CLI\nflags"),
            "# T\nintro\n"
        );
    }
}

/// An installed plugin, as the registry keeps it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Installed {
    /// The plugin's id.
    pub id: String,
    /// Its version.
    pub version: String,
    /// The API version it targets.
    pub api_version: String,
    /// Its publisher.
    pub publisher: String,
    /// The destinations granted to it at install (what its manifest asked for).
    pub granted: Vec<String>,
    /// The secrets it stores.
    pub secrets: Vec<String>,
    /// Where its files are.
    pub dir: PathBuf,
}

impl Installed {
    /// The installed component.
    pub fn wasm(&self) -> PathBuf {
        self.dir.join("plugin.wasm")
    }
}

/// Install a new plugin, or upgrade an installed one.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// The plugin must not be installed yet.
    Install,
    /// The plugin must be installed; a version that is not newer needs `force`.
    Upgrade {
        /// Allow a downgrade or reinstall.
        force: bool,
    },
}

/// The public keys this host trusts: `<data>/trusted-keys/*.pub`.
pub fn trusted_keys(data_dir: &Path) -> Vec<String> {
    let Ok(entries) = std::fs::read_dir(data_dir.join("trusted-keys")) else {
        return Vec::new();
    };
    entries
        .flatten()
        .filter(|e| e.path().extension().is_some_and(|x| x == "pub"))
        .filter_map(|e| std::fs::read_to_string(e.path()).ok())
        .map(|k| k.trim().to_string())
        .collect()
}

/// Trusts a publisher's public key (a `.pub` file from [`keygen`]).
pub fn trust(data_dir: &Path, public_key_file: &Path) -> anyhow::Result<String> {
    let text = std::fs::read_to_string(public_key_file)
        .with_context(|| format!("reading {}", public_key_file.display()))?;
    let key = unhex::<32>(&text, "the public key")?;
    VerifyingKey::from_bytes(&key).context("that is not an ed25519 public key")?;
    let dir = data_dir.join("trusted-keys");
    std::fs::create_dir_all(&dir)?;
    let hex_key = hex(&key);
    std::fs::write(
        dir.join(format!("{}.pub", &hex_key[..16])),
        format!("{hex_key}\n"),
    )?;
    Ok(hex_key)
}

/// Verifies `package` and installs (or upgrades) it under `<data>/plugins/<id>/<version>/`,
/// precompiling it into `<data>/cache`. On any refusal nothing is written.
pub fn install(data_dir: &Path, package: &Path, mode: Mode) -> anyhow::Result<Installed> {
    let verified = verify(unpack(package)?, &trusted_keys(data_dir))?;
    let engine = crate::engine::new_engine()?;
    let (component, _) =
        crate::engine::load_component(&engine, &verified.wasm, &data_dir.join("cache"))
            .context("check failed: the component does not compile")?;
    let ty = component.component_type();
    let exports: Vec<String> = ty.exports(&engine).map(|(n, _)| n.to_string()).collect();
    let imports: Vec<String> = ty.imports(&engine).map(|(n, _)| n.to_string()).collect();
    check_component(&verified.plugin, &exports, &imports)?;
    crate::engine::linker(&engine)?
        .instantiate_pre(&component)
        .map_err(|e| anyhow::anyhow!("check failed: imports. {e}"))?;

    let store = crate::store::HostStore::open(data_dir)?;
    let id = &verified.plugin.id;
    let current = store.installed_plugin(id)?;
    match (mode, &current) {
        (Mode::Install, Some(old)) => bail!(
            "{id} {} is already installed; use `upgrade` to replace it",
            old.version
        ),
        (Mode::Upgrade { .. }, None) => bail!("{id} is not installed; use `install`"),
        (Mode::Upgrade { force: false }, Some(old))
            if !version_newer(&verified.plugin.version, &old.version) =>
        {
            bail!(
                "refusing to replace {id} {} with {}, which is not newer; pass --force to \
                 downgrade or reinstall",
                old.version,
                verified.plugin.version
            )
        }
        _ => {}
    }
    let dir = data_dir
        .join("plugins")
        .join(id)
        .join(&verified.plugin.version);
    let staging = dir.with_extension(format!("staging{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&staging);
    std::fs::create_dir_all(&staging)?;
    std::fs::write(staging.join("plugin.wasm"), &verified.wasm)?;
    std::fs::write(
        staging.join("plugin.manifest.json"),
        &verified.plugin_manifest_json,
    )?;
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::rename(&staging, &dir)?;
    let installed = Installed {
        id: id.clone(),
        version: verified.plugin.version.clone(),
        api_version: verified.plugin.api_version.clone(),
        publisher: verified.package.publisher.clone(),
        granted: verified
            .plugin
            .outbound
            .iter()
            .map(|o| o.to_string())
            .collect(),
        secrets: verified.plugin.secrets.clone(),
        dir,
    };
    store.register_plugin(&installed)?;
    if let Some(old) = current.filter(|old| old.dir != installed.dir) {
        let _ = std::fs::remove_dir_all(&old.dir);
    }
    Ok(installed)
}

/// Removes an installed plugin's code and registration, and with `purge_secrets` the
/// secrets its manifest says it stores.
pub fn uninstall(data_dir: &Path, id: &str, purge_secrets: bool) -> anyhow::Result<Installed> {
    let store = crate::store::HostStore::open(data_dir)?;
    let installed = store
        .installed_plugin(id)?
        .with_context(|| format!("{id} is not installed"))?;
    store.unregister_plugin(id)?;
    if purge_secrets {
        for name in &installed.secrets {
            store.delete_secret(name)?;
        }
    }
    let _ = std::fs::remove_dir_all(&installed.dir);
    Ok(installed)
}
