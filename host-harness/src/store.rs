//! The host's state in SQLite: the plugin's secrets, host settings, and the audit log.
//!
//! One database file, `sms-host.db`, under the data directory. It is created with mode 0600
//! (its WAL and shared-memory files inherit that mode from it), runs in WAL mode, and has
//! `secure_delete` on, so deleted secrets are overwritten rather than left in free pages.

use std::path::{Path, PathBuf};

use anyhow::Context as _;
use rusqlite::{Connection, OptionalExtension, params};
use serde::Serialize;

use crate::clock::UtcTime;

/// The database's file name inside the data directory.
pub const DB_FILE: &str = "sms-host.db";

/// What the plugin reported about one send attempt.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AuditEntry {
    /// `send` or `test`.
    pub action: String,
    /// The recipient in E.164 (as typed when it could not be normalized).
    pub to: String,
    /// Body length in characters.
    pub body_length: u32,
    /// Billable segments.
    pub segments: u32,
    /// The acting staff user.
    pub user: String,
    /// Twilio's message SID, on success.
    pub message_sid: Option<String>,
    /// Twilio's status, or `failed`.
    pub status: String,
    /// The error's kind, on failure.
    pub error_kind: Option<String>,
    /// Twilio's error code, when there was one.
    pub twilio_code: Option<u32>,
}

/// One row of the audit log: the entry, numbered and timed by the host.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AuditRow {
    /// Row id, increasing.
    pub id: i64,
    /// When the row was written (UTC, RFC 3339).
    pub at: String,
    /// What was reported.
    #[serde(flatten)]
    pub entry: AuditEntry,
    /// What Twilio later said about delivery, when a status callback came.
    pub delivery: Option<Delivery>,
}

/// The open database.
pub struct HostStore {
    conn: Connection,
    path: PathBuf,
}

impl std::fmt::Debug for HostStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("HostStore")
            .field("path", &self.path)
            .finish()
    }
}

const SCHEMA: &str = "
    CREATE TABLE IF NOT EXISTS secrets (
        name       TEXT PRIMARY KEY,
        value      TEXT NOT NULL,
        updated_at TEXT NOT NULL
    );
    CREATE TABLE IF NOT EXISTS config (
        key   TEXT PRIMARY KEY,
        value TEXT NOT NULL
    );
    CREATE TABLE IF NOT EXISTS audit_log (
        id          INTEGER PRIMARY KEY AUTOINCREMENT,
        at          TEXT NOT NULL,
        action      TEXT NOT NULL,
        recipient   TEXT NOT NULL,
        body_length INTEGER NOT NULL,
        segments    INTEGER NOT NULL,
        user        TEXT NOT NULL,
        message_sid TEXT,
        status      TEXT NOT NULL,
        error_kind  TEXT,
        twilio_code INTEGER
    );
    CREATE TABLE IF NOT EXISTS deliveries (
        message_sid TEXT PRIMARY KEY,
        status      TEXT NOT NULL,
        rank        INTEGER NOT NULL,
        error_code  INTEGER,
        reason      TEXT,
        updated_at  TEXT NOT NULL
    );
    CREATE TABLE IF NOT EXISTS replies (
        id          INTEGER PRIMARY KEY AUTOINCREMENT,
        at          TEXT NOT NULL,
        message_sid TEXT NOT NULL UNIQUE,
        from_number TEXT NOT NULL,
        to_number   TEXT NOT NULL,
        body        TEXT NOT NULL,
        keyword     TEXT
    );
    CREATE TABLE IF NOT EXISTS notices (
        key        TEXT PRIMARY KEY,
        state      TEXT NOT NULL,
        sid        TEXT,
        recipient  TEXT,
        status     TEXT,
        segments   INTEGER,
        updated_at TEXT NOT NULL
    );
    CREATE TABLE IF NOT EXISTS plugins (
        id           TEXT PRIMARY KEY,
        version      TEXT NOT NULL,
        api_version  TEXT NOT NULL,
        publisher    TEXT NOT NULL,
        granted      TEXT NOT NULL,
        secrets      TEXT NOT NULL,
        dir          TEXT NOT NULL,
        installed_at TEXT NOT NULL
    );
    CREATE TABLE IF NOT EXISTS opt_outs (
        number     TEXT PRIMARY KEY,
        opted_out  INTEGER NOT NULL,
        updated_at TEXT NOT NULL
    );
