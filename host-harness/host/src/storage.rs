//! The host's state in SQLite: the plugin's secrets, host settings, the audit log, delivery
//! statuses, replies, the stop list, consents, held notices, notice claims and the
//! installed plugins.
//!
//! One database file, `sms-host.db`, under the data directory. It is created with mode 0600
//! (its WAL and shared-memory files inherit that mode from it), runs in WAL mode, and has
//! `secure_delete` on, so deleted secrets are overwritten rather than left in free pages.
//! Times are UTC, RFC 3339 to the second, written by SQLite itself. A database made by an
//! older host is brought up to date on open ([`MIGRATIONS`], counted in `user_version`), and
//! nothing stored in it is lost.

use std::path::{Path, PathBuf};

use rusqlite::functions::FunctionFlags;
use rusqlite::{Connection, OptionalExtension, params};
use serde::Serialize;

use crate::error::StorageError;

mod customers;
mod group;
pub use customers::{Customer, CustomerId};
pub use group::GroupWriter;

/// The database's file name inside the data directory.
pub const DB_FILE: &str = "sms-host.db";

/// SQLite's clock as an RFC 3339 UTC timestamp (`2026-11-27T08:30:00Z`).
/// The time rows are stamped with: the harness's clock ([`HostStore::set_clock`]), so that
/// the audit log, the inbox and quiet hours agree on what time it is.
const NOW: &str = "strftime('%Y-%m-%dT%H:%M:%SZ', harness_unix(), 'unixepoch')";

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
    /// `transactional` or `marketing`.
    pub purpose: String,
    /// What the columns do not say (a quiet-hours override, a staff action's detail).
    pub note: Option<String>,
}

impl AuditEntry {
    /// A row for something staff recorded by hand (an opt-out, a consent): no text was sent.
    pub fn staff_action(action: &str, number: &str, user: &str, note: Option<String>) -> Self {
        AuditEntry {
            action: action.to_string(),
            to: number.to_string(),
            body_length: 0,
            segments: 0,
            user: user.to_string(),
            message_sid: None,
            status: "recorded".into(),
            error_kind: None,
            twilio_code: None,
            purpose: "transactional".into(),
            note,
        }
    }
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

/// Which audit rows [`HostStore::audit_page`] reads.
#[derive(Debug, Clone, Copy, Default)]
pub struct AuditQuery<'a> {
    /// At most this many.
    pub limit: u32,
    /// Only rows older than this id (the last id of the page before).
    pub before: Option<i64>,
    /// Only rows to this number (E.164).
    pub recipient: Option<&'a str>,
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

/// The changes to [`SCHEMA`] since the first release, in order. `user_version` counts those
/// applied; each runs once, in a transaction, and only adds.
const MIGRATIONS: [&str; 3] = [
    // 1: the compliance release (pos:sms 0.2.0).
    "ALTER TABLE audit_log ADD COLUMN purpose TEXT NOT NULL DEFAULT 'transactional';
     ALTER TABLE audit_log ADD COLUMN note TEXT;
     ALTER TABLE opt_outs ADD COLUMN method TEXT;
     ALTER TABLE opt_outs ADD COLUMN reply TEXT;
     ALTER TABLE opt_outs ADD COLUMN via TEXT;
     ALTER TABLE opt_outs ADD COLUMN user TEXT;
     ALTER TABLE opt_outs ADD COLUMN since TEXT;
     UPDATE opt_outs SET since = updated_at WHERE opted_out = 1;
     ALTER TABLE replies ADD COLUMN rule TEXT;
     CREATE TABLE consents (
         id            INTEGER PRIMARY KEY AUTOINCREMENT,
         number        TEXT NOT NULL,
         purpose       TEXT NOT NULL,
         source        TEXT NOT NULL,
         user          TEXT NOT NULL,
         note          TEXT,
         granted_at    TEXT NOT NULL,
         revoked_at    TEXT,
         revoked_by    TEXT,
         revoke_reason TEXT
     );
     CREATE INDEX consents_by_number ON consents (number, purpose);
     CREATE TABLE stop_list_log (
         id      INTEGER PRIMARY KEY AUTOINCREMENT,
         at      TEXT NOT NULL,
         number  TEXT NOT NULL,
         event   TEXT NOT NULL,
         how     TEXT NOT NULL,
         reply   TEXT,
         via     TEXT,
         user    TEXT,
         changed INTEGER NOT NULL
     );
     CREATE INDEX stop_list_log_by_number ON stop_list_log (number);
     CREATE TABLE held_notices (
         key           TEXT PRIMARY KEY,
         recipient     TEXT NOT NULL,
         kind          TEXT NOT NULL,
         event         TEXT NOT NULL,
         release_at    INTEGER NOT NULL,
         release_utc   TEXT NOT NULL,
         release_local TEXT NOT NULL,
         state         TEXT NOT NULL,
         held_at       TEXT NOT NULL,
         settled_at    TEXT,
         outcome       TEXT,
         claimed_at    INTEGER
     );",
    // 2: the conversation store. Outgoing texts join the replies in each customer's thread;
    // times are the harness clock's, in Unix seconds.
    "CREATE TABLE outgoing (
         audit_id INTEGER PRIMARY KEY,
         number   TEXT NOT NULL,
         sender   TEXT NOT NULL,
         body     TEXT,
         event_id TEXT,
         notice_key TEXT,
         at       INTEGER NOT NULL
     );
     CREATE INDEX outgoing_by_number ON outgoing (number, at);
     ALTER TABLE replies ADD COLUMN at_unix INTEGER;
     ALTER TABLE replies ADD COLUMN read_at TEXT;
     ALTER TABLE replies ADD COLUMN linked_event TEXT;
     ALTER TABLE replies ADD COLUMN purged INTEGER NOT NULL DEFAULT 0;
     UPDATE replies SET at_unix = CAST(strftime('%s', at) AS INTEGER);
     CREATE INDEX replies_by_number ON replies (from_number, at_unix);",
    // 3: the console's customer list, and the audit log filtered by number.
    "CREATE TABLE customers (
         id         INTEGER PRIMARY KEY AUTOINCREMENT,
         name       TEXT NOT NULL,
         phone      TEXT NOT NULL,
         created_at TEXT NOT NULL,
         updated_at TEXT NOT NULL
     );
     CREATE INDEX customers_by_phone ON customers (phone);
     CREATE INDEX audit_by_recipient ON audit_log (recipient, id);",
];

/// A reply is linked to the last notice sent to its number this long before it.
pub const REPLY_LINK_SECS: i64 = 48 * 3600;

/// Applies the migrations `conn` has not had yet. Several processes may open one store at
/// once (the CLI, `serve`, `console`): the version is read inside a write transaction, so
/// each migration runs once, in whichever process gets there first.
fn migrate(conn: &mut Connection) -> rusqlite::Result<()> {
    let applied: usize = conn.query_row("PRAGMA user_version", [], |r| r.get(0))?;
    if applied >= MIGRATIONS.len() {
        return Ok(());
    }
    let tx = conn.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
    let applied: usize = tx.query_row("PRAGMA user_version", [], |r| r.get(0))?;
    for (index, sql) in MIGRATIONS.iter().enumerate().skip(applied) {
        tx.execute_batch(sql)?;
        tx.pragma_update(None, "user_version", index + 1)?;
    }
    tx.commit()
}

/// How long a release run may hold a notice before another run may take it over (the first
/// one died): ten minutes, far more than a send with its retries takes.
pub const RELEASE_LEASE_SECS: i64 = 600;

/// `out` for the store's texts, `in` for the customer's.
fn direction(incoming: bool) -> &'static str {
    if incoming { "in" } else { "out" }
}

/// A customer's reply to store.
#[derive(Debug, Clone, Copy)]
pub struct NewReply<'a> {
    /// Twilio's message SID.
    pub message_sid: &'a str,
    /// The customer's number.
    pub from: &'a str,
    /// The store's number.
    pub to: &'a str,
    /// What they wrote.
    pub body: &'a str,
    /// Its class and rule, when it was more than a reply.
    pub intent: Option<(&'a str, &'a str)>,
    /// When it came, Unix seconds by the harness clock.
    pub at_unix: i64,
}

