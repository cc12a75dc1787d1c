//! The host's state in SQLite: the plugin's secrets, host settings, the audit log, delivery
//! statuses, replies, opt-outs, notice claims and the installed plugins.
//!
//! One database file, `sms-host.db`, under the data directory. It is created with mode 0600
//! (its WAL and shared-memory files inherit that mode from it), runs in WAL mode, and has
//! `secure_delete` on, so deleted secrets are overwritten rather than left in free pages.
//! Times are UTC, RFC 3339 to the second, written by SQLite itself.

use std::path::{Path, PathBuf};

use rusqlite::{Connection, OptionalExtension, params};
use serde::Serialize;

use crate::error::StorageError;

/// The database's file name inside the data directory.
pub const DB_FILE: &str = "sms-host.db";

/// SQLite's clock as an RFC 3339 UTC timestamp (`2026-11-27T08:30:00Z`).
const NOW: &str = "strftime('%Y-%m-%dT%H:%M:%SZ', 'now')";

/// Wraps a database failure with what was being done.
fn failed(action: &'static str) -> impl FnOnce(rusqlite::Error) -> StorageError {
    move |e| StorageError::Query {
        action,
        source: Box::new(e),
    }
}

/// What the plugin reported about one send attempt.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AuditEntry {
    /// `send`, `test` or `notify`.
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

/// An installed plugin, as the registry keeps it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct InstalledPlugin {
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

impl InstalledPlugin {
    /// The installed component.
    pub fn wasm(&self) -> PathBuf {
        self.dir.join("plugin.wasm")
    }
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
    pub fn open(data_dir: &Path) -> Result<HostStore, StorageError> {
        create_private_dir(data_dir)?;
        let path = data_dir.join(DB_FILE);
        let open_failed = |e: Box<dyn std::error::Error + Send + Sync>| StorageError::Open {
            path: path.clone(),
            source: e,
        };
        create_private_file(&path).map_err(|e| open_failed(Box::new(e)))?;
        let setup = || -> rusqlite::Result<Connection> {
            let conn = Connection::open(&path)?;
            conn.busy_timeout(std::time::Duration::from_secs(5))?;
            conn.pragma_update(None, "journal_mode", "WAL")?;
            conn.pragma_update(None, "secure_delete", "ON")?;
            // Every commit reaches the disk: an audit row written before a send must survive
            // a crash or power cut during it.
            conn.pragma_update(None, "synchronous", "FULL")?;
            conn.execute_batch(SCHEMA)?;
            Ok(conn)
        };
        let conn = setup().map_err(|e| open_failed(Box::new(e)))?;
        Ok(HostStore { conn, path })
    }

    /// The database file.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Reads a secret.
    pub fn get_secret(&self, name: &str) -> Result<Option<String>, StorageError> {
        self.conn
            .query_row("SELECT value FROM secrets WHERE name = ?1", [name], |r| {
                r.get(0)
            })
            .optional()
            .map_err(failed("read a secret"))
    }

    /// Stores or replaces a secret in one statement.
    pub fn set_secret(&self, name: &str, value: &str) -> Result<(), StorageError> {
        self.conn
            .execute(
                &format!(
                    "INSERT INTO secrets (name, value, updated_at) VALUES (?1, ?2, {NOW})
                     ON CONFLICT(name) DO UPDATE SET value = excluded.value,
                         updated_at = excluded.updated_at"
                ),
                params![name, value],
            )
            .map_err(failed("save a secret"))?;
        Ok(())
    }

    /// Deletes a secret, then checkpoints the WAL so its bytes leave the WAL file too.
    pub fn delete_secret(&self, name: &str) -> Result<(), StorageError> {
        self.conn
            .execute("DELETE FROM secrets WHERE name = ?1", [name])
            .map_err(failed("delete a secret"))?;
        self.conn
            .query_row("PRAGMA wal_checkpoint(TRUNCATE)", [], |_| Ok(()))
            .map_err(failed("checkpoint the write-ahead log"))?;
        Ok(())
    }

