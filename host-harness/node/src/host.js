// The `pos:sms/host` interface over SQLite (better-sqlite3), mirroring the Rust host
// (host-harness/host/src/imports.rs and storage.rs): the same tables and columns, the same
// rules.
//
// - The audit log is written durably (WAL, synchronous=FULL): a send records its row as
//   `pending` before the request leaves and updates it afterwards.
// - A delivery status never overwrites a higher-ranked one (a late `sent` after `delivered`).
// - A reply is stored once per message SID, linked to the last notice sent to that number in
//   the 48 hours before it.
// - The stop list is the store's (every sender); an opt-out revokes the marketing consent;
//   every opt-out and opt-in request is kept as evidence.
// - Notice keys are claimed with one INSERT, so notifying twice sends once.
// - The plugin reads only the settings its manifest declares.
// - A failure of the host's own storage reaches the plugin as `host-error.storage`, never as
//   a trap.

import { closeSync, mkdirSync, openSync } from 'node:fs';
import { dirname } from 'node:path';

import Database from 'better-sqlite3';

/** A reply is linked to the last notice sent to its number this long before it. */
export const REPLY_LINK_SECS = 48 * 3600;
/** Host setting: the automated-text budget, in segments per second. */
export const CONFIG_SEGMENTS_PER_SECOND = 'segments-per-second';

const SCHEMA = `
  CREATE TABLE IF NOT EXISTS secrets (
      name TEXT PRIMARY KEY, value TEXT NOT NULL, updated_at TEXT NOT NULL);
  CREATE TABLE IF NOT EXISTS config (key TEXT PRIMARY KEY, value TEXT NOT NULL);
  CREATE TABLE IF NOT EXISTS audit_log (
      id INTEGER PRIMARY KEY AUTOINCREMENT, at TEXT NOT NULL, action TEXT NOT NULL,
      recipient TEXT NOT NULL, body_length INTEGER NOT NULL, segments INTEGER NOT NULL,
      user TEXT NOT NULL, message_sid TEXT, status TEXT NOT NULL, error_kind TEXT,
      twilio_code INTEGER, purpose TEXT NOT NULL DEFAULT 'transactional', note TEXT);
  CREATE INDEX IF NOT EXISTS audit_by_recipient ON audit_log (recipient, id);
  CREATE TABLE IF NOT EXISTS deliveries (
      message_sid TEXT PRIMARY KEY, status TEXT NOT NULL, rank INTEGER NOT NULL,
      error_code INTEGER, reason TEXT, updated_at TEXT NOT NULL);
  CREATE TABLE IF NOT EXISTS replies (
      id INTEGER PRIMARY KEY AUTOINCREMENT, at TEXT NOT NULL,
      message_sid TEXT NOT NULL UNIQUE, from_number TEXT NOT NULL, to_number TEXT NOT NULL,
      body TEXT NOT NULL, keyword TEXT, rule TEXT, at_unix INTEGER, linked_event TEXT);
  CREATE INDEX IF NOT EXISTS replies_by_number ON replies (from_number, at_unix);
  CREATE TABLE IF NOT EXISTS outgoing (
      audit_id INTEGER PRIMARY KEY, number TEXT NOT NULL, sender TEXT NOT NULL, body TEXT,
      event_id TEXT, notice_key TEXT, at INTEGER NOT NULL);
  CREATE INDEX IF NOT EXISTS outgoing_by_number ON outgoing (number, at);
  CREATE TABLE IF NOT EXISTS notices (
      key TEXT PRIMARY KEY, state TEXT NOT NULL, sid TEXT, recipient TEXT, status TEXT,
      segments INTEGER, updated_at TEXT NOT NULL);
  CREATE TABLE IF NOT EXISTS opt_outs (
      number TEXT PRIMARY KEY, opted_out INTEGER NOT NULL, updated_at TEXT NOT NULL,
      method TEXT, reply TEXT, via TEXT, user TEXT, since TEXT);
  CREATE TABLE IF NOT EXISTS stop_list_log (
      id INTEGER PRIMARY KEY AUTOINCREMENT, at TEXT NOT NULL, number TEXT NOT NULL,
      event TEXT NOT NULL, how TEXT NOT NULL, reply TEXT, via TEXT, user TEXT,
      changed INTEGER NOT NULL);
  CREATE INDEX IF NOT EXISTS stop_list_log_by_number ON stop_list_log (number);
  CREATE TABLE IF NOT EXISTS consents (
      id INTEGER PRIMARY KEY AUTOINCREMENT, number TEXT NOT NULL, purpose TEXT NOT NULL,
      source TEXT NOT NULL, user TEXT NOT NULL, note TEXT, granted_at TEXT NOT NULL,
      revoked_at TEXT, revoked_by TEXT, revoke_reason TEXT);
  CREATE INDEX IF NOT EXISTS consents_by_number ON consents (number, purpose);
  CREATE TABLE IF NOT EXISTS held_notices (
      key TEXT PRIMARY KEY, recipient TEXT NOT NULL, kind TEXT NOT NULL, event TEXT NOT NULL,
      release_at INTEGER NOT NULL, release_utc TEXT NOT NULL, release_local TEXT NOT NULL,
      state TEXT NOT NULL, held_at TEXT NOT NULL, settled_at TEXT, outcome TEXT,
      claimed_at INTEGER);
`;