/// A text being sent, for its thread.
#[derive(Debug, Clone, Copy)]
pub struct NewOutgoing<'a> {
    /// Its audit row.
    pub audit_id: i64,
    /// The customer's number.
    pub to: &'a str,
    /// The store's sender.
    pub sender: &'a str,
    /// The text.
    pub body: &'a str,
    /// The notice's event id.
    pub event_id: Option<&'a str>,
    /// The notice's idempotency key.
    pub notice_key: Option<&'a str>,
    /// When, Unix seconds by the harness clock.
    pub at_unix: i64,
}

/// A send of unknown outcome, with what it said.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct UnknownRow {
    /// Its audit row.
    pub audit_id: i64,
    /// The customer's number.
    pub to: String,
    /// The text.
    pub body: String,
    /// When it was sent, Unix seconds.
    pub sent_at: i64,
    /// The notice's idempotency key, for an automated notice (its claim is settled too).
    pub notice_key: Option<String>,
}

/// How a send of unknown outcome turned out.
#[derive(Debug, Clone, Copy)]
pub struct SettledSend<'a> {
    /// Twilio's SID, when it was sent.
    pub message_sid: Option<&'a str>,
    /// Twilio's status, or `failed`.
    pub status: &'a str,
    /// The error's kind when it was not sent (`network`: it never reached Twilio).
    pub error_kind: Option<&'a str>,
    /// What the reader of the log should know.
    pub note: &'a str,
}

/// One customer's thread in the inbox.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ThreadSummary {
    /// The customer's number.
    pub number: String,
    /// The customer's name in the store's list, if the number is there (the first by name
    /// when several customers share it, as [`HostStore::customer_name`] answers).
    pub name: Option<String>,
    /// When the last message was (UTC, RFC 3339).
    pub last_at: String,
    /// `out` (the store's) or `in` (the customer's).
    pub last_direction: &'static str,
    /// Its text (none once purged).
    pub last_body: Option<String>,
    /// Replies not read yet.
    pub unread: u32,
}

/// One message of a thread.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ThreadMessage {
    /// `out` (the store's) or `in` (the customer's).
    pub direction: &'static str,
    /// When (UTC, RFC 3339).
    pub at: String,
    /// The text (none once purged past `message-retention-days`).
    pub body: Option<String>,
    /// Twilio's message SID (none for a send Twilio never accepted).
    pub message_sid: Option<String>,
    /// For the store's texts, the delivery status (`delivered`) or the send's (`queued`,
    /// `failed`).
    pub status: Option<String>,
    /// What it was: `send`, `test`, `notify`, `opt-out-confirmation` for the store's; the
    /// class of a reply (`opt-out`, `possible-opt-out`, …) when it was more than a reply.
    pub kind: Option<String>,
    /// The staff user, for the store's texts.
    pub user: Option<String>,
    /// The notice's event id (for a reply: the notice it answers).
    pub event_id: Option<String>,
    /// Why a send failed.
    pub error_kind: Option<String>,
    /// Whether staff had read it before this look (always true for the store's).
    pub read: bool,
}

/// A number on the store's stop list.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct OptOutRow {
    /// The customer's number.
    pub number: String,
    /// When it was put on the list (UTC, RFC 3339).
    pub since: String,
    /// `keyword`, `phrase`, `twilio-21610` or `staff`.
    pub how: String,
    /// The reply that did it.
    pub reply: Option<String>,
    /// The store's number it came through (or the sender Twilio refused for).
    pub via: Option<String>,
    /// The staff user, for one recorded by hand.
    pub user: Option<String>,
}

/// One request to join or leave the stop list.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct StopListEvent {
    /// When (UTC, RFC 3339).
    pub at: String,
    /// The customer's number.
    pub number: String,
    /// `opt-out` or `opt-in`.
    pub event: String,
    /// `keyword`, `phrase`, `twilio-21610`, `staff` or `reply`.
    pub how: String,
    /// The customer's words.
    pub reply: Option<String>,
    /// The store's number it came through.
    pub via: Option<String>,
    /// The staff user, for one recorded by hand.
    pub user: Option<String>,
    /// False when it changed nothing (already on the list, or not on it).
    pub changed: bool,
}

/// Appends a request to the stop list's log.
fn log_stop_list(
    tx: &rusqlite::Transaction<'_>,
    event: &str,
    e: &OptOutEntry<'_>,
    changed: bool,
) -> rusqlite::Result<()> {
    tx.execute(
        &format!(
            "INSERT INTO stop_list_log (at, number, event, how, reply, via, user, changed)
             VALUES ({NOW}, ?1, ?2, ?3, ?4, ?5, ?6, ?7)"
        ),
        params![e.number, event, e.how, e.reply, e.via, e.user, changed],
    )?;
    Ok(())
}

/// A consent on record, kept as evidence (a revoked one stays, with who revoked it).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ConsentRow {
    /// Row id.
    pub id: i64,
    /// The customer's number.
    pub number: String,
    /// `transactional` or `marketing`.
    pub purpose: String,
    /// `in-store`, `paper-form`, `web-form` or `text-in`.
    pub source: String,
    /// Who recorded it.
    pub user: String,
    /// Free text: the words agreed to, the form's reference.
    pub note: Option<String>,
    /// When (UTC, RFC 3339).
    pub granted_at: String,
    /// When it was revoked, if it was.
    pub revoked_at: Option<String>,
    /// Who revoked it (a staff user, or `opt-out` when the customer opted out).
    pub revoked_by: Option<String>,
    /// Why.
    pub revoke_reason: Option<String>,
}

/// A notice held until quiet hours end.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct HeldRow {
    /// The notice's idempotency key.
    pub key: String,
    /// The customer's number.
    pub to: String,
    /// The notice's kind (`repair-ready`).
    pub kind: String,
    /// The event as JSON, to hand to the plugin again.
    #[serde(skip)]
    pub event: String,
    /// When it is due, seconds since the Unix epoch.
    #[serde(skip)]
    pub release_at_unix: i64,
    /// When it is due (UTC, RFC 3339).
    pub release_at: String,
    /// When it is due, in the customer's time (`8:00 am America/New_York`).
    pub release_local: String,
    /// `held`, `releasing` (a run is sending it), `sent`, `cancelled` or `failed`.
    pub state: String,
    /// When it was held.
    pub held_at: String,
    /// When it was sent or cancelled.
    pub settled_at: Option<String>,
    /// What happened at release (the SID, or the reason it was not sent).
    pub outcome: Option<String>,
}

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
    /// `opt-out`, `opt-in`, `help` or `possible-opt-out`, when it was more than a reply.
    pub intent: Option<String>,
    /// The classifier's rule that matched (`keyword:STOP`, `phrase:stop-texting`).
    pub rule: Option<String>,
}