";

/// The latest delivery status Twilio reported for a sent message.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Delivery {
    /// `sent`, `delivered`, `undelivered`, `failed`, …
    pub status: String,
    /// Twilio's delivery error code.
    pub error_code: Option<u32>,
    /// The code in plain words.
    pub reason: Option<String>,
}

/// Where a notice's idempotency key stands.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum NoticeState {
    /// Newly claimed by the caller.
    Claimed,
    /// Already sent: SID, recipient, status, segments.
    Sent(String, String, String, u32),
    /// Claimed by someone else, or interrupted mid-send.
    InProgress,
}

/// A text a customer sent to the store.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Reply {
    /// Row id.
    pub id: i64,
    /// When it was recorded (UTC).
    pub at: String,
    /// Twilio's message SID.
    pub message_sid: String,
    /// The customer's number.
    pub from: String,
    /// The store's number.
    pub to: String,
    /// What they wrote.
    pub body: String,
    /// `opt-out`, `opt-in` or `help` when the text was a keyword.
    pub keyword: Option<String>,
}

impl HostStore {
    /// Opens (creating if needed) the database in `data_dir`, which is created with mode 0700.
    pub fn open(data_dir: &Path) -> anyhow::Result<HostStore> {
        create_private_dir(data_dir)?;
        let path = data_dir.join(DB_FILE);
        create_private_file(&path)?;
        let conn = Connection::open(&path)
            .with_context(|| format!("opening the database {}", path.display()))?;
        conn.busy_timeout(std::time::Duration::from_secs(5))?;
        conn.pragma_update(None, "journal_mode", "WAL")?;
        conn.pragma_update(None, "secure_delete", "ON")?;
        // Every commit reaches the disk: an audit row written before a send must survive a
        // crash or power cut during it.
        conn.pragma_update(None, "synchronous", "FULL")?;
        conn.execute_batch(SCHEMA)
            .with_context(|| format!("creating tables in {}", path.display()))?;
        Ok(HostStore { conn, path })
    }

    /// The database file.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Reads a secret.
    pub fn get_secret(&self, name: &str) -> anyhow::Result<Option<String>> {
        Ok(self
            .conn
            .query_row("SELECT value FROM secrets WHERE name = ?1", [name], |r| {
                r.get(0)
            })
            .optional()?)
    }

    /// Stores or replaces a secret in one statement.
    pub fn set_secret(&self, name: &str, value: &str) -> anyhow::Result<()> {
        self.conn.execute(
            "INSERT INTO secrets (name, value, updated_at) VALUES (?1, ?2, ?3)
             ON CONFLICT(name) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at",
            params![name, value, UtcTime::now().rfc3339()],
        )?;
        Ok(())
    }

    /// Deletes a secret, then checkpoints the WAL so its bytes leave the WAL file too.
    pub fn delete_secret(&self, name: &str) -> anyhow::Result<()> {
        self.conn
            .execute("DELETE FROM secrets WHERE name = ?1", [name])?;
        self.conn
            .query_row("PRAGMA wal_checkpoint(TRUNCATE)", [], |_| Ok(()))?;
        Ok(())
    }

    /// Reads a host setting.
    pub fn get_config(&self, key: &str) -> anyhow::Result<Option<String>> {
        Ok(self
            .conn
            .query_row("SELECT value FROM config WHERE key = ?1", [key], |r| {
                r.get(0)
            })
            .optional()?)
    }

    /// Sets a host setting.
    pub fn set_config(&self, key: &str, value: &str) -> anyhow::Result<()> {
        self.conn.execute(
            "INSERT INTO config (key, value) VALUES (?1, ?2)
             ON CONFLICT(key) DO UPDATE SET value = excluded.value",
            params![key, value],
        )?;
        Ok(())
    }

    /// Removes a host setting.
    pub fn unset_config(&self, key: &str) -> anyhow::Result<()> {
        self.conn
            .execute("DELETE FROM config WHERE key = ?1", [key])?;
        Ok(())
    }