const NOW = "strftime('%Y-%m-%dT%H:%M:%SZ', host_unix(), 'unixepoch')";

/**
 * @typedef {object} AuditRow
 * @property {number} id
 * @property {string} at RFC 3339 UTC, by the host's clock
 * @property {string} action `send`, `test`, `notify` or `opt-out-confirmation`
 * @property {string} to
 * @property {number} bodyLength
 * @property {number} segments
 * @property {string} user
 * @property {string | null} messageSid
 * @property {string} status `pending`, Twilio's status, or `failed`
 * @property {string | null} errorKind
 * @property {number | null} twilioCode
 * @property {string} purpose
 * @property {string | null} note
 * @property {{ status: string, errorCode: number | null, reason: string | null } | null} delivery
 */

/** A value the host refuses (`host-error.invalid`). */
export class InvalidValue extends Error {}

/**
 * The host's state in one SQLite file.
 */
export class HostStore {
  /**
   * @param {string} path the database file (created with mode 0600), or `:memory:`
   * @param {() => number} nowUnix the host's clock, seconds since the epoch
   */
  constructor(path, nowUnix) {
    if (path !== ':memory:') {
      mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
      closeSync(openSync(path, 'a', 0o600));
    }
    this.path = path;
    this.nowUnix = nowUnix;
    const db = new Database(path);
    // Several processes may share the store: a writer waits its turn.
    db.pragma('busy_timeout = 15000');
    db.pragma('journal_mode = WAL');
    // Deleted secrets are overwritten, not left in free pages.
    db.pragma('secure_delete = ON');
    // Every commit reaches the disk: an audit row written before a send survives a crash.
    db.pragma('synchronous = FULL');
    db.function('host_unix', () => this.nowUnix());
    db.exec(SCHEMA);
    this.db = db;
    /** @type {Map<string, import('better-sqlite3').Statement>} */
    this.statements = new Map();
  }