impl HostStore {
    /// Stamps rows from now on with `now` (Unix seconds) instead of the system clock.
    pub fn set_clock(&self, now: impl Fn() -> i64 + Send + 'static) -> Result<(), StorageError> {
        self.conn
            .create_scalar_function("harness_unix", 0, FunctionFlags::SQLITE_UTF8, move |_| {
                Ok(now())
            })
            .map_err(failed("set the clock rows are stamped with"))
    }

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
            let mut conn = Connection::open(&path)?;
            // The CLI, `serve`, `console` and `queue run` may all use one store: a writer waits
            // its turn (transactions are short) rather than failing with "database is locked".
            conn.busy_timeout(std::time::Duration::from_secs(15))?;
            conn.pragma_update(None, "journal_mode", "WAL")?;
            conn.pragma_update(None, "secure_delete", "ON")?;
            // Every commit reaches the disk: an audit row written before a send must survive
            // a crash or power cut during it.
            conn.pragma_update(None, "synchronous", "FULL")?;
            conn.execute_batch(SCHEMA)?;
            migrate(&mut conn)?;
            Ok(conn)
        };
        let conn = setup().map_err(|e| open_failed(Box::new(e)))?;
        let store = HostStore { conn, path };
        store.set_clock(|| {
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map_or(0, |d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX))
        })?;
        Ok(store)
    }

    /// A second connection to this store that only reads (`query_only`), for the reads of a
    /// call: in WAL mode it sees every committed write and never waits while the writer
    /// commits, so a send's settings, secrets and stop-list checks do not queue behind
    /// another send's fsync. Rows it stamps would need the clock, but it writes none.
    pub fn open_reader(&self) -> Result<HostStore, StorageError> {
        let open_failed = |e: rusqlite::Error| StorageError::Open {
            path: self.path.clone(),
            source: Box::new(e),
        };
        let conn = Connection::open(&self.path).map_err(open_failed)?;
        conn.busy_timeout(std::time::Duration::from_secs(15))
            .map_err(open_failed)?;
        conn.pragma_update(None, "query_only", true)
            .map_err(open_failed)?;
        Ok(HostStore {
            conn,
            path: self.path.clone(),
        })
    }

    /// The database file.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Reads a secret.
    pub fn get_secret(&self, name: &str) -> Result<Option<String>, StorageError> {
        self.conn
            .prepare_cached("SELECT value FROM secrets WHERE name = ?1")
            .and_then(|mut stmt| stmt.query_row([name], |r| r.get(0)).optional())
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
            .prepare_cached("SELECT value FROM config WHERE key = ?1")
            .and_then(|mut stmt| stmt.query_row([key], |r| r.get(0)).optional())
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
            .prepare_cached(&format!(
                "INSERT INTO audit_log (at, action, recipient, body_length, segments, user,
                                            message_sid, status, error_kind, twilio_code,
                                            purpose, note)
                     VALUES ({NOW}, ?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)"
            ))
            .and_then(|mut stmt| stmt.execute(entry_values(row).as_slice()))
            .map_err(failed("append to the audit log"))?;
        Ok(self.conn.last_insert_rowid())
    }

    /// Replaces audit row `id` (keeping its time), e.g. a pending send's final outcome.
    pub fn update_audit(&self, id: i64, row: &AuditEntry) -> Result<(), StorageError> {
        let mut values: Vec<&dyn rusqlite::ToSql> = entry_values(row).to_vec();
        values.push(&id);
        let changed = self
            .conn
            .prepare_cached(
                "UPDATE audit_log SET action = ?1, recipient = ?2, body_length = ?3,
                        segments = ?4, user = ?5, message_sid = ?6, status = ?7,
                        error_kind = ?8, twilio_code = ?9, purpose = ?10, note = ?11
                 WHERE id = ?12",
            )
            .and_then(|mut stmt| stmt.execute(values.as_slice()))
            .map_err(failed("update the audit log"))?;
        if changed == 0 {
            return Err(StorageError::NoAuditRow(id));
        }
        Ok(())
    }

    /// The newest `limit` audit rows, oldest first.
    pub fn audit(&self, limit: u32) -> Result<Vec<AuditRow>, StorageError> {
        let mut rows = self.audit_page(&AuditQuery {
            limit,
            ..AuditQuery::default()
        })?;
        rows.reverse();
        Ok(rows)
    }

    /// A page of the audit log, newest first: up to `limit` rows older than `before`, to
    /// `recipient` when given.
    pub fn audit_page(&self, q: &AuditQuery<'_>) -> Result<Vec<AuditRow>, StorageError> {
        let read = || -> rusqlite::Result<Vec<AuditRow>> {
            let mut stmt = self.conn.prepare(
                "SELECT a.id, a.at, a.action, a.recipient, a.body_length, a.segments, a.user,
                        a.message_sid, a.status, a.error_kind, a.twilio_code,
                        d.status, d.error_code, d.reason, a.purpose, a.note
                 FROM (SELECT * FROM audit_log
                       WHERE (?2 IS NULL OR id < ?2) AND (?3 IS NULL OR recipient = ?3)
                       ORDER BY id DESC LIMIT ?1) AS a
                 LEFT JOIN deliveries AS d ON d.message_sid = a.message_sid
                 ORDER BY a.id DESC",
            )?;
            let rows = stmt.query_map(params![q.limit, q.before, q.recipient], |r| {
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
                        purpose: r.get(14)?,
                        note: r.get(15)?,
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

    /// Stores a customer's text once per message SID, linked to the last notice sent to the
    /// number in the [`REPLY_LINK_SECS`] before it; returns that notice's event id (for a
    /// repeated SID, the one stored the first time).
    pub fn record_reply(&self, r: &NewReply<'_>) -> Result<Option<String>, StorageError> {
        let (intent, rule) = r.intent.unzip();
        let run = || -> rusqlite::Result<Option<String>> {
            let linked: Option<String> = self
                .conn
                .query_row(
                    "SELECT o.event_id FROM outgoing AS o
                     JOIN audit_log AS a ON a.id = o.audit_id
                     WHERE o.number = ?1 AND o.event_id IS NOT NULL
                       AND a.message_sid IS NOT NULL AND o.at <= ?2 AND o.at >= ?2 - ?3
                     ORDER BY o.at DESC, o.audit_id DESC LIMIT 1",
                    params![r.from, r.at_unix, REPLY_LINK_SECS],
                    |row| row.get(0),
                )
                .optional()?;
            self.conn.execute(
                "INSERT INTO replies (at, message_sid, from_number, to_number, body, keyword,
                                          rule, at_unix, linked_event)
                     VALUES (strftime('%Y-%m-%dT%H:%M:%SZ', ?7, 'unixepoch'), ?1, ?2, ?3, ?4,
                             ?5, ?6, ?7, ?8)
                     ON CONFLICT(message_sid) DO NOTHING",
                params![
                    r.message_sid,
                    r.from,
                    r.to,
                    r.body,
                    intent,
                    rule,
                    r.at_unix,
                    linked
                ],
            )?;
            self.conn.query_row(
                "SELECT linked_event FROM replies WHERE message_sid = ?1",
                [r.message_sid],
                |row| row.get(0),
            )
        };
        run().map_err(failed("store a reply"))
    }

    /// Keeps a text being sent in its customer's thread.
    pub fn record_outgoing(&self, o: &NewOutgoing<'_>) -> Result<(), StorageError> {
        self.conn
            .prepare_cached(
                "INSERT INTO outgoing (audit_id, number, sender, body, event_id, notice_key, at)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)
                 ON CONFLICT(audit_id) DO UPDATE SET number = excluded.number,
                     sender = excluded.sender, body = excluded.body,
                     event_id = excluded.event_id, notice_key = excluded.notice_key,
                     at = excluded.at",
            )
            .and_then(|mut stmt| {
                stmt.execute(params![
                    o.audit_id,
                    o.to,
                    o.sender,
                    o.body,
                    o.event_id,
                    o.notice_key,
                    o.at_unix
                ])
            })
            .map_err(failed("keep a text in its thread"))?;
        Ok(())
    }

    /// Every customer's thread, the most recent first: the last message and the unread
    /// replies.
    pub fn threads(&self) -> Result<Vec<ThreadSummary>, StorageError> {
        let read = || -> rusqlite::Result<Vec<ThreadSummary>> {
            let mut stmt = self.conn.prepare(
                "WITH messages AS (
                     SELECT number, at, 0 AS incoming, audit_id AS seq, body FROM outgoing
                     UNION ALL
                     SELECT from_number, at_unix, 1, id,
                            CASE WHEN purged = 1 THEN NULL ELSE body END FROM replies
                 ),
                 ranked AS (
                     SELECT *, ROW_NUMBER() OVER (
                         PARTITION BY number ORDER BY at DESC, incoming DESC, seq DESC) AS n
                     FROM messages
                 )
                 SELECT r.number, strftime('%Y-%m-%dT%H:%M:%SZ', r.at, 'unixepoch'),
                        r.incoming, r.body,
                        (SELECT COUNT(*) FROM replies AS p
                          WHERE p.from_number = r.number AND p.read_at IS NULL),
                        (SELECT c.name FROM customers AS c WHERE c.phone = r.number
                          ORDER BY c.name COLLATE NOCASE, c.id LIMIT 1)
                 FROM ranked AS r WHERE r.n = 1
                 ORDER BY r.at DESC, r.number",
            )?;
            let rows = stmt.query_map([], |r| {
                Ok(ThreadSummary {
                    number: r.get(0)?,
                    name: r.get(5)?,
                    last_at: r.get(1)?,
                    last_direction: direction(r.get(2)?),
                    last_body: r.get(3)?,
                    unread: r.get(4)?,
                })
            })?;
            rows.collect()
        };
        read().map_err(failed("read the inbox"))
    }

    /// One customer's thread, oldest first: the store's texts (with their delivery status)
    /// and the customer's replies, interleaved in time. The replies are marked read.
    pub fn thread(&self, number: &str) -> Result<Vec<ThreadMessage>, StorageError> {
        let read = || -> rusqlite::Result<Vec<ThreadMessage>> {
            let mut stmt = self.conn.prepare(
                "SELECT 0, o.at, strftime('%Y-%m-%dT%H:%M:%SZ', o.at, 'unixepoch'), o.audit_id,
                        o.body, a.message_sid, COALESCE(d.status, a.status), a.action, a.user,
                        o.event_id, a.error_kind, 1
                 FROM outgoing AS o JOIN audit_log AS a ON a.id = o.audit_id
                 LEFT JOIN deliveries AS d ON d.message_sid = a.message_sid
                 WHERE o.number = ?1
                 UNION ALL
                 SELECT 1, at_unix, strftime('%Y-%m-%dT%H:%M:%SZ', at_unix, 'unixepoch'), id,
                        CASE WHEN purged = 1 THEN NULL ELSE body END, message_sid, NULL,
                        keyword, NULL, linked_event, NULL, read_at IS NOT NULL
                 FROM replies WHERE from_number = ?1
                 ORDER BY 2, 1, 4",
            )?;
            let rows = stmt.query_map([number], |r| {
                Ok(ThreadMessage {
                    direction: direction(r.get(0)?),
                    at: r.get(2)?,
                    body: r.get(4)?,
                    message_sid: r.get(5)?,
                    status: r.get(6)?,
                    kind: r.get(7)?,
                    user: r.get(8)?,
                    event_id: r.get(9)?,
                    error_kind: r.get(10)?,
                    read: r.get(11)?,
                })
            })?;
            let messages = rows.collect::<rusqlite::Result<Vec<_>>>()?;
            self.conn.execute(
                &format!(
                    "UPDATE replies SET read_at = {NOW}
                     WHERE from_number = ?1 AND read_at IS NULL"
                ),
                [number],
            )?;
            Ok(messages)
        };
        read().map_err(failed("read a thread"))
    }

    /// The sends Twilio accepted whose delivery status is not final yet (no callback, or one
    /// below `delivered`/`undelivered`/`failed`), written at or after `since_unix`, oldest
    /// first: (audit row, message SID).
    pub fn pending_deliveries(&self, since_unix: i64) -> Result<Vec<(i64, String)>, StorageError> {
        let read = || -> rusqlite::Result<Vec<(i64, String)>> {
            let mut stmt = self.conn.prepare(
                "SELECT a.id, a.message_sid FROM audit_log AS a
                 LEFT JOIN deliveries AS d ON d.message_sid = a.message_sid
                 WHERE a.message_sid IS NOT NULL AND (d.rank IS NULL OR d.rank < 6)
                   AND a.at >= strftime('%Y-%m-%dT%H:%M:%SZ', ?1, 'unixepoch')
                 ORDER BY a.id",
            )?;
            let rows = stmt.query_map([since_unix], |r| Ok((r.get(0)?, r.get(1)?)))?;
            rows.collect()
        };
        read().map_err(failed("read the sends awaiting a delivery status"))
    }

    /// The sends of unknown outcome (no SID, `outcome-unknown`) whose text the conversation
    /// store still has, sent at or after `since_unix`, oldest first.
    pub fn unknown_sends(&self, since_unix: i64) -> Result<Vec<UnknownRow>, StorageError> {
        let read = || -> rusqlite::Result<Vec<UnknownRow>> {
            let mut stmt = self.conn.prepare(
                "SELECT a.id, o.number, o.body, o.at, o.notice_key FROM audit_log AS a
                 JOIN outgoing AS o ON o.audit_id = a.id
                 WHERE a.error_kind = 'outcome-unknown' AND a.message_sid IS NULL
                   AND o.body IS NOT NULL AND o.at >= ?1
                 ORDER BY a.id",
            )?;
            let rows = stmt.query_map([since_unix], |r| {
                Ok(UnknownRow {
                    audit_id: r.get(0)?,
                    to: r.get(1)?,
                    body: r.get(2)?,
                    sent_at: r.get(3)?,
                    notice_key: r.get(4)?,
                })
            })?;
            rows.collect()
        };
        read().map_err(failed("read the sends of unknown outcome"))
    }

    /// Every message SID the audit log holds for sends to `number`.
    pub fn known_sids(&self, number: &str) -> Result<Vec<String>, StorageError> {
        let read = || -> rusqlite::Result<Vec<String>> {
            let mut stmt = self.conn.prepare(
                "SELECT message_sid FROM audit_log
                 WHERE recipient = ?1 AND message_sid IS NOT NULL ORDER BY id",
            )?;
            let rows = stmt.query_map([number], |r| r.get(0))?;
            rows.collect()
        };
        read().map_err(failed("read the audit log"))
    }

    /// Settles a send of unknown outcome with what Twilio's list said: its SID and status,
    /// or that it failed (`error_kind`), with a note for the reader of the log. Only a row
    /// still of unknown outcome changes; returns whether this one did.
    pub fn settle_unknown(&self, id: i64, settled: &SettledSend<'_>) -> Result<bool, StorageError> {
        let changed = self
            .conn
            .execute(
                "UPDATE audit_log SET message_sid = ?2, status = ?3, error_kind = ?4,
                        twilio_code = NULL, note = ?5
                 WHERE id = ?1 AND error_kind = 'outcome-unknown' AND message_sid IS NULL",
                params![
                    id,
                    settled.message_sid,
                    settled.status,
                    settled.error_kind,
                    settled.note
                ],
            )
            .map_err(failed("settle a send of unknown outcome"))?;
        Ok(changed > 0)
    }

    /// Notes on a row of unknown outcome why it is still unknown.
    pub fn note_unknown(&self, id: i64, note: &str) -> Result<(), StorageError> {
        self.conn
            .execute(
                "UPDATE audit_log SET note = ?2 WHERE id = ?1 AND error_kind = 'outcome-unknown'",
                params![id, note],
            )
            .map_err(failed("note a send of unknown outcome"))?;
        Ok(())
    }

    /// Removes the text of every message older than `before_unix` (the audit rows stay).
    /// Returns how many texts were removed.
    pub fn purge_bodies(&self, before_unix: i64) -> Result<usize, StorageError> {
        let run = || -> rusqlite::Result<usize> {
            let outgoing = self.conn.execute(
                "UPDATE outgoing SET body = NULL WHERE at < ?1 AND body IS NOT NULL",
                [before_unix],
            )?;
            let replies = self.conn.execute(
                "UPDATE replies SET body = '', purged = 1 WHERE at_unix < ?1 AND purged = 0",
                [before_unix],
            )?;
            Ok(outgoing + replies)
        };
        run().map_err(failed("purge old texts"))
    }

    /// The newest `limit` replies (from `number` when given), oldest first.
    pub fn replies(&self, number: Option<&str>, limit: u32) -> Result<Vec<Reply>, StorageError> {
        let read = || -> rusqlite::Result<Vec<Reply>> {
            let mut stmt = self.conn.prepare(
                "SELECT id, at, message_sid, from_number, to_number, body, keyword, rule FROM
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
                    intent: r.get(6)?,
                    rule: r.get(7)?,
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

    /// Puts `entry.number` on the stop list and revokes its marketing consent, in one
    /// transaction. Returns false, changing nothing, when it was on the list already.
    pub fn record_opt_out(&mut self, entry: &OptOutEntry<'_>) -> Result<bool, StorageError> {
        let run = |tx: &rusqlite::Transaction<'_>| -> rusqlite::Result<bool> {
            let already: bool = tx
                .query_row(
                    "SELECT opted_out FROM opt_outs WHERE number = ?1",
                    [entry.number],
                    |r| r.get(0),
                )
                .optional()?
                .unwrap_or(false);
            // Every request is evidence, a repeated one too.
            log_stop_list(tx, "opt-out", entry, !already)?;
            if already {
                return Ok(false);
            }
            tx.execute(
                &format!(
                    "INSERT INTO opt_outs (number, opted_out, updated_at, method, reply, via,
                                           user, since)
                     VALUES (?1, 1, {NOW}, ?2, ?3, ?4, ?5, {NOW})
                     ON CONFLICT(number) DO UPDATE SET opted_out = 1,
                         updated_at = excluded.updated_at, method = excluded.method,
                         reply = excluded.reply, via = excluded.via, user = excluded.user,
                         since = excluded.since"
                ),
                params![entry.number, entry.how, entry.reply, entry.via, entry.user],
            )?;
            tx.execute(
                &format!(
                    "UPDATE consents SET revoked_at = {NOW}, revoked_by = 'opt-out',
                         revoke_reason = 'the customer opted out'
                     WHERE number = ?1 AND purpose = 'marketing' AND revoked_at IS NULL"
                ),
                [entry.number],
            )?;
            Ok(true)
        };
        self.transaction(run).map_err(failed("record an opt-out"))
    }

    /// Takes `entry.number` off the stop list, and logs the request. Returns whether it was
    /// on it.
    pub fn record_opt_in(&mut self, entry: &OptOutEntry<'_>) -> Result<bool, StorageError> {
        let run = |tx: &rusqlite::Transaction<'_>| -> rusqlite::Result<bool> {
            let changed = tx.execute(
                &format!(
                    "UPDATE opt_outs SET opted_out = 0, updated_at = {NOW}
                     WHERE number = ?1 AND opted_out = 1"
                ),
                [entry.number],
            )? > 0;
            log_stop_list(tx, "opt-in", entry, changed)?;
            Ok(changed)
        };
        self.transaction(run).map_err(failed("record an opt-in"))
    }

    /// Every opt-out and opt-in request for `number`, oldest first: the evidence of when the
    /// customer asked, how, and in which words.
    pub fn stop_list_history(&self, number: &str) -> Result<Vec<StopListEvent>, StorageError> {
        let read = || -> rusqlite::Result<Vec<StopListEvent>> {
            let mut stmt = self.conn.prepare(
                "SELECT at, number, event, how, reply, via, user, changed
                 FROM stop_list_log WHERE number = ?1 ORDER BY id",
            )?;
            let rows = stmt.query_map([number], |r| {
                Ok(StopListEvent {
                    at: r.get(0)?,
                    number: r.get(1)?,
                    event: r.get(2)?,
                    how: r.get(3)?,
                    reply: r.get(4)?,
                    via: r.get(5)?,
                    user: r.get(6)?,
                    changed: r.get(7)?,
                })
            })?;
            rows.collect()
        };
        read().map_err(failed("read the stop list's history"))
    }

    /// Whether `number` is on the stop list.
    pub fn is_opted_out(&self, number: &str) -> Result<bool, StorageError> {
        Ok(self
            .conn
            .prepare_cached("SELECT opted_out FROM opt_outs WHERE number = ?1")
            .and_then(|mut stmt| stmt.query_row([number], |r| r.get::<_, bool>(0)).optional())
            .map_err(failed("read the opt-outs"))?
            .unwrap_or(false))
    }

    /// The stop list, oldest opt-out first.
    pub fn opt_outs(&self) -> Result<Vec<OptOutRow>, StorageError> {
        let read = || -> rusqlite::Result<Vec<OptOutRow>> {
            let mut stmt = self.conn.prepare(
                "SELECT number, COALESCE(since, updated_at), COALESCE(method, 'keyword'), reply,
                        via, user
                 FROM opt_outs WHERE opted_out = 1 ORDER BY COALESCE(since, updated_at), number",
            )?;
            let rows = stmt.query_map([], |r| {
                Ok(OptOutRow {
                    number: r.get(0)?,
                    since: r.get(1)?,
                    how: r.get(2)?,
                    reply: r.get(3)?,
                    via: r.get(4)?,
                    user: r.get(5)?,
                })
            })?;
            rows.collect()
        };
        read().map_err(failed("read the opt-outs"))
    }

    /// Records a consent and returns it.
    pub fn grant_consent(&self, c: &NewConsent<'_>) -> Result<ConsentRow, StorageError> {
        self.conn
            .execute(
                &format!(
                    "INSERT INTO consents (number, purpose, source, user, note, granted_at)
                     VALUES (?1, ?2, ?3, ?4, ?5, {NOW})"
                ),
                params![c.number, c.purpose, c.source, c.user, c.note],
            )
            .map_err(failed("record a consent"))?;
        let id = self.conn.last_insert_rowid();
        let row = self.consents(c.number)?.into_iter().find(|r| r.id == id);
        row.ok_or_else(|| {
            StorageError::Corrupt(format!("consent {id} was written but cannot be read back"))
        })
    }

    /// Revokes the consents in force for `number` (of `purpose`, or every purpose). Returns
    /// how many were revoked.
    pub fn revoke_consent(
        &self,
        number: &str,
        purpose: Option<&str>,
        by: &str,
        reason: Option<&str>,
    ) -> Result<usize, StorageError> {
        self.conn
            .execute(
                &format!(
                    "UPDATE consents SET revoked_at = {NOW}, revoked_by = ?3, revoke_reason = ?4
                     WHERE number = ?1 AND (?2 IS NULL OR purpose = ?2) AND revoked_at IS NULL"
                ),
                params![number, purpose, by, reason],
            )
            .map_err(failed("revoke a consent"))
    }

    /// Every consent recorded for `number`, revoked ones too, oldest first.
    pub fn consents(&self, number: &str) -> Result<Vec<ConsentRow>, StorageError> {
        let read = || -> rusqlite::Result<Vec<ConsentRow>> {
            let mut stmt = self.conn.prepare(
                "SELECT id, number, purpose, source, user, note, granted_at, revoked_at,
                        revoked_by, revoke_reason
                 FROM consents WHERE number = ?1 ORDER BY id",
            )?;
            let rows = stmt.query_map([number], |r| {
                Ok(ConsentRow {
                    id: r.get(0)?,
                    number: r.get(1)?,
                    purpose: r.get(2)?,
                    source: r.get(3)?,
                    user: r.get(4)?,
                    note: r.get(5)?,
                    granted_at: r.get(6)?,
                    revoked_at: r.get(7)?,
                    revoked_by: r.get(8)?,
                    revoke_reason: r.get(9)?,
                })
            })?;
            rows.collect()
        };
        read().map_err(failed("read the consents"))
    }

    /// The newest consent in force for `number` and `purpose`.
    pub fn active_consent(
        &self,
        number: &str,
        purpose: &str,
    ) -> Result<Option<ConsentRow>, StorageError> {
        Ok(self
            .consents(number)?
            .into_iter()
            .rev()
            .find(|c| c.purpose == purpose && c.revoked_at.is_none()))
    }

    /// Holds a notice until `release_at_unix`; holding a key again replaces its hold.
    pub fn hold_notice(&self, h: &NewHold<'_>) -> Result<(), StorageError> {
        self.conn
            .execute(
                &format!(
                    "INSERT INTO held_notices (key, recipient, kind, event, release_at,
                                               release_utc, release_local, state, held_at)
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, 'held', {NOW})
                     ON CONFLICT(key) DO UPDATE SET recipient = excluded.recipient,
                         kind = excluded.kind, event = excluded.event,
                         release_at = excluded.release_at, release_utc = excluded.release_utc,
                         release_local = excluded.release_local, state = 'held',
                         held_at = excluded.held_at, settled_at = NULL, outcome = NULL,
                         claimed_at = NULL"
                ),
                params![
                    h.key,
                    h.to,
                    h.kind,
                    h.event,
                    h.release_at_unix,
                    h.release_at,
                    h.release_local
                ],
            )
            .map_err(failed("hold a notice"))?;
        Ok(())
    }

    /// The notices still held, the soonest due first; only those due by `due_by` (Unix
    /// seconds) when it is given.
    pub fn held_notices(&self, due_by: Option<i64>) -> Result<Vec<HeldRow>, StorageError> {
        let read = || -> rusqlite::Result<Vec<HeldRow>> {
            let mut stmt = self.conn.prepare(
                "SELECT key, recipient, kind, event, release_at, release_utc, release_local,
                        state, held_at, settled_at, outcome
                 FROM held_notices
                 WHERE (state = 'held' OR (?1 IS NOT NULL AND state = 'releasing'
                                           AND claimed_at <= ?1 - ?2))
                   AND (?1 IS NULL OR release_at <= ?1)
                 ORDER BY release_at, key",
            )?;
            let rows = stmt.query_map(params![due_by, RELEASE_LEASE_SECS], |r| {
                Ok(HeldRow {
                    key: r.get(0)?,
                    to: r.get(1)?,
                    kind: r.get(2)?,
                    event: r.get(3)?,
                    release_at_unix: r.get(4)?,
                    release_at: r.get(5)?,
                    release_local: r.get(6)?,
                    state: r.get(7)?,
                    held_at: r.get(8)?,
                    settled_at: r.get(9)?,
                    outcome: r.get(10)?,
                })
            })?;
            rows.collect()
        };
        read().map_err(failed("read the held notices"))
    }

    /// Takes a due notice for one release run, atomically: true when this call may send it
    /// (no other run has it). A run that died with a notice taken gives it back after
    /// [`RELEASE_LEASE_SECS`].
    pub fn take_held(&self, key: &str, now_unix: i64) -> Result<bool, StorageError> {
        let changed = self
            .conn
            .execute(
                "UPDATE held_notices SET state = 'releasing', claimed_at = ?2
                 WHERE key = ?1 AND (state = 'held'
                       OR (state = 'releasing' AND claimed_at <= ?2 - ?3))",
                params![key, now_unix, RELEASE_LEASE_SECS],
            )
            .map_err(failed("take a held notice"))?;
        Ok(changed > 0)
    }

    /// Settles a held notice: `sent`, `cancelled` or `failed`, with what happened. Only a
    /// notice not settled yet is; returns whether this call settled it.
    pub fn settle_held(&self, key: &str, state: &str, outcome: &str) -> Result<bool, StorageError> {
        let changed = self
            .conn
            .execute(
                &format!(
                    "UPDATE held_notices SET state = ?2, outcome = ?3, settled_at = {NOW}
                     WHERE key = ?1 AND state IN ('held', 'releasing')"
                ),
                params![key, state, outcome],
            )
            .map_err(failed("settle a held notice"))?;
        Ok(changed > 0)
    }

    fn transaction<T>(
        &mut self,
        run: impl FnOnce(&rusqlite::Transaction<'_>) -> rusqlite::Result<T>,
    ) -> rusqlite::Result<T> {
        let tx = self
            .conn
            .transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
        let value = run(&tx)?;
        tx.commit()?;
        Ok(value)
    }
}