    /// Every host setting, by key.
    pub fn list_config(&self) -> anyhow::Result<Vec<(String, String)>> {
        let mut stmt = self
            .conn
            .prepare("SELECT key, value FROM config ORDER BY key")?;
        let rows = stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    /// Appends an audit row and returns its id.
    pub fn append_audit(&self, row: &AuditEntry) -> anyhow::Result<i64> {
        let at = UtcTime::now().rfc3339();
        let mut values: Vec<&dyn rusqlite::ToSql> = vec![&at];
        values.extend(entry_values(row));
        self.conn.execute(
            "INSERT INTO audit_log (at, action, recipient, body_length, segments, user,
                                    message_sid, status, error_kind, twilio_code)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)",
            values.as_slice(),
        )?;
        Ok(self.conn.last_insert_rowid())
    }

    /// Replaces audit row `id` (keeping its time), e.g. a pending send's final outcome.
    pub fn update_audit(&self, id: i64, row: &AuditEntry) -> anyhow::Result<()> {
        let changed = self.conn.execute(
            "UPDATE audit_log SET action = ?2, recipient = ?3, body_length = ?4, segments = ?5,
                    user = ?6, message_sid = ?7, status = ?8, error_kind = ?9, twilio_code = ?10
             WHERE id = ?1",
            {
                let mut values: Vec<&dyn rusqlite::ToSql> = vec![&id];
                values.extend(entry_values(row));
                values
            }
            .as_slice(),
        )?;
        if changed == 0 {
            anyhow::bail!("there is no audit row {id}");
        }
        Ok(())
    }

    /// The newest `limit` audit rows, oldest first.
    pub fn audit(&self, limit: u32) -> anyhow::Result<Vec<AuditRow>> {
        let mut stmt = self.conn.prepare(
            "SELECT a.id, a.at, a.action, a.recipient, a.body_length, a.segments, a.user,
                    a.message_sid, a.status, a.error_kind, a.twilio_code,
                    d.status, d.error_code, d.reason
             FROM (SELECT * FROM audit_log ORDER BY id DESC LIMIT ?1) AS a
             LEFT JOIN deliveries AS d ON d.message_sid = a.message_sid
             ORDER BY a.id",
        )?;
        let rows = stmt.query_map([limit], |r| {
            Ok(AuditRow {
                id: r.get(0)?,
                at: r.get(1)?,
                entry: AuditEntry {
                    action: r.get(2)?,
                    to: r.get(3)?,
                    body_length: r.get(4)?,
                    segments: r.get(5)?,
                    user: r.get(6)?,
                    message_sid: r.get(7)?,
                    status: r.get(8)?,
                    error_kind: r.get(9)?,
                    twilio_code: r.get(10)?,
                },
                delivery: match r.get::<_, Option<String>>(11)? {
                    Some(status) => Some(Delivery {
                        status,
                        error_code: r.get(12)?,
                        reason: r.get(13)?,
                    }),
                    None => None,
                },
            })
        })?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    /// Records a delivery status unless a higher-ranked one is already stored (Twilio's
    /// callbacks can arrive out of order).
    pub fn record_delivery(
        &self,
        message_sid: &str,
        status: &str,
        rank: u8,
        error_code: Option<u32>,
        reason: Option<&str>,
    ) -> anyhow::Result<()> {
        self.conn.execute(
            "INSERT INTO deliveries (message_sid, status, rank, error_code, reason, updated_at)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6)
             ON CONFLICT(message_sid) DO UPDATE SET status = excluded.status,
                 rank = excluded.rank, error_code = excluded.error_code,
                 reason = excluded.reason, updated_at = excluded.updated_at
             WHERE excluded.rank > deliveries.rank",
            params![
                message_sid,
                status,
                rank,
                error_code,
                reason,
                UtcTime::now().rfc3339()
            ],
        )?;
        Ok(())
    }

    /// Stores a customer's text once per message SID.
    pub fn record_reply(
        &self,
        message_sid: &str,
        from: &str,
        to: &str,
        body: &str,
        keyword: Option<&str>,
    ) -> anyhow::Result<()> {
        self.conn.execute(
            "INSERT INTO replies (at, message_sid, from_number, to_number, body, keyword)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6) ON CONFLICT(message_sid) DO NOTHING",
            params![
                UtcTime::now().rfc3339(),
                message_sid,
                from,
                to,
                body,
                keyword
            ],
        )?;
        Ok(())
    }

    /// The newest `limit` replies (from `number` when given), oldest first.
    pub fn replies(&self, number: Option<&str>, limit: u32) -> anyhow::Result<Vec<Reply>> {
        let mut stmt = self.conn.prepare(
            "SELECT id, at, message_sid, from_number, to_number, body, keyword FROM
               (SELECT * FROM replies WHERE ?1 IS NULL OR from_number = ?1
                ORDER BY id DESC LIMIT ?2)
             ORDER BY id",
        )?;
        let rows = stmt.query_map(params![number, limit], |r| {
            Ok(Reply {
                id: r.get(0)?,
                at: r.get(1)?,
                message_sid: r.get(2)?,
                from: r.get(3)?,
                to: r.get(4)?,
                body: r.get(5)?,
                keyword: r.get(6)?,
            })
        })?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    /// Claims a notice key atomically (one INSERT: only one caller can win it).
    pub fn claim_notice(&self, key: &str) -> anyhow::Result<NoticeState> {
        let inserted = self.conn.execute(
            "INSERT INTO notices (key, state, updated_at) VALUES (?1, 'sending', ?2)
             ON CONFLICT(key) DO NOTHING",
            params![key, UtcTime::now().rfc3339()],
        )?;
        if inserted == 1 {
            return Ok(NoticeState::Claimed);
        }
        let (sid, to, status, segments): (
            Option<String>,
            Option<String>,
            Option<String>,
            Option<u32>,
        ) = self.conn.query_row(
            "SELECT sid, recipient, status, segments FROM notices WHERE key = ?1",
            [key],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)),
        )?;
        Ok(match (sid, to, status, segments) {
            (Some(sid), Some(to), Some(status), Some(segments)) => {
                NoticeState::Sent(sid, to, status, segments)
            }
            _ => NoticeState::InProgress,
        })
    }

    /// Settles a claimed notice key: records the receipt, or releases the claim.
    pub fn finish_notice(
        &self,
        key: &str,
        sent: Option<(&str, &str, &str, u32)>,
    ) -> anyhow::Result<()> {
        match sent {
            Some((sid, to, status, segments)) => self.conn.execute(
                "UPDATE notices SET state = 'sent', sid = ?2, recipient = ?3, status = ?4,
                        segments = ?5, updated_at = ?6 WHERE key = ?1",
                params![key, sid, to, status, segments, UtcTime::now().rfc3339()],
            )?,
            None => self.conn.execute(
                "DELETE FROM notices WHERE key = ?1 AND state = 'sending'",
                [key],
            )?,
        };
        Ok(())
    }

    /// Registers (or re-registers) an installed plugin, recording the destinations granted.
    pub fn register_plugin(&self, p: &crate::package::Installed) -> anyhow::Result<()> {
        self.conn.execute(
            "INSERT INTO plugins (id, version, api_version, publisher, granted, secrets, dir,
                                  installed_at)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)
             ON CONFLICT(id) DO UPDATE SET version = excluded.version,
                 api_version = excluded.api_version, publisher = excluded.publisher,
                 granted = excluded.granted, secrets = excluded.secrets, dir = excluded.dir,
                 installed_at = excluded.installed_at",
            params![
                p.id,
                p.version,
                p.api_version,
                p.publisher,
                serde_json::to_string(&p.granted)?,
                serde_json::to_string(&p.secrets)?,
                p.dir.to_string_lossy(),
                UtcTime::now().rfc3339()
            ],
        )?;
        Ok(())
    }

    /// Removes a plugin's registration.
    pub fn unregister_plugin(&self, id: &str) -> anyhow::Result<()> {
        self.conn
            .execute("DELETE FROM plugins WHERE id = ?1", [id])?;
        Ok(())
    }

    /// Every installed plugin, by id.
    pub fn installed_plugins(&self) -> anyhow::Result<Vec<crate::package::Installed>> {
        let mut stmt = self.conn.prepare(
            "SELECT id, version, api_version, publisher, granted, secrets, dir FROM plugins
             ORDER BY id",
        )?;
        let rows = stmt.query_map([], |r| {
            Ok((
                r.get::<_, String>(0)?,
                r.get::<_, String>(1)?,
                r.get::<_, String>(2)?,
                r.get::<_, String>(3)?,
                r.get::<_, String>(4)?,
                r.get::<_, String>(5)?,
                r.get::<_, String>(6)?,
            ))
        })?;
        rows.map(|row| {
            let (id, version, api_version, publisher, granted, secrets, dir) = row?;
            Ok(crate::package::Installed {
                id,
                version,
                api_version,
                publisher,
                granted: serde_json::from_str(&granted)?,
                secrets: serde_json::from_str(&secrets)?,
                dir: dir.into(),
            })
        })
        .collect()
    }

    /// One installed plugin.
    pub fn installed_plugin(&self, id: &str) -> anyhow::Result<Option<crate::package::Installed>> {
        Ok(self.installed_plugins()?.into_iter().find(|p| p.id == id))
    }

    /// Marks `number` opted out (or back in).
    pub fn set_opted_out(&self, number: &str, opted_out: bool) -> anyhow::Result<()> {
        self.conn.execute(
            "INSERT INTO opt_outs (number, opted_out, updated_at) VALUES (?1, ?2, ?3)
             ON CONFLICT(number) DO UPDATE SET opted_out = excluded.opted_out,
                 updated_at = excluded.updated_at",
            params![number, opted_out, UtcTime::now().rfc3339()],
        )?;
        Ok(())
    }

    /// Whether `number` is opted out.
    pub fn is_opted_out(&self, number: &str) -> anyhow::Result<bool> {
        Ok(self
            .conn
            .query_row(
                "SELECT opted_out FROM opt_outs WHERE number = ?1",
                [number],
                |r| r.get::<_, bool>(0),
            )
            .optional()?
            .unwrap_or(false))
    }
}

