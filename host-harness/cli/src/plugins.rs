//! `keygen`, `package`, `trust`, `install`, `upgrade`, `uninstall` and `list`: marketplace
//! packages and the installed plugins. None of these loads a plugin to run it.

use std::path::Path;
use std::process::ExitCode;

use pos_sms_host::package::{self, Mode};
use pos_sms_host::storage::InstalledPlugin;
use serde_json::{Value, json};

use crate::args::Command;
use crate::output::{Fail, Out};

/// What `list` and the install commands say of a plugin.
fn describe(p: &InstalledPlugin) -> String {
    format!(
        "{} {} (API {}, from {}), may reach: {}",
        p.id,
        p.version,
        p.api_version,
        p.publisher,
        if p.granted.is_empty() {
            "nothing".to_string()
        } else {
            p.granted.join(", ")
        }
    )
}

/// Runs one of the plugin-management commands against the data directory `data`.
pub fn run(command: &Command, data: &Path, out: Out) -> Result<ExitCode, Fail> {
    let done = |p: &InstalledPlugin, verb: &str| {
        out.print(&json!(p), || format!("{verb} {}", describe(p)));
        Ok(ExitCode::SUCCESS)
    };
    match command {
        Command::Keygen { out: key } => {
            let public = package::keygen(key)?;
            out.print(&json!({"public_key": public}), || {
                format!(
                    "Wrote {} (secret, keep it safe) and {} (public key {public}).",
                    key.display(),
                    package::public_path(key).display()
                )
            });
            Ok(ExitCode::SUCCESS)
        }
        Command::Package {
            out: file,
            sign,
            publisher,
        } => {
            let key = package::read_signing_key(sign)?;
            let bytes = package::build(
                pos_sms_host::EMBEDDED_PLUGIN,
                pos_sms_host::manifest::EMBEDDED_MANIFEST,
                &package::user_readme(include_str!("../../../README.md")),
                publisher,
                &key,
            )?;
            std::fs::write(file, &bytes)
                .map_err(|e| Fail::host(format!("writing {}: {e}", file.display())))?;
            out.print(&json!({"package": file, "bytes": bytes.len()}), || {
                format!("Wrote {} ({} bytes).", file.display(), bytes.len())
            });
            Ok(ExitCode::SUCCESS)
        }
        Command::Trust { key } => {
            let key = package::trust(data, key)?;
            out.print(&json!({"trusted": key}), || {
                format!("Packages signed with {key} will now install.")
            });
            Ok(ExitCode::SUCCESS)
        }
        Command::Install { file } => {
            done(&package::install(data, file, Mode::Install)?, "Installed")
        }
        Command::Upgrade { file, force } => done(
            &package::install(data, file, Mode::Upgrade { force: *force })?,
            "Upgraded to",
        ),
        Command::Uninstall { id, purge_secrets } => done(
            &package::uninstall(data, id, *purge_secrets)?,
            "Uninstalled",
        ),
        Command::List => {
            let plugins = package::installed(data)?;
            if !out.json && plugins.is_empty() {
                out.print(&Value::Null, || "No plugins are installed.".into());
            }
            for p in &plugins {
                out.print(&json!(p), || describe(p));
            }
            Ok(ExitCode::SUCCESS)
        }
        _ => Ok(ExitCode::SUCCESS),
    }
}