/// An opt-out to record.
#[derive(Debug, Clone, Copy)]
pub struct OptOutEntry<'a> {
    /// The customer's number in E.164.
    pub number: &'a str,
    /// `keyword`, `phrase`, `twilio-21610` or `staff`.
    pub how: &'a str,
    /// The reply that did it.
    pub reply: Option<&'a str>,
    /// The store's number it came through.
    pub via: Option<&'a str>,
    /// The staff user, for one recorded by hand.
    pub user: Option<&'a str>,
}

impl<'a> OptOutEntry<'a> {
    /// A request staff recorded by hand for `number`.
    pub fn staff(number: &'a str, user: &'a str) -> OptOutEntry<'a> {
        OptOutEntry {
            number,
            how: "staff",
            reply: None,
            via: None,
            user: Some(user),
        }
    }
}

/// A consent to record.
#[derive(Debug, Clone, Copy)]
pub struct NewConsent<'a> {
    /// The customer's number in E.164.
    pub number: &'a str,
    /// `transactional` or `marketing`.
    pub purpose: &'a str,
    /// `in-store`, `paper-form`, `web-form` or `text-in`.
    pub source: &'a str,
    /// Who records it.
    pub user: &'a str,
    /// Free text.
    pub note: Option<&'a str>,
}

/// A notice to hold.
#[derive(Debug, Clone, Copy)]
pub struct NewHold<'a> {
    /// Its idempotency key.
    pub key: &'a str,
    /// The customer's number.
    pub to: &'a str,
    /// Its kind.
    pub kind: &'a str,
    /// The event as JSON.
    pub event: &'a str,
    /// When it is due, Unix seconds.
    pub release_at_unix: i64,
    /// When it is due, RFC 3339 UTC.
    pub release_at: &'a str,
    /// When it is due, in the customer's time.
    pub release_local: &'a str,
}