    /// Reads a host setting.
    pub fn get_config(&self, key: &str) -> Result<Option<String>, StorageError> {
        self.conn
            .query_row("SELECT value FROM config WHERE key = ?1", [key], |r| {
                r.get(0)
            })
            .optional()
            .map_err(failed("read a setting"))
    }

    /// Sets a host setting.
    pub fn set_config(&self, key: &str, value: &str) -> Result<(), StorageError> {
        self.conn
            .execute(
                "INSERT INTO config (key, value) VALUES (?1, ?2)
                 ON CONFLICT(key) DO UPDATE SET value = excluded.value",
                params![key, value],
            )
            .map_err(failed("save a setting"))?;
        Ok(())
    }

    /// Removes a host setting.
    pub fn unset_config(&self, key: &str) -> Result<(), StorageError> {
        self.conn
            .execute("DELETE FROM config WHERE key = ?1", [key])
            .map_err(failed("remove a setting"))?;
        Ok(())
    }

    /// Every host setting, by key.
    pub fn list_config(&self) -> Result<Vec<(String, String)>, StorageError> {
        let list = || -> rusqlite::Result<Vec<(String, String)>> {
            let mut stmt = self
                .conn
                .prepare("SELECT key, value FROM config ORDER BY key")?;
            let rows = stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?;
            rows.collect()
        };
        list().map_err(failed("list the settings"))
    }