  /** @param {string} sql */
  #q(sql) {
    let s = this.statements.get(sql);
    if (!s) {
      s = this.db.prepare(sql);
      this.statements.set(sql, s);
    }
    return s;
  }

  close() {
    this.db.close();
  }

  // Secrets and settings.

  /** @param {string} name @returns {string | undefined} */
  getSecret(name) {
    return this.#q('SELECT value FROM secrets WHERE name = ?').pluck().get(name);
  }

  /** @param {string} name @param {string} value */
  setSecret(name, value) {
    this.#q(
      `INSERT INTO secrets (name, value, updated_at) VALUES (?, ?, ${NOW})
       ON CONFLICT(name) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at`,
    ).run(name, value);
  }

  /** Deletes a secret, then checkpoints the WAL so its bytes leave the WAL file too. */
  deleteSecret(/** @type {string} */ name) {
    this.#q('DELETE FROM secrets WHERE name = ?').run(name);
    this.db.pragma('wal_checkpoint(TRUNCATE)');
  }

  /** @param {string} key @returns {string | undefined} */
  getConfig(key) {
    return this.#q('SELECT value FROM config WHERE key = ?').pluck().get(key);
  }

  /** @param {string} key @param {string} value */
  setConfig(key, value) {
    this.#q(
      'INSERT INTO config (key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value',
    ).run(key, String(value));
  }

  /** @param {string} key */
  unsetConfig(key) {
    this.#q('DELETE FROM config WHERE key = ?').run(key);
  }

  // The audit log.

  /** @param {any} e the plugin's audit-entry */
  static #auditValues(e) {
    return [
      e.action,
      e.to,
      e.bodyLength,
      e.segments,
      e.user,
      e.messageSid ?? null,
      e.status,
      e.errorKind ?? null,
      e.twilioCode ?? null,
      e.purpose,
      e.note ?? null,
    ];
  }

  /** Appends an audit row; returns its id. @param {any} entry */
  appendAudit(entry) {
    const info = this.#q(
      `INSERT INTO audit_log (at, action, recipient, body_length, segments, user, message_sid,
                              status, error_kind, twilio_code, purpose, note)
       VALUES (${NOW}, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    ).run(...HostStore.#auditValues(entry));
    return Number(info.lastInsertRowid);
  }

  /** Replaces row `id` (keeping its time). @param {number} id @param {any} entry */
  updateAudit(id, entry) {
    const info = this.#q(
      `UPDATE audit_log SET action = ?, recipient = ?, body_length = ?, segments = ?, user = ?,
              message_sid = ?, status = ?, error_kind = ?, twilio_code = ?, purpose = ?, note = ?
       WHERE id = ?`,
    ).run(...HostStore.#auditValues(entry), id);
    if (info.changes === 0) throw new InvalidValue(`there is no audit row ${id}`);
  }

  /**
   * The newest `limit` audit rows, oldest first, with what Twilio said about delivery.
   *
   * @param {number} [limit]
   * @returns {AuditRow[]}
   */
  audit(limit = 50) {
    const rows = this.#q(
      `SELECT a.*, d.status AS d_status, d.error_code AS d_error_code, d.reason AS d_reason
       FROM (SELECT * FROM audit_log ORDER BY id DESC LIMIT ?) AS a
       LEFT JOIN deliveries AS d ON d.message_sid = a.message_sid
       ORDER BY a.id`,
    ).all(limit);
    return rows.map((r) => ({
      id: r.id,
      at: r.at,
      action: r.action,
      to: r.recipient,
      bodyLength: r.body_length,
      segments: r.segments,
      user: r.user,
      messageSid: r.message_sid,
      status: r.status,
      errorKind: r.error_kind,
      twilioCode: r.twilio_code,
      purpose: r.purpose,
      note: r.note,
      delivery: r.d_status == null ? null : { status: r.d_status, errorCode: r.d_error_code, reason: r.d_reason },
    }));
  }

  // Deliveries, replies and the conversation store.

  /** Records a status unless a higher-ranked one is stored. @param {any} u delivery-update */
  recordDelivery(u) {
    this.#q(
      `INSERT INTO deliveries (message_sid, status, rank, error_code, reason, updated_at)
       VALUES (?, ?, ?, ?, ?, ${NOW})
       ON CONFLICT(message_sid) DO UPDATE SET status = excluded.status, rank = excluded.rank,
           error_code = excluded.error_code, reason = excluded.reason,
           updated_at = excluded.updated_at
       WHERE excluded.rank > deliveries.rank`,
    ).run(u.messageSid, u.status, u.rank, u.errorCode ?? null, u.reason ?? null);
  }

  /** @param {string} messageSid */
  delivery(messageSid) {
    const r = this.#q('SELECT status, rank, error_code, reason FROM deliveries WHERE message_sid = ?').get(messageSid);
    return r ? { status: r.status, rank: r.rank, errorCode: r.error_code, reason: r.reason } : null;
  }

  /**
   * Stores a reply once per message SID; returns the event id of the notice it answers.
   *
   * @param {any} m inbound-message
   * @returns {string | undefined}
   */
  recordReply(m) {
    const at = this.nowUnix();
    const run = this.db.transaction(() => {
      const linked = this.#q(
        `SELECT o.event_id FROM outgoing AS o JOIN audit_log AS a ON a.id = o.audit_id
         WHERE o.number = ? AND o.event_id IS NOT NULL AND a.message_sid IS NOT NULL
           AND o.at <= ? AND o.at >= ? - ?
         ORDER BY o.at DESC, o.audit_id DESC LIMIT 1`,
      ).pluck().get(m.from, at, at, REPLY_LINK_SECS);
      this.#q(
        `INSERT INTO replies (at, message_sid, from_number, to_number, body, keyword, rule,
                              at_unix, linked_event)
         VALUES (strftime('%Y-%m-%dT%H:%M:%SZ', ?, 'unixepoch'), ?, ?, ?, ?, ?, ?, ?, ?)
         ON CONFLICT(message_sid) DO NOTHING`,
      ).run(
        at,
        m.messageSid,
        m.from,
        m.to,
        m.body,
        m.classification?.intent ?? null,
        m.classification?.rule ?? null,
        at,
        linked ?? null,
      );
      return this.#q('SELECT linked_event FROM replies WHERE message_sid = ?').pluck().get(m.messageSid);
    });
    return run.immediate() ?? undefined;
  }

  /**
   * The replies, oldest first (the newest `limit`), from `number` when given.
   *
   * @param {{ number?: string, limit?: number }} [q]
   */
  replies({ number, limit = 50 } = {}) {
    return this.#q(
      `SELECT id, at, message_sid AS messageSid, from_number AS "from", to_number AS "to", body,
              keyword AS intent, rule, linked_event AS linkedEvent
       FROM (SELECT * FROM replies WHERE @number IS NULL OR from_number = @number
             ORDER BY id DESC LIMIT @limit)
       ORDER BY id`,
    ).all({ number: number ?? null, limit });
  }

  /** Keeps a text being sent in its customer's thread. @param {any} m outgoing-message */
  recordOutgoing(m) {
    this.#q(
      `INSERT INTO outgoing (audit_id, number, sender, body, event_id, notice_key, at)
       VALUES (?, ?, ?, ?, ?, ?, ?)
       ON CONFLICT(audit_id) DO UPDATE SET number = excluded.number, sender = excluded.sender,
           body = excluded.body, event_id = excluded.event_id, notice_key = excluded.notice_key,
           at = excluded.at`,
    ).run(Number(m.auditId), m.to, m.sender, m.body, m.eventId ?? null, m.noticeKey ?? null, this.nowUnix());
  }

  /** The texts sent to `number`, oldest first. @param {string} number */
  outgoing(number) {
    return this.#q(
      `SELECT audit_id AS auditId, number AS "to", sender, body, event_id AS eventId,
              notice_key AS noticeKey, at FROM outgoing WHERE number = ? ORDER BY at, audit_id`,
    ).all(number);
  }

  // The stop list and consents.

  /**
   * @param {string} event `opt-out` or `opt-in`
   * @param {{ number: string, how: string, reply?: string | null, via?: string | null, user?: string | null }} e
   * @param {boolean} changed
   */
  #logStopList(event, e, changed) {
    this.#q(
      `INSERT INTO stop_list_log (at, number, event, how, reply, via, user, changed)
       VALUES (${NOW}, ?, ?, ?, ?, ?, ?, ?)`,
    ).run(e.number, event, e.how, e.reply ?? null, e.via ?? null, e.user ?? null, changed ? 1 : 0);
  }

  /**
   * Puts a number on the stop list and revokes its marketing consent; false (changing
   * nothing but the evidence) when it was on the list already.
   *
   * @param {{ number: string, how: string, reply?: string | null, via?: string | null, user?: string | null }} e
   */
  recordOptOut(e) {
    return this.db
      .transaction(() => {
        const already = this.#q('SELECT opted_out FROM opt_outs WHERE number = ?').pluck().get(e.number) === 1;
        this.#logStopList('opt-out', e, !already);
        if (already) return false;
        this.#q(
          `INSERT INTO opt_outs (number, opted_out, updated_at, method, reply, via, user, since)
           VALUES (?, 1, ${NOW}, ?, ?, ?, ?, ${NOW})
           ON CONFLICT(number) DO UPDATE SET opted_out = 1, updated_at = excluded.updated_at,
               method = excluded.method, reply = excluded.reply, via = excluded.via,
               user = excluded.user, since = excluded.since`,
        ).run(e.number, e.how, e.reply ?? null, e.via ?? null, e.user ?? null);
        this.#q(
          `UPDATE consents SET revoked_at = ${NOW}, revoked_by = 'opt-out',
               revoke_reason = 'the customer opted out'
           WHERE number = ? AND purpose = 'marketing' AND revoked_at IS NULL`,
        ).run(e.number);
        return true;
      })
      .immediate();
  }

  /**
   * Takes a number off the stop list; returns whether it was on it.
   *
   * @param {{ number: string, how: string, reply?: string | null, via?: string | null, user?: string | null }} e
   */
  recordOptIn(e) {
    return this.db
      .transaction(() => {
        const changed =
          this.#q(`UPDATE opt_outs SET opted_out = 0, updated_at = ${NOW} WHERE number = ? AND opted_out = 1`).run(
            e.number,
          ).changes > 0;
        this.#logStopList('opt-in', e, changed);
        return changed;
      })
      .immediate();
  }

  /** @param {string} number */
  isOptedOut(number) {
    return this.#q('SELECT opted_out FROM opt_outs WHERE number = ?').pluck().get(number) === 1;
  }

  /** The stop list, oldest opt-out first. */
  optOuts() {
    return this.#q(
      `SELECT number, COALESCE(since, updated_at) AS since, COALESCE(method, 'keyword') AS how,
              reply, via, user
       FROM opt_outs WHERE opted_out = 1 ORDER BY COALESCE(since, updated_at), number`,
    ).all();
  }

  /** Every opt-out and opt-in request for `number`, oldest first. @param {string} number */
  stopListHistory(number) {
    return this.#q(
      'SELECT at, number, event, how, reply, via, user, changed FROM stop_list_log WHERE number = ? ORDER BY id',
    )
      .all(number)
      .map((r) => ({ ...r, changed: r.changed === 1 }));
  }

  /**
   * Records a consent (staff's action) and returns it.
   *
   * @param {{ number: string, purpose: 'transactional' | 'marketing', source: 'in-store' | 'paper-form' | 'web-form' | 'text-in', user: string, note?: string }} c
   */
  grantConsent(c) {
    const info = this.#q(
      `INSERT INTO consents (number, purpose, source, user, note, granted_at) VALUES (?, ?, ?, ?, ?, ${NOW})`,
    ).run(c.number, c.purpose, c.source, c.user, c.note ?? null);
    return this.consents(c.number).find((r) => r.id === Number(info.lastInsertRowid));
  }

  /**
   * Revokes the consents in force for `number` (of `purpose`, or all); returns how many.
   *
   * @param {string} number @param {string | null} purpose @param {string} by @param {string | null} [reason]
   */
  revokeConsent(number, purpose, by, reason = null) {
    return this.#q(
      `UPDATE consents SET revoked_at = ${NOW}, revoked_by = ?, revoke_reason = ?
       WHERE number = ? AND (? IS NULL OR purpose = ?) AND revoked_at IS NULL`,
    ).run(by, reason, number, purpose, purpose).changes;
  }

  /** Every consent recorded for `number`, revoked ones too, oldest first. @param {string} number */
  consents(number) {
    return this.#q(
      `SELECT id, number, purpose, source, user, note, granted_at AS grantedAt, revoked_at AS revokedAt,
              revoked_by AS revokedBy, revoke_reason AS revokeReason
       FROM consents WHERE number = ? ORDER BY id`,
    ).all(number);
  }

  /** The newest consent in force. @param {string} number @param {string} purpose */
  activeConsent(number, purpose) {
    return this.consents(number)
      .reverse()
      .find((c) => c.purpose === purpose && c.revokedAt === null);
  }

  // Notices.

  /**
   * Claims a notice key atomically.
   *
   * @param {string} key
   * @returns {{ state: 'claimed' } | { state: 'in-progress' } | { state: 'sent', receipt: { sid: string, to: string, status: string, segments: number } }}
   */
  claimNotice(key) {
    const inserted = this.#q(
      `INSERT INTO notices (key, state, updated_at) VALUES (?, 'sending', ${NOW}) ON CONFLICT(key) DO NOTHING`,
    ).run(key).changes;
    if (inserted === 1) return { state: 'claimed' };
    const r = this.#q('SELECT sid, recipient, status, segments FROM notices WHERE key = ?').get(key);
    if (r && r.sid != null && r.recipient != null && r.status != null && r.segments != null) {
      return { state: 'sent', receipt: { sid: r.sid, to: r.recipient, status: r.status, segments: r.segments } };
    }
    return { state: 'in-progress' };
  }

  /**
   * Settles a claimed key: the receipt when sent, or none to release the claim.
   *
   * @param {string} key @param {{ sid: string, to: string, status: string, segments: number } | undefined} sent
   */
  finishNotice(key, sent) {
    if (sent) {
      this.#q(
        `UPDATE notices SET state = 'sent', sid = ?, recipient = ?, status = ?, segments = ?,
                updated_at = ${NOW} WHERE key = ?`,
      ).run(sent.sid, sent.to, sent.status, sent.segments, key);
    } else {
      this.#q("DELETE FROM notices WHERE key = ? AND state = 'sending'").run(key);
    }
  }

  /**
   * Holds a notice until `releaseAtUnix`; holding a key again replaces its hold.
   *
   * @param {{ key: string, to: string, kind: string, event: string, releaseAtUnix: number, releaseAt: string, releaseLocal: string }} h
   */
  holdNotice(h) {
    this.#q(
      `INSERT INTO held_notices (key, recipient, kind, event, release_at, release_utc,
                                 release_local, state, held_at)
       VALUES (?, ?, ?, ?, ?, ?, ?, 'held', ${NOW})
       ON CONFLICT(key) DO UPDATE SET recipient = excluded.recipient, kind = excluded.kind,
           event = excluded.event, release_at = excluded.release_at,
           release_utc = excluded.release_utc, release_local = excluded.release_local,
           state = 'held', held_at = excluded.held_at, settled_at = NULL, outcome = NULL,
           claimed_at = NULL`,
    ).run(h.key, h.to, h.kind, h.event, h.releaseAtUnix, h.releaseAt, h.releaseLocal);
  }

  /**
   * The notices still held, the soonest due first; only those due by `dueBy` when given.
   *
   * @param {number} [dueBy] Unix seconds
   */
  heldNotices(dueBy) {
    return this.#q(
      `SELECT key, recipient AS "to", kind, event, release_at AS releaseAtUnix,
              release_utc AS releaseAt, release_local AS releaseLocal, state, held_at AS heldAt
       FROM held_notices WHERE state = 'held' AND (@dueBy IS NULL OR release_at <= @dueBy)
       ORDER BY release_at, key`,
    )
      .all({ dueBy: dueBy ?? null })
      .map((r) => ({ ...r, event: JSON.parse(r.event) }));
  }

  /** Settles a held notice (`sent`, `cancelled` or `failed`). @param {string} key @param {string} state @param {string} outcome */
  settleHeld(key, state, outcome) {
    return (
      this.#q(
        `UPDATE held_notices SET state = ?, outcome = ?, settled_at = ${NOW}
         WHERE key = ? AND state IN ('held', 'releasing')`,
      ).run(state, outcome, key).changes > 0
    );
  }
}

/**
 * A token bucket holding one second's budget (the plugin core's `Pacer`, sms-core
 * notify.rs): how long to wait before sending `segments` at `rate` segments per second.
 */
export class Pacer {
  constructor() {
    this.started = performance.now();
    /** @type {{ rate: number, fullAt: bigint } | null} */
    this.bucket = null;
  }

  /** @param {number} rate @param {number} segments @returns {number} milliseconds */
  delayFor(rate, segments) {
    const r = BigInt(Math.max(1, Math.floor(rate)));
    if (!this.bucket || this.bucket.rate !== Number(r)) this.bucket = { rate: Number(r), fullAt: 0n };
    const now = BigInt(Math.floor(performance.now() - this.started)) * r;
    const cost = BigInt(Math.max(1, segments)) * 1000n;
    const burst = r * 1000n;
    const start = this.bucket.fullAt > now ? this.bucket.fullAt : now;
    this.bucket.fullAt = start + cost;
    let wait = this.bucket.fullAt - burst - now;
    if (wait < 0n) wait = 0n;
    return Number((wait + r - 1n) / r);
  }
}

const OPT_OUT_HOW = { keyword: 'keyword', phrase: 'phrase', 'twilio-refusal': 'twilio-21610', staff: 'staff' };
const NOTICE_KIND = ['repair-ready', 'custom-order-arrived', 'payment-link', 'appointment-reminder'];

/**
 * The `pos:sms/host` import object over `store`. Fallible imports return wasi results
 * (`{ tag: 'ok', val }` or `{ tag: 'err', val: host-error }`).
 *
 * @param {object} parts
 * @param {HostStore} parts.store
 * @param {string[]} parts.config the settings the plugin's manifest declares
 * @param {Pacer} parts.pacer
 * @param {(message: string) => void} [parts.log] where refusals and storage failures are told
 */
export function hostImports({ store, config, pacer, log = (m) => process.emitWarning(m, 'PosSmsHost') }) {
  /**
   * @template T
   * @param {string} what
   * @param {(...args: any[]) => T} fn
   */
  const guarded =
    (what, fn) =>
    (...args) => {
      try {
        return { tag: 'ok', val: fn(...args) };
      } catch (e) {
        if (e instanceof InvalidValue) return { tag: 'err', val: { tag: 'invalid', val: e.message } };
        const message = e instanceof Error ? e.message : String(e);
        log(`could not ${what}: ${message}`);
        return { tag: 'err', val: { tag: 'storage', val: `could not ${what} (${message})` } };
      }
    };
  const rowId = (/** @type {bigint} */ id) => {
    if (id > BigInt(Number.MAX_SAFE_INTEGER)) throw new InvalidValue(`there is no audit row ${id}`);
    return Number(id);
  };

  return {
    getSecret: guarded('read a secret', (name) => store.getSecret(name)),
    setSecret: guarded('save a secret', (name, value) => void store.setSecret(name, value)),
    deleteSecret: guarded('delete a secret', (name) => void store.deleteSecret(name)),
    getConfig: guarded('read a setting', (key) => {
      if (!config.includes(key)) {
        log(
          `refused the plugin's read of the setting '${key}': its manifest does not declare it ` +
            `(declared: ${config.join(', ')})`,
        );
        return undefined;
      }
      return store.getConfig(key);
    }),
    recordAudit: guarded('write the audit log', (entry) => BigInt(store.appendAudit(entry))),
    updateAudit: guarded('update the audit log', (id, entry) => void store.updateAudit(rowId(id), entry)),
    recordDelivery: guarded('record a delivery status', (update) => void store.recordDelivery(update)),
    recordReply: guarded('store a reply', (message) => store.recordReply(message)),
    recordOutgoing: guarded('keep a text in its thread', (message) => {
      rowId(message.auditId);
      store.recordOutgoing(message);
    }),
    recordOptOut: guarded('record an opt-out', (entry) =>
      store.recordOptOut({
        number: entry.number,
        how: OPT_OUT_HOW[entry.method] ?? entry.method,
        reply: entry.reply,
        via: entry.via,
      }),
    ),
    recordOptIn: guarded('record an opt-in', (number, reply) => {
      store.recordOptIn({ number, how: 'reply', reply });
    }),
    isOptedOut: guarded('read the stop list', (number) => store.isOptedOut(number)),
    findConsent: guarded('read the consents', (number, purpose) => {
      const c = store.activeConsent(number, purpose);
      if (!c) return undefined;
      return { number: c.number, purpose, source: c.source, user: c.user, grantedAt: c.grantedAt, note: c.note ?? undefined };
    }),
    claimNotice: guarded('claim a notice', (key) => {
      const claim = store.claimNotice(key);
      if (claim.state === 'sent') return { tag: 'already-sent', val: claim.receipt };
      return { tag: claim.state };
    }),
    finishNotice: guarded('settle a notice', (key, sent) => void store.finishNotice(key, sent)),
    holdNotice: guarded('hold a notice', (notice) => {
      const release = notice.releaseAtUnix;
      if (release > BigInt(Number.MAX_SAFE_INTEGER)) throw new InvalidValue(`release time ${release} is out of range`);
      store.holdNotice({
        key: notice.key,
        to: notice.event.to,
        kind: NOTICE_KIND.includes(notice.event.notice.tag) ? notice.event.notice.tag : String(notice.event.notice.tag),
        event: JSON.stringify(notice.event),
        releaseAtUnix: Number(release),
        releaseAt: notice.releaseAt,
        releaseLocal: notice.releaseLocal,
      });
    }),
    throttle: (segments) => {
      let rate = 1;
      try {
        const configured = Number.parseInt(String(store.getConfig(CONFIG_SEGMENTS_PER_SECOND) ?? '').trim(), 10);
        if (Number.isFinite(configured) && configured > 0) rate = configured;
      } catch (e) {
        log(`could not read the throughput budget: ${e instanceof Error ? e.message : e}`);
      }
      return BigInt(pacer.delayFor(rate, segments));
    },
  };
}