/// An audit entry's columns, in the order both audit statements bind them (?2 to ?10).
fn entry_values(row: &AuditEntry) -> [&dyn rusqlite::ToSql; 9] {
    [
        &row.action,
        &row.to,
        &row.body_length,
        &row.segments,
        &row.user,
        &row.message_sid,
        &row.status,
        &row.error_kind,
        &row.twilio_code,
    ]
}

#[cfg(unix)]
fn create_private_dir(dir: &Path) -> anyhow::Result<()> {
    use std::os::unix::fs::DirBuilderExt;
    if dir.is_dir() {
        return Ok(());
    }
    std::fs::DirBuilder::new()
        .recursive(true)
        .mode(0o700)
        .create(dir)
        .with_context(|| format!("creating the data directory {}", dir.display()))
}

#[cfg(not(unix))]
fn create_private_dir(dir: &Path) -> anyhow::Result<()> {
    std::fs::create_dir_all(dir)
        .with_context(|| format!("creating the data directory {}", dir.display()))
}

/// Creates the file with mode 0600 before SQLite opens it (SQLite would use the umask), and
/// tightens an existing file that is wider.
#[cfg(unix)]
fn create_private_file(path: &Path) -> anyhow::Result<()> {
    use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
    std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .mode(0o600)
        .open(path)
        .with_context(|| format!("creating the database {}", path.display()))?;
    let mode = std::fs::metadata(path)?.permissions().mode() & 0o777;
    if mode != 0o600 {
        std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o600))?;
    }
    Ok(())
}