    /// Appends an audit row and returns its id.
    pub fn append_audit(&self, row: &AuditEntry) -> Result<i64, StorageError> {
        self.conn
            .execute(
                &format!(
                    "INSERT INTO audit_log (at, action, recipient, body_length, segments, user,
                                            message_sid, status, error_kind, twilio_code)
                     VALUES ({NOW}, ?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)"
                ),
                entry_values(row).as_slice(),
            )
            .map_err(failed("append to the audit log"))?;
        Ok(self.conn.last_insert_rowid())
    }

    /// Replaces audit row `id` (keeping its time), e.g. a pending send's final outcome.
    pub fn update_audit(&self, id: i64, row: &AuditEntry) -> Result<(), StorageError> {
        let mut values: Vec<&dyn rusqlite::ToSql> = entry_values(row).to_vec();
        values.push(&id);
        let changed = self
            .conn
            .execute(
                "UPDATE audit_log SET action = ?1, recipient = ?2, body_length = ?3,
                        segments = ?4, user = ?5, message_sid = ?6, status = ?7,
                        error_kind = ?8, twilio_code = ?9
                 WHERE id = ?10",
                values.as_slice(),
            )
            .map_err(failed("update the audit log"))?;
        if changed == 0 {
            return Err(StorageError::NoAuditRow(id));
        }
        Ok(())
    }

    /// The newest `limit` audit rows, oldest first.
    pub fn audit(&self, limit: u32) -> Result<Vec<AuditRow>, StorageError> {
        let read = || -> rusqlite::Result<Vec<AuditRow>> {
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
            rows.collect()
        };
        read().map_err(failed("read the audit log"))
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
    ) -> Result<(), StorageError> {
        self.conn
            .execute(
                &format!(
                    "INSERT INTO deliveries (message_sid, status, rank, error_code, reason,
                                             updated_at)
                     VALUES (?1, ?2, ?3, ?4, ?5, {NOW})
                     ON CONFLICT(message_sid) DO UPDATE SET status = excluded.status,
                         rank = excluded.rank, error_code = excluded.error_code,
                         reason = excluded.reason, updated_at = excluded.updated_at
                     WHERE excluded.rank > deliveries.rank"
                ),
                params![message_sid, status, rank, error_code, reason],
            )
            .map_err(failed("record a delivery status"))?;
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
    ) -> Result<(), StorageError> {
        self.conn
            .execute(
                &format!(
                    "INSERT INTO replies (at, message_sid, from_number, to_number, body, keyword)
                     VALUES ({NOW}, ?1, ?2, ?3, ?4, ?5) ON CONFLICT(message_sid) DO NOTHING"
                ),
                params![message_sid, from, to, body, keyword],
            )
            .map_err(failed("store a reply"))?;
        Ok(())
    }

    /// The newest `limit` replies (from `number` when given), oldest first.
    pub fn replies(&self, number: Option<&str>, limit: u32) -> Result<Vec<Reply>, StorageError> {
        let read = || -> rusqlite::Result<Vec<Reply>> {
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
            rows.collect()
        };
        read().map_err(failed("read the replies"))
    }

    /// Claims a notice key atomically (one INSERT: only one caller can win it).
    pub fn claim_notice(&self, key: &str) -> Result<NoticeState, StorageError> {
        let inserted = self
            .conn
            .execute(
                &format!(
                    "INSERT INTO notices (key, state, updated_at) VALUES (?1, 'sending', {NOW})
                     ON CONFLICT(key) DO NOTHING"
                ),
                params![key],
            )
            .map_err(failed("claim a notice"))?;
        if inserted == 1 {
            return Ok(NoticeState::Claimed);
        }
        let (sid, to, status, segments): (
            Option<String>,
            Option<String>,
            Option<String>,
            Option<u32>,
        ) = self
            .conn
            .query_row(
                "SELECT sid, recipient, status, segments FROM notices WHERE key = ?1",
                [key],
                |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)),
            )
            .map_err(failed("read a notice"))?;
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
    ) -> Result<(), StorageError> {
        match sent {
            Some((sid, to, status, segments)) => self.conn.execute(
                &format!(
                    "UPDATE notices SET state = 'sent', sid = ?2, recipient = ?3, status = ?4,
                            segments = ?5, updated_at = {NOW} WHERE key = ?1"
                ),
                params![key, sid, to, status, segments],
            ),
            None => self.conn.execute(
                "DELETE FROM notices WHERE key = ?1 AND state = 'sending'",
                [key],
            ),
        }
        .map_err(failed("settle a notice"))?;
        Ok(())
    }

    /// Registers (or re-registers) an installed plugin, recording the destinations granted.
    pub fn register_plugin(&self, p: &InstalledPlugin) -> Result<(), StorageError> {
        let json = |list: &[String]| {
            serde_json::to_string(list).map_err(|e| StorageError::Corrupt(e.to_string()))
        };
        self.conn
            .execute(
                &format!(
                    "INSERT INTO plugins (id, version, api_version, publisher, granted, secrets,
                                          dir, installed_at)
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, {NOW})
                     ON CONFLICT(id) DO UPDATE SET version = excluded.version,
                         api_version = excluded.api_version, publisher = excluded.publisher,
                         granted = excluded.granted, secrets = excluded.secrets,
                         dir = excluded.dir, installed_at = excluded.installed_at"
                ),
                params![
                    p.id,
                    p.version,
                    p.api_version,
                    p.publisher,
                    json(&p.granted)?,
                    json(&p.secrets)?,
                    p.dir.to_string_lossy(),
                ],
            )
            .map_err(failed("register a plugin"))?;
        Ok(())
    }

    /// Removes a plugin's registration.
    pub fn unregister_plugin(&self, id: &str) -> Result<(), StorageError> {
        self.conn
            .execute("DELETE FROM plugins WHERE id = ?1", [id])
            .map_err(failed("unregister a plugin"))?;
        Ok(())
    }

    /// Every installed plugin, by id.
    pub fn installed_plugins(&self) -> Result<Vec<InstalledPlugin>, StorageError> {
        type Row = (String, String, String, String, String, String, String);
        let read = || -> rusqlite::Result<Vec<Row>> {
            let mut stmt = self.conn.prepare(
                "SELECT id, version, api_version, publisher, granted, secrets, dir FROM plugins
                 ORDER BY id",
            )?;
            let rows = stmt.query_map([], |r| {
                Ok((
                    r.get(0)?,
                    r.get(1)?,
                    r.get(2)?,
                    r.get(3)?,
                    r.get(4)?,
                    r.get(5)?,
                    r.get(6)?,
                ))
            })?;
            rows.collect()
        };
        let list = |text: &str| {
            serde_json::from_str(text).map_err(|e| {
                StorageError::Corrupt(format!("a plugin's registration is not a JSON list: {e}"))
            })
        };
        read()
            .map_err(failed("list the installed plugins"))?
            .into_iter()
            .map(
                |(id, version, api_version, publisher, granted, secrets, dir)| {
                    Ok(InstalledPlugin {
                        id,
                        version,
                        api_version,
                        publisher,
                        granted: list(&granted)?,
                        secrets: list(&secrets)?,
                        dir: dir.into(),
                    })
                },
            )
            .collect()
    }

    /// One installed plugin.
    pub fn installed_plugin(&self, id: &str) -> Result<Option<InstalledPlugin>, StorageError> {
        Ok(self.installed_plugins()?.into_iter().find(|p| p.id == id))
    }

    /// Marks `number` opted out (or back in).
    pub fn set_opted_out(&self, number: &str, opted_out: bool) -> Result<(), StorageError> {
        self.conn
            .execute(
                &format!(
                    "INSERT INTO opt_outs (number, opted_out, updated_at) VALUES (?1, ?2, {NOW})
                     ON CONFLICT(number) DO UPDATE SET opted_out = excluded.opted_out,
                         updated_at = excluded.updated_at"
                ),
                params![number, opted_out],
            )
            .map_err(failed("record an opt-out"))?;
        Ok(())
    }

    /// Whether `number` is opted out.
    pub fn is_opted_out(&self, number: &str) -> Result<bool, StorageError> {
        Ok(self
            .conn
            .query_row(
                "SELECT opted_out FROM opt_outs WHERE number = ?1",
                [number],
                |r| r.get::<_, bool>(0),
            )
            .optional()
            .map_err(failed("read the opt-outs"))?
            .unwrap_or(false))
    }
}