/// An audit entry's columns, in the order the audit statements bind them (?1 to ?11).
fn entry_values(row: &AuditEntry) -> [&dyn rusqlite::ToSql; 11] {
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
        &row.purpose,
        &row.note,
    ]
}

fn data_dir_failed(dir: &Path) -> impl FnOnce(std::io::Error) -> StorageError + '_ {
    move |source| StorageError::DataDir {
        path: dir.to_path_buf(),
        source,
    }
}

/// Creates the data directory with mode 0700 (on Unix) when it does not exist.
fn create_private_dir(dir: &Path) -> Result<(), StorageError> {
    if dir.is_dir() {
        return Ok(());
    }
    let mut builder = std::fs::DirBuilder::new();
    builder.recursive(true);
    #[cfg(unix)]
    std::os::unix::fs::DirBuilderExt::mode(&mut builder, 0o700);
    builder.create(dir).map_err(data_dir_failed(dir))
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
                    purpose: "transactional".into(),
                    note: None,
                })
                .unwrap();
        }
        let rows = store.audit(2).unwrap();
        assert_eq!(rows.iter().map(|r| r.id).collect::<Vec<_>>(), [2, 3]);
        assert_eq!(rows[1].entry.to, "+15550000002");
        // A page is newest first, older than `before`, to one number when asked.
        let page = |limit, before, recipient| {
            let q = AuditQuery {
                limit,
                before,
                recipient,
            };
            let rows = store.audit_page(&q).unwrap();
            rows.iter().map(|r| r.id).collect::<Vec<_>>()
        };
        assert_eq!(page(2, None, None), [3, 2]);
        assert_eq!(page(2, Some(3), None), [2, 1]);
        assert_eq!(page(2, Some(1), None), Vec::<i64>::new());
        assert_eq!(page(5, None, Some("+15550000001")), [2]);
        assert_eq!(page(5, Some(2), Some("+15550000001")), Vec::<i64>::new());
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
    fn the_reader_sees_what_is_committed_without_waiting_and_writes_nothing() {
        let dir = tempfile::tempdir().unwrap();
        let store = HostStore::open(dir.path()).unwrap();
        store.set_config("store-name", "Gems").unwrap();
        let reader = store.open_reader().unwrap();
        assert_eq!(reader.path(), store.path());
        // The writer is mid-transaction (as the group commit is through its fsync): the
        // reader answers at once, from the last commit.
        store.conn.execute_batch("BEGIN IMMEDIATE").unwrap();
        store.set_config("store-name", "Gems & Co").unwrap();
        store.set_secret("twilio-auth-token", "t0k3n").unwrap();
        let started = std::time::Instant::now();
        assert_eq!(
            reader.get_config("store-name").unwrap().as_deref(),
            Some("Gems")
        );
        assert_eq!(reader.get_secret("twilio-auth-token").unwrap(), None);
        assert!(!reader.is_opted_out("+12125550100").unwrap());
        // Not the 15 s busy timeout: a WAL reader never waits for a writer.
        assert!(started.elapsed() < std::time::Duration::from_secs(5));
        store.conn.execute_batch("COMMIT").unwrap();
        assert_eq!(
            reader.get_config("store-name").unwrap().as_deref(),
            Some("Gems & Co")
        );
        assert_eq!(
            reader.get_secret("twilio-auth-token").unwrap().as_deref(),
            Some("t0k3n")
        );
        // It is query-only: a write through it fails, and nothing changes.
        let refused = reader.set_config("store-name", "Other").unwrap_err();
        assert!(
            matches!(
                refused,
                StorageError::Query {
                    action: "save a setting",
                    ..
                }
            ),
            "{refused:?}"
        );
        assert!(refused.to_string().contains("readonly"), "{refused}");
        assert_eq!(
            store.get_config("store-name").unwrap().as_deref(),
            Some("Gems & Co")
        );
    }

    #[test]
    fn rows_are_stamped_by_the_clock_the_store_is_given() {
        let dir = tempfile::tempdir().unwrap();
        let store = HostStore::open(dir.path()).unwrap();
        store.set_clock(|| 1_796_144_400).unwrap();
        let entry = AuditEntry::staff_action("opt-out", "+12125550100", "dana", None);
        store.append_audit(&entry).unwrap();
        store.add_customer("Ana Lima", "+12125550123").unwrap();
        assert_eq!(store.audit(1).unwrap()[0].at, "2026-12-01T17:00:00Z");
        let stamped: String = store
            .conn
            .query_row("SELECT created_at FROM customers", [], |r| r.get(0))
            .unwrap();
        assert_eq!(stamped, "2026-12-01T17:00:00Z");
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
                purpose: "marketing".into(),
                note: Some("quiet hours overridden".into()),
            })
            .unwrap();
        assert_eq!(store.audit(1).unwrap()[0].delivery, None);
        assert_eq!(store.audit(1).unwrap()[0].entry.purpose, "marketing");
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
        let stop = NewReply {
            message_sid: "SMr",
            from: "+15551234567",
            to: "+15005550006",
            body: "STOP",
            intent: Some(("opt-out", "keyword:STOP")),
            at_unix: 1_796_144_400,
        };
        assert_eq!(store.record_reply(&stop).unwrap(), None);
        assert_eq!(store.record_reply(&stop).unwrap(), None);
        let replies = store.replies(None, 10).unwrap();
        assert_eq!(replies.len(), 1);
        assert_eq!(
            (replies[0].intent.as_deref(), replies[0].rule.as_deref()),
            (Some("opt-out"), Some("keyword:STOP"))
        );
        assert_eq!(store.replies(Some("+15550000000"), 10).unwrap().len(), 0);
    }

    #[test]
    fn one_stop_list_revokes_marketing_consent_and_keeps_its_evidence() {
        let dir = tempfile::tempdir().unwrap();
        let mut store = HostStore::open(dir.path()).unwrap();
        let number = "+15551234567";
        let consent = NewConsent {
            number,
            purpose: "marketing",
            source: "paper-form",
            user: "alice",
            note: Some("signed the loyalty form"),
        };
        let granted = store.grant_consent(&consent).unwrap();
        assert_eq!((granted.id, granted.revoked_at.as_deref()), (1, None));
        let transactional = NewConsent {
            purpose: "transactional",
            ..consent
        };
        store.grant_consent(&transactional).unwrap();
        assert_eq!(
            store
                .active_consent(number, "marketing")
                .unwrap()
                .map(|c| c.id),
            Some(1)
        );
        let stop = OptOutEntry {
            number,
            how: "phrase",
            reply: Some("please stop texting me"),
            via: Some("+15005550006"),
            user: None,
        };
        assert!(store.record_opt_out(&stop).unwrap());
        // Again, through another of the store's numbers: already on the one list.
        let again = OptOutEntry {
            how: "keyword",
            via: Some("+15005550007"),
            ..stop
        };
        assert!(!store.record_opt_out(&again).unwrap());
        assert!(store.is_opted_out(number).unwrap());
        let list = store.opt_outs().unwrap();
        assert_eq!(list.len(), 1);
        assert_eq!(
            (
                list[0].how.as_str(),
                list[0].reply.as_deref(),
                list[0].via.as_deref()
            ),
            (
                "phrase",
                Some("please stop texting me"),
                Some("+15005550006")
            )
        );
        // The opt-out revoked marketing consent and left the transactional one.
        assert_eq!(store.active_consent(number, "marketing").unwrap(), None);
        let history = store.consents(number).unwrap();
        assert_eq!(history[0].revoked_by.as_deref(), Some("opt-out"));
        assert_eq!(history[1].revoked_at, None);
        let start = OptOutEntry {
            number,
            how: "reply",
            reply: Some("START"),
            via: Some("+15005550006"),
            user: None,
        };
        assert!(store.record_opt_in(&start).unwrap());
        assert!(!store.record_opt_in(&start).unwrap());
        let history: Vec<(String, String, Option<String>, bool)> = store
            .stop_list_history(number)
            .unwrap()
            .into_iter()
            .map(|e| (e.event, e.how, e.reply, e.changed))
            .collect();
        let row = |event: &str, how: &str, reply: &str, changed| {
            (
                event.to_string(),
                how.to_string(),
                Some(reply.to_string()),
                changed,
            )
        };
        assert_eq!(
            history,
            [
                row("opt-out", "phrase", "please stop texting me", true),
                row("opt-out", "keyword", "please stop texting me", false),
                row("opt-in", "reply", "START", true),
                row("opt-in", "reply", "START", false),
            ]
        );
        assert!(!store.is_opted_out(number).unwrap());
        assert_eq!(store.opt_outs().unwrap(), []);
        assert_eq!(
            store
                .revoke_consent(number, None, "bob", Some("asked in store"))
                .unwrap(),
            1
        );
        assert_eq!(store.active_consent(number, "transactional").unwrap(), None);
    }

    #[test]
    fn held_notices_are_due_in_order_and_settle_once() {
        let dir = tempfile::tempdir().unwrap();
        let store = HostStore::open(dir.path()).unwrap();
        let hold = |key: &str, at: i64| {
            store
                .hold_notice(&NewHold {
                    key,
                    to: "+12125550100",
                    kind: "repair-ready",
                    event: "{}",
                    release_at_unix: at,
                    release_at: "2026-12-02T13:00:00Z",
                    release_local: "8:00 am America/New_York",
                })
                .unwrap()
        };
        hold("b", 200);
        hold("a", 100);
        hold("b", 150); // a second hold of a key replaces the first
        let keys = |due| -> Vec<String> {
            store
                .held_notices(due)
                .unwrap()
                .into_iter()
                .map(|h| h.key)
                .collect()
        };
        assert_eq!(keys(None), ["a", "b"]);
        assert_eq!(keys(Some(149)), ["a"]);
        assert_eq!(keys(Some(150)), ["a", "b"]);
        // One run takes "a"; another cannot, until the first has had it for the lease.
        assert!(store.take_held("a", 150).unwrap());
        assert!(!store.take_held("a", 151).unwrap());
        assert_eq!(keys(Some(151)), ["b"]);
        let expired = 150 + RELEASE_LEASE_SECS;
        assert_eq!(keys(Some(expired - 1)), ["b"]);
        assert_eq!(keys(Some(expired)), ["a", "b"]);
        assert!(store.take_held("a", expired).unwrap());
        assert!(store.settle_held("a", "sent", "SM1").unwrap());
        assert!(!store.settle_held("a", "cancelled", "late").unwrap());
        assert_eq!(keys(None), ["b"]);
    }

    #[test]
    fn a_database_from_the_first_release_is_migrated_without_loss() {
        let dir = tempfile::tempdir().unwrap();
        {
            let conn = Connection::open(dir.path().join(DB_FILE)).unwrap();
            conn.execute_batch(SCHEMA).unwrap();
            conn.execute_batch(
                "INSERT INTO audit_log (at, action, recipient, body_length, segments, user,
                                        status)
                 VALUES ('2026-01-01T00:00:00Z', 'send', '+15551234567', 5, 1, 'alice', 'queued');
                 INSERT INTO opt_outs VALUES ('+15550001111', 1, '2026-01-02T00:00:00Z');",
            )
            .unwrap();
        }
        let store = HostStore::open(dir.path()).unwrap();
        let rows = store.audit(10).unwrap();
        assert_eq!(rows.len(), 1);
        assert_eq!(
            (rows[0].entry.user.as_str(), rows[0].entry.purpose.as_str()),
            ("alice", "transactional")
        );
        let list = store.opt_outs().unwrap();
        assert_eq!(
            (list[0].since.as_str(), list[0].how.as_str()),
            ("2026-01-02T00:00:00Z", "keyword")
        );
        drop(store);
        // Opening again applies nothing twice.
        let store = HostStore::open(dir.path()).unwrap();
        assert_eq!(store.audit(10).unwrap().len(), 1);
    }

    #[test]
    fn threads_interleave_texts_and_replies_and_link_a_reply_to_its_notice() {
        let dir = tempfile::tempdir().unwrap();
        let store = HostStore::open(dir.path()).unwrap();
        let t0 = 1_796_144_400; // 2026-12-01T17:00:00Z
        let customer = "+12125550100";
        let send = |action: &str, sid: Option<&str>, body: &str, event: Option<&str>, at| {
            let id = store
                .append_audit(&AuditEntry {
                    message_sid: sid.map(String::from),
                    status: if sid.is_some() { "queued" } else { "failed" }.into(),
                    ..AuditEntry::staff_action(action, customer, "alice", None)
                })
                .unwrap();
            store
                .record_outgoing(&NewOutgoing {
                    audit_id: id,
                    to: customer,
                    sender: "+15005550006",
                    body,
                    event_id: event,
                    notice_key: None,
                    at_unix: at,
                })
                .unwrap();
        };
        let reply = |sid: &str, body: &str, at| {
            store
                .record_reply(&NewReply {
                    message_sid: sid,
                    from: customer,
                    to: "+15005550006",
                    body,
                    intent: None,
                    at_unix: at,
                })
                .unwrap()
        };
        send(
            "notify",
            Some("SM1"),
            "Reminder: tomorrow at 2pm. C to confirm",
            Some("appt-7"),
            t0,
        );
        // A failed notice later is not what the customer answers.
        send(
            "notify",
            None,
            "Your ring is ready",
            Some("repair-9"),
            t0 + 60,
        );
        assert_eq!(reply("SMr1", "C", t0 + 3600).as_deref(), Some("appt-7"));
        assert_eq!(
            reply("SMr1", "C", t0 + 3600).as_deref(),
            Some("appt-7"),
            "once per SID"
        );
        send(
            "send",
            Some("SM2"),
            "Thanks, see you then!",
            None,
            t0 + 3700,
        );
        // 48 hours after the reminder and a second: no longer linked.
        assert_eq!(
            reply("SMr2", "Running late", t0 + REPLY_LINK_SECS + 1),
            None
        );

        assert_eq!(
            store.threads().unwrap(),
            [ThreadSummary {
                number: customer.into(),
                name: None,
                last_at: "2026-12-03T17:00:01Z".into(),
                last_direction: "in",
                last_body: Some("Running late".into()),
                unread: 2,
            }]
        );
        let thread = store.thread(customer).unwrap();
        let shape: Vec<(&str, Option<&str>, Option<&str>, bool)> = thread
            .iter()
            .map(|m| {
                (
                    m.direction,
                    m.body.as_deref(),
                    m.event_id.as_deref(),
                    m.read,
                )
            })
            .collect();
        assert_eq!(
            shape,
            [
                (
                    "out",
                    Some("Reminder: tomorrow at 2pm. C to confirm"),
                    Some("appt-7"),
                    true
                ),
                ("out", Some("Your ring is ready"), Some("repair-9"), true),
                ("in", Some("C"), Some("appt-7"), false),
                ("out", Some("Thanks, see you then!"), None, true),
                ("in", Some("Running late"), None, false),
            ]
        );
        assert_eq!(thread[1].status.as_deref(), Some("failed"));
        assert_eq!(thread[0].at, "2026-12-01T17:00:00Z");
        // Reading the thread marked it read. The thread carries the customer's name once the
        // number is in the list, the first by name when two share it.
        assert_eq!(store.threads().unwrap()[0].unread, 0);
        store.add_customer("sam Rivera", customer).unwrap();
        store.add_customer("Alex Rivera", customer).unwrap();
        store.add_customer("Dana Lee", "+12125550199").unwrap();
        let threads = store.threads().unwrap();
        assert_eq!(threads.len(), 1);
        assert_eq!(threads[0].name.as_deref(), Some("Alex Rivera"));
        assert_eq!(
            threads[0].name,
            store.customer_name(customer).unwrap(),
            "one answer for the inbox and the thread"
        );
        assert!(store.thread(customer).unwrap().iter().all(|m| m.read));

        // Retention: texts older than the cut lose their words; the audit rows stay.
        assert_eq!(store.purge_bodies(t0 + 3601).unwrap(), 3);
        assert_eq!(store.purge_bodies(t0 + 3601).unwrap(), 0);
        let bodies: Vec<Option<String>> = store
            .thread(customer)
            .unwrap()
            .into_iter()
            .map(|m| m.body)
            .collect();
        assert_eq!(
            bodies,
            [
                None,
                None,
                None,
                Some("Thanks, see you then!".into()),
                Some("Running late".into())
            ]
        );
        assert_eq!(store.audit(10).unwrap().len(), 3);
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
    fn settings_and_the_plugin_registry_round_trip() {
        let dir = tempfile::tempdir().unwrap();
        let store = HostStore::open(dir.path()).unwrap();
        assert_eq!(store.get_config("quiet-hours").unwrap(), None);
        store.set_config("quiet-hours", "09:00-20:00").unwrap();
        assert_eq!(
            store.get_config("quiet-hours").unwrap().as_deref(),
            Some("09:00-20:00")
        );
        store.unset_config("quiet-hours").unwrap();
        assert_eq!(store.get_config("quiet-hours").unwrap(), None);

        let plugin = |id: &str, version: &str| InstalledPlugin {
            id: id.into(),
            version: version.into(),
            api_version: "0.2.0".into(),
            publisher: "Gems".into(),
            granted: vec!["https://api.twilio.com:443".into()],
            secrets: vec!["twilio-connection".into()],
            dir: dir.path().join(id),
        };
        store.register_plugin(&plugin("b", "1.0.0")).unwrap();
        store.register_plugin(&plugin("a", "1.0.0")).unwrap();
        store.register_plugin(&plugin("a", "1.1.0")).unwrap();
        assert_eq!(
            store.installed_plugins().unwrap(),
            [plugin("a", "1.1.0"), plugin("b", "1.0.0")]
        );
        assert_eq!(
            store.installed_plugin("b").unwrap(),
            Some(plugin("b", "1.0.0"))
        );
        assert_eq!(store.installed_plugin("c").unwrap(), None);
        assert_eq!(
            plugin("a", "1.1.0").wasm(),
            dir.path().join("a").join("plugin.wasm")
        );
        store.unregister_plugin("a").unwrap();
        assert_eq!(store.installed_plugins().unwrap(), [plugin("b", "1.0.0")]);
        assert_eq!(
            format!("{store:?}"),
            format!("HostStore {{ path: {:?} }}", store.path())
        );
    }

    #[test]
    fn a_database_file_left_readable_is_made_private() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join(DB_FILE);
        std::fs::write(&file, b"").unwrap();
        std::fs::set_permissions(&file, std::fs::Permissions::from_mode(0o644)).unwrap();
        HostStore::open(dir.path()).unwrap();
        let mode = std::fs::metadata(&file).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o600);
    }

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