#[cfg(not(unix))]
fn create_private_file(_: &Path) -> anyhow::Result<()> {
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secrets_config_and_audit_round_trip() {
        let dir = tempfile::tempdir().unwrap();
        let store = HostStore::open(&dir.path().join("data")).unwrap();
        assert_eq!(store.get_secret("s").unwrap(), None);
        store.set_secret("s", "one").unwrap();
        store.set_secret("s", "two").unwrap();
        assert_eq!(store.get_secret("s").unwrap().as_deref(), Some("two"));
        store.delete_secret("s").unwrap();
        assert_eq!(store.get_secret("s").unwrap(), None);

        store.set_config("store-name", "Gems").unwrap();
        assert_eq!(
            store.list_config().unwrap(),
            [("store-name".to_string(), "Gems".to_string())]
        );

        for i in 0..3 {
            store
                .append_audit(&AuditEntry {
                    action: "send".into(),
                    to: format!("+1555000000{i}"),
                    body_length: i,
                    segments: 1,
                    user: "alice".into(),
                    message_sid: None,
                    status: "failed".into(),
                    error_kind: Some("network".into()),
                    twilio_code: None,
                })
                .unwrap();
        }
        let rows = store.audit(2).unwrap();
        assert_eq!(rows.iter().map(|r| r.id).collect::<Vec<_>>(), [2, 3]);
        assert_eq!(rows[1].entry.to, "+15550000002");
        let done = AuditEntry {
            status: "queued".into(),
            message_sid: Some("SM1".into()),
            error_kind: None,
            ..rows[1].entry.clone()
        };
        store.update_audit(3, &done).unwrap();
        assert_eq!(store.audit(1).unwrap()[0].entry, done);
        assert_eq!(store.audit(1).unwrap()[0].at, rows[1].at);
        assert_eq!(
            store.update_audit(99, &done).unwrap_err().to_string(),
            "there is no audit row 99"
        );
    }

    #[test]
    fn deliveries_keep_the_highest_rank_and_join_the_audit_log() {
        let dir = tempfile::tempdir().unwrap();
        let store = HostStore::open(dir.path()).unwrap();
        store
            .append_audit(&AuditEntry {
                action: "send".into(),
                to: "+15551234567".into(),
                body_length: 2,
                segments: 1,
                user: "alice".into(),
                message_sid: Some("SM1".into()),
                status: "queued".into(),
                error_kind: None,
                twilio_code: None,
            })
            .unwrap();
        assert_eq!(store.audit(1).unwrap()[0].delivery, None);
        store
            .record_delivery("SM1", "delivered", 6, None, None)
            .unwrap();
        // A late "sent" does not overwrite "delivered".
        store.record_delivery("SM1", "sent", 5, None, None).unwrap();
        assert_eq!(
            store.audit(1).unwrap()[0].delivery,
            Some(Delivery {
                status: "delivered".into(),
                error_code: None,
                reason: None
            })
        );
        store.set_opted_out("+15551234567", true).unwrap();
        assert!(store.is_opted_out("+15551234567").unwrap());
        store.set_opted_out("+15551234567", false).unwrap();
        assert!(!store.is_opted_out("+15551234567").unwrap());
        assert!(!store.is_opted_out("+15550000000").unwrap());
        store
            .record_reply(
                "SMr",
                "+15551234567",
                "+15005550006",
                "STOP",
                Some("opt-out"),
            )
            .unwrap();
        store
            .record_reply(
                "SMr",
                "+15551234567",
                "+15005550006",
                "STOP",
                Some("opt-out"),
            )
            .unwrap();
        assert_eq!(store.replies(None, 10).unwrap().len(), 1);
        assert_eq!(store.replies(Some("+15550000000"), 10).unwrap().len(), 0);
    }

    #[test]
    fn a_notice_key_is_claimed_once() {
        let dir = tempfile::tempdir().unwrap();
        let store = HostStore::open(dir.path()).unwrap();
        assert_eq!(
            store.claim_notice("repair-ready:1").unwrap(),
            NoticeState::Claimed
        );
        assert_eq!(
            store.claim_notice("repair-ready:1").unwrap(),
            NoticeState::InProgress
        );
        store.finish_notice("repair-ready:1", None).unwrap();
        assert_eq!(
            store.claim_notice("repair-ready:1").unwrap(),
            NoticeState::Claimed
        );
        store
            .finish_notice("repair-ready:1", Some(("SM1", "+15551234567", "queued", 1)))
            .unwrap();
        assert_eq!(
            store.claim_notice("repair-ready:1").unwrap(),
            NoticeState::Sent("SM1".into(), "+15551234567".into(), "queued".into(), 1)
        );
        // A release never removes a sent notice.
        store.finish_notice("repair-ready:1", None).unwrap();
        assert!(matches!(
            store.claim_notice("repair-ready:1").unwrap(),
            NoticeState::Sent(..)
        ));
    }

    #[cfg(unix)]
    #[test]
    fn database_is_private() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let data = dir.path().join("data");
        let store = HostStore::open(&data).unwrap();
        let mode = |p: &Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode(store.path()), 0o600);
        assert_eq!(mode(&data), 0o700);
    }
}