/// An audit entry's columns, in the order the audit statements bind them (?1 to ?9).
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

fn data_dir_failed(dir: &Path) -> impl FnOnce(std::io::Error) -> StorageError + '_ {
    move |source| StorageError::DataDir {
        path: dir.to_path_buf(),
        source,
    }
}

#[cfg(unix)]
fn create_private_dir(dir: &Path) -> Result<(), StorageError> {
    use std::os::unix::fs::DirBuilderExt;
    if dir.is_dir() {
        return Ok(());
    }
    std::fs::DirBuilder::new()
        .recursive(true)
        .mode(0o700)
        .create(dir)
        .map_err(data_dir_failed(dir))
}

#[cfg(not(unix))]
fn create_private_dir(dir: &Path) -> Result<(), StorageError> {
    std::fs::create_dir_all(dir).map_err(data_dir_failed(dir))
}

/// Creates the file with mode 0600 before SQLite opens it (SQLite would use the umask), and
/// tightens an existing file that is wider.
#[cfg(unix)]
fn create_private_file(path: &Path) -> std::io::Result<()> {
    use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
    std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .mode(0o600)
        .open(path)?;
    let mode = std::fs::metadata(path)?.permissions().mode() & 0o777;
    if mode != 0o600 {
        std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o600))?;
    }
    Ok(())
}

#[cfg(not(unix))]
fn create_private_file(_: &Path) -> std::io::Result<()> {
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
        assert!(matches!(
            store.update_audit(99, &done),
            Err(StorageError::NoAuditRow(99))
        ));
        // Rows are timed by SQLite, in RFC 3339 UTC to the second.
        let at = &rows[0].at;
        assert_eq!(
            (at.len(), &at[4..5], &at[10..11], &at[19..]),
            (20, "-", "T", "Z"),
            "{at}"
        );
        assert!(
            at[..4].parse::<u32>().is_ok_and(|year| year >= 2025),
            "{at}"
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
