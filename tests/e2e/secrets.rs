//! The Auth Token stays a secret: never in output, logs, audit rows or settings, and gone from
//! the database files (not just unlinked) once the store disconnects.

use std::path::Path;

use pos_sms_host::types::{Auth, Credentials, Outgoing, Purpose};

use crate::common::*;

/// Every file under `dir` whose bytes contain `needle`.
fn files_containing(dir: &Path, needle: &[u8]) -> Vec<String> {
    let mut found = Vec::new();
    for entry in walk(dir) {
        let bytes = std::fs::read(&entry).unwrap_or_default();
        if bytes.windows(needle.len()).any(|w| w == needle) {
            found.push(entry.display().to_string());
        }
    }
    found
}

fn walk(dir: &Path) -> Vec<std::path::PathBuf> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap().flatten() {
        let path = entry.path();
        if path.is_dir() {
            out.extend(walk(&path));
        } else {
            out.push(path);
        }
    }
    out
}

#[tokio::test(flavor = "multi_thread")]
async fn disconnect_removes_the_token_bytes_from_every_database_file() {
    let w = world().await;
    // Connect twice (the second replaces the first) and use the connection, so the token has
    // been written, rewritten and read through every path.
    for _ in 0..2 {
        w.harness.connect(credentials()).await.unwrap();
    }
    w.harness
        .send(Outgoing {
            to: "+12125550100".into(),
            body: "Your ring is ready".into(),
            user: "alice".into(),
            purpose: Purpose::Transactional,
            override_quiet_hours: false,
        })
        .await
        .unwrap();
    w.harness.test("+15005550006", "alice").await.unwrap();
    w.harness.set_config("store-name", "Gems").unwrap();

    // The scan can see the token while it is stored (so an empty result below means gone).
    let db_files = || files_containing(w.dir.path(), TOKEN.as_bytes());
    assert!(
        !db_files().is_empty(),
        "the token should be stored while connected"
    );

    // The tables that are not the secret store never hold it.
    let db = rusqlite::Connection::open(w.dir.path().join("sms-host.db")).unwrap();
    let audit: String = db
        .query_row(
            "SELECT group_concat(action || recipient || user || ifnull(message_sid, '') || \
             status || ifnull(error_kind, ''), '|') FROM audit_log",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert!(
        !audit.contains(TOKEN) && audit.contains("+12125550100"),
        "{audit}"
    );
    let config: String = db
        .query_row("SELECT group_concat(key || value) FROM config", [], |r| {
            r.get(0)
        })
        .unwrap();
    assert!(!config.contains(TOKEN), "{config}");
    drop(db);

    w.harness.disconnect().await.unwrap();
    assert!(!w.harness.status().await.unwrap().connected);
    assert_eq!(db_files(), Vec::<String>::new());
}

#[tokio::test(flavor = "multi_thread")]
async fn a_rejected_token_is_never_stored() {
    let w = world().await;
    let wrong = "abcdefabcdefabcdefabcdefabcdef12";
    let result = w
        .harness
        .connect(Credentials {
            auth: Auth::AuthToken(wrong.into()),
            ..credentials()
        })
        .await;
    assert_eq!(
        plugin_error(result.unwrap_err()).kind(),
        "credentials-rejected"
    );
    assert_eq!(
        files_containing(w.dir.path(), wrong.as_bytes()),
        Vec::<String>::new()
    );
}

#[cfg(unix)]
#[tokio::test(flavor = "multi_thread")]
async fn database_files_stay_private() {
    use std::os::unix::fs::PermissionsExt;
    let w = connected_world().await;
    w.harness.disconnect().await.unwrap();
    w.harness.connect(credentials()).await.unwrap();
    for file in walk(w.dir.path()) {
        let name = file.file_name().unwrap().to_string_lossy().to_string();
        if name.starts_with("sms-host.db") {
            let mode = std::fs::metadata(&file).unwrap().permissions().mode() & 0o777;
            assert_eq!(mode, 0o600, "{name}");
        }
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn errors_and_debug_output_never_show_the_token() {
    let w = connected_world().await;
    let e = plugin_error(
        w.harness
            .connect(Credentials {
                account_sid: "AC0000000000000000000000000000000".into(),
                ..credentials()
            })
            .await
            .unwrap_err(),
    );
    assert!(!format!("{e:?} {}", e.message).contains(TOKEN));
    let creds = format!("{:?}", credentials());
    // The host's WIT type is plain data: hosts must not log it. The plugin's own types redact.
    assert!(
        creds.contains(TOKEN),
        "sanity: the WIT record carries the token"
    );
    let status = format!("{:?}", w.harness.status().await.unwrap());
    assert!(!status.contains(TOKEN), "{status}");
}
