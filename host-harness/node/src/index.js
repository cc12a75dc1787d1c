// The Node.js reference host for the pos:sms SMS plugin (world `pos:sms/plugin@0.2.0`).
//
//   const plugin = await loadPlugin({ wasmPath, dbPath });
//   plugin.connect({ accountSid, auth: { tag: 'auth-token', val: token }, sender });
//   plugin.send({ to: '(212) 555-0100', body: 'Your ring is ready', user: 'alice' });
//
// The component is transpiled by jco (once, cached by its SHA-256) and runs on
// preview2-shim's WASI; this package provides `pos:sms/host` over SQLite, wasi:http behind
// the host's outbound policy, and the wall clock the plugin reads (injectable, for tests).
//
// The plugin's calls are synchronous: a call that makes a request (connect, send, test,
// notify, a webhook that confirms an opt-out, poll-delivery, resolve-unknown) blocks this
// thread until Twilio answers or a timeout ends it, as preview2-shim does all its I/O. A busy
// server runs the plugin in a worker thread of its own.

import { readFileSync } from 'node:fs';

import { cli, clocks, http as shimHttp, io } from '@bytecodealliance/preview2-shim';

import { HostStore, Pacer, hostImports } from './host.js';
import { OutboundPolicy, DEFAULT_TIMEOUTS, timeoutCounts } from './http.js';
import { TWILIO_ORIGIN, parseOrigin, formatOrigin } from './origin.js';
import { DEFAULT_CACHE_DIR, packageVersion, transpiled } from './transpile.js';

export { HostStore, OutboundPolicy, DEFAULT_TIMEOUTS, TWILIO_ORIGIN, DEFAULT_CACHE_DIR, parseOrigin, formatOrigin, timeoutCounts };

/** The pos:sms API version this host implements. */
export const API_VERSION = '0.2.0';

/** What this host runs on: Node, jco, preview2-shim, better-sqlite3 (and its SQLite). */
export function versions() {
  return {
    node: process.versions.node,
    jco: packageVersion('@bytecodealliance/jco'),
    preview2Shim: packageVersion('@bytecodealliance/preview2-shim'),
    betterSqlite3: packageVersion('better-sqlite3'),
  };
}

/**
 * The plugin's typed error (a `pos:sms/types.error` case) with what a host shows for it.
 */
export class PluginError extends Error {
  /**
   * @param {{ tag: string, val?: any }} error the WIT error case
   * @param {string} message the plugin's sentence for staff (`describe-error`)
   * @param {import('./http.js').Denial | undefined} denial the host's refusal behind a
   *   `denied-by-host`
   */
  constructor(error, message, denial) {
    super(message);
    this.name = 'PluginError';
    /** The case as jco gives it: `{ tag: 'recipient-unreachable', val: { code: 21612, … } }`. */
    this.error = error;
    /** The case's name (`recipient-opted-out`), as the audit log records it. */
    this.kind = error.tag;
    /** What the host refused, for a `denied-by-host`. */
    this.denial = denial;
  }

  /** Twilio's error code, when the error carries or stands for one. */
  get twilioCode() {
    switch (this.kind) {
      case 'credentials-rejected':
        return 20003;
      case 'recipient-opted-out':
        return 21610;
      case 'region-not-permitted':
        return 21408;
      case 'recipient-unreachable':
      case 'twilio':
        return this.error.val?.code;
      default:
        return undefined;
    }
  }
}

/** The plugin trapped (a bug in it, not a refusal); the next call gets a fresh instance. */
export class PluginTrap extends Error {
  /** @param {unknown} cause */
  constructor(cause) {
    super(`the plugin failed: ${cause instanceof Error ? cause.message : String(cause)}`, { cause });
    this.name = 'PluginTrap';
  }
}

/**
 * A clock stopped at `unix` seconds, for tests and for replaying a day; `set` moves it.
 *
 * @param {number} unix
 * @returns {(() => number) & { set: (unix: number) => void }}
 */
export function fixedClock(unix) {
  let now = unix;
  const clock = () => now;
  clock.set = (/** @type {number} */ next) => {
    now = next;
  };
  return clock;
}

/** The system clock, in seconds. */
export const systemClock = () => Math.floor(Date.now() / 1000);

/**
 * @typedef {object} Manifest
 * @property {string} id
 * @property {string} name
 * @property {string} version
 * @property {string} api_version
 * @property {string[]} outbound
 * @property {string[]} [secrets]
 * @property {string[]} [config]
 */

/** Where a plugin's manifest is expected: `plugin.wasm` → `plugin.manifest.json`. */
export function manifestPathFor(/** @type {string} */ wasmPath) {
  return wasmPath.replace(/(\.wasm)?$/, '.manifest.json');
}

/**
 * @typedef {object} LoadOptions
 * @property {string} [wasmPath] the component (`sms_plugin.wasm`)
 * @property {Uint8Array} [wasm] or its bytes
 * @property {string | Manifest} [manifest] the plugin's manifest, or its path; default the
 *   `.manifest.json` beside `wasmPath`
 * @property {string} [dbPath] the host's SQLite file; default in memory
 * @property {(string | import('./origin.js').Origin)[]} [grants] origins the host grants;
 *   default `https://api.twilio.com:443` only
 * @property {string} [twilioUrl] send Twilio's requests to this origin instead (a fake on
 *   `http://127.0.0.1:PORT`); never a real Twilio host
 * @property {boolean} [allowLocal] let IP addresses and local names be granted (tests)
 * @property {Partial<import('./http.js').Timeouts>} [timeouts] caps on the plugin's HTTP
 *   timeouts, in ms (default 10 s connect, 30 s first byte, 30 s between bytes)
 * @property {boolean} [fixShimTimeouts] default true: see http.js
 * @property {() => number} [clock] what "now" is, in Unix seconds: the plugin's wall clock
 *   (quiet hours) and the rows' times
 * @property {string} [cacheDir] where transpiled components are kept
 * @property {(message: string) => void} [log] warnings (refused settings, storage failures)
 */

/**
 * Loads the plugin: transpiles it (or takes it from the cache), opens the host's store and
 * instantiates the component with the host's imports.
 *
 * @param {LoadOptions} options
 */
export async function loadPlugin(options) {
  const { wasmPath, dbPath = ':memory:', clock = systemClock, cacheDir } = options;
  const bytes = options.wasm ?? (wasmPath ? readFileSync(wasmPath) : undefined);
  if (!bytes) throw new TypeError('loadPlugin needs wasmPath or wasm (the component)');
  const manifest = readManifest(options.manifest ?? (wasmPath ? manifestPathFor(wasmPath) : undefined));
  const code = await transpiled(bytes, { cacheDir });
  const store = new HostStore(dbPath, clock);
  const policy = new OutboundPolicy({
    declared: manifest.outbound.map(parseOrigin),
    grants: options.grants,
    twilioUrl: options.twilioUrl,
    allowLocal: options.allowLocal,
    timeouts: options.timeouts,
    fixShimTimeouts: options.fixShimTimeouts,
  });
  return new Plugin({ code, store, policy, manifest, clock, log: options.log });
}

/** @param {string | Manifest | undefined} manifest */
function readManifest(manifest) {
  if (manifest === undefined) throw new TypeError('loadPlugin needs the plugin manifest (manifest)');
  /** @type {Manifest} */
  let parsed;
  if (typeof manifest === 'string') {
    let text;
    try {
      text = readFileSync(manifest, 'utf8');
    } catch (e) {
      throw new Error(
        `could not read the plugin's manifest ${manifest} (${e instanceof Error ? e.message : e}); ` +
          'a plugin is loaded with its manifest, which declares what it may reach',
      );
    }
    parsed = JSON.parse(text);
  } else {
    parsed = manifest;
  }
  if (!parsed || typeof parsed.id !== 'string' || !Array.isArray(parsed.outbound)) {
    throw new Error('the plugin manifest needs an id and an outbound list');
  }
  const [major, minor] = String(parsed.api_version).split('.');
  if (`${major}.${minor}` !== API_VERSION.split('.').slice(0, 2).join('.')) {
    throw new Error(
      `the plugin ${parsed.id} targets pos:sms API ${parsed.api_version}, and this host supports ` +
        `${API_VERSION}. Install a build of the plugin for a supported API version, or a newer host.`,
    );
  }
  return parsed;
}

const noEnvironment = {
  getEnvironment: () => [],
  getArguments: () => [],
  initialCwd: () => undefined,
};

/**
 * A loaded plugin: the `pos:sms/sms` exports as methods (errors thrown as `PluginError`), and
 * the host's store for inspection.
 */
export class Plugin {
  /** @type {any} */
  #exports = null;
  #imports;
  #code;

  /**
   * @param {object} parts
   * @param {import('./transpile.js').Transpiled} parts.code
   * @param {HostStore} parts.store
   * @param {OutboundPolicy} parts.policy
   * @param {Manifest} parts.manifest
   * @param {() => number} parts.clock
   * @param {(message: string) => void} [parts.log]
   */
  constructor({ code, store, policy, manifest, clock, log }) {
    this.store = store;
    this.policy = policy;
    this.manifest = manifest;
    this.clock = clock;
    /** `'hit'` when the transpiled component came from the cache. */
    this.cache = code.cache;
    this.#code = code;
    const wallClock = {
      now: () => {
        const s = clock();
        return { seconds: BigInt(Math.floor(s)), nanoseconds: Math.floor((s % 1) * 1e9) };
      },
      resolution: () => ({ seconds: 1n, nanoseconds: 0 }),
    };
    this.#imports = {
      'pos:sms/host': hostImports({ store, config: manifest.config ?? [], pacer: new Pacer(), log }),
      'pos:sms/types': {},
      // Nothing inherited: no environment, no arguments; exiting traps instead of ending
      // the host's process.
      'wasi:cli/environment': noEnvironment,
      'wasi:cli/exit': {
        exit: () => {
          throw new Error('the plugin called exit');
        },
      },
      'wasi:cli/stderr': cli.stderr,
      'wasi:cli/stdin': cli.stdin,
      'wasi:cli/stdout': cli.stdout,
      'wasi:cli/terminal-input': cli.terminalInput,
      'wasi:cli/terminal-output': cli.terminalOutput,
      'wasi:cli/terminal-stderr': cli.terminalStderr,
      'wasi:cli/terminal-stdin': cli.terminalStdin,
      'wasi:cli/terminal-stdout': cli.terminalStdout,
      'wasi:clocks/monotonic-clock': clocks.monotonicClock,
      'wasi:clocks/wall-clock': wallClock,
      'wasi:http/outgoing-handler': policy.outgoingHandler(),
      'wasi:http/types': shimHttp.types,
      'wasi:io/error': io.error,
      'wasi:io/poll': io.poll,
      'wasi:io/streams': io.streams,
    };
    this.#instantiate();
  }

  #instantiate() {
    const root = this.#code.instantiate(this.#code.getCoreModule, this.#imports);
    this.#exports = root['pos:sms/sms@0.2.0'] ?? root.sms;
  }

  /** The raw `pos:sms/sms` exports, as jco made them. */
  get exports() {
    if (!this.#exports) this.#instantiate();
    return this.#exports;
  }

  /**
   * @template T
   * @param {(sms: any) => T} call
   * @returns {T}
   */
  #call(call) {
    const sms = this.exports;
    const denials = this.policy.denials.length;
    try {
      return call(sms);
    } catch (e) {
      if (e && typeof e === 'object' && Object.prototype.hasOwnProperty.call(e, 'payload')) {
        const error = /** @type {any} */ (e).payload;
        const denial = this.policy.denials.length > denials ? this.policy.denials.at(-1) : undefined;
        throw new PluginError(error, this.#describe(error), denial);
      }
      // A trap: this instance is done; the next call gets a fresh one.
      this.#exports = null;
      throw new PluginTrap(e);
    }
  }

  /** @param {{ tag: string, val?: any }} error */
  #describe(error) {
    try {
      return this.exports.describeError(error);
    } catch {
      this.#exports = null;
      return error.tag;
    }
  }

  /**
   * Checks the credentials' format, proves them with Twilio, and stores them.
   *
   * @param {{ accountSid: string, auth: { tag: 'auth-token', val: string } | { tag: 'api-key', val: { sid: string, secret: string } }, sender: string }} credentials
   * @returns {{ maskedSid: string, friendlyName: string, status: string, accountType: string, sender: string }}
   */
  connect(credentials) {
    return this.#call((sms) => sms.connect(credentials));
  }

  /** Forgets the stored credentials. */
  disconnect() {
    return this.#call((sms) => sms.disconnect());
  }

  /** @returns {{ connected: boolean, maskedSid?: string, sender?: string, friendlyName?: string }} */
  status() {
    return this.#call((sms) => sms.status());
  }

  /**
   * Sends one text; `purpose` defaults to `transactional`, `overrideQuietHours` to false.
   *
   * @param {{ to: string, body: string, user: string, purpose?: 'transactional' | 'marketing', overrideQuietHours?: boolean }} outgoing
   * @returns {{ sid: string, to: string, status: string, segments: number }}
   */
  send({ to, body, user, purpose = 'transactional', overrideQuietHours = false }) {
    return this.#call((sms) => sms.send({ to, body, user, purpose, overrideQuietHours }));
  }

  /** The "Send Test SMS" button. @param {string} to @param {string} user */
  test(to, user) {
    return this.#call((sms) => sms.test(to, user));
  }

  /**
   * Characters and billable segments, as Twilio bills them. `costMicros` is a bigint.
   *
   * @param {string} body
   * @param {{ smartEncoding?: boolean, pricePerSegmentMicros?: number | bigint }} [options]
   */
  segmentCount(body, { smartEncoding = false, pricePerSegmentMicros } = {}) {
    const price = pricePerSegmentMicros === undefined ? undefined : BigInt(pricePerSegmentMicros);
    return this.#call((sms) => sms.segmentCount(body, smartEncoding, price));
  }

  /** @param {string} body */
  smartSubstitutions(body) {
    return this.#call((sms) => sms.smartSubstitutions(body));
  }

  /** @param {string} text @returns {string} E.164 */
  normalizePhone(text) {
    return this.#call((sms) => sms.normalizePhone(text));
  }

  /** @param {{ tag: string, val?: any }} error @returns {string} */
  describeError(error) {
    return this.#call((sms) => sms.describeError(error));
  }

  /**
   * Sends an automated notice once per event id; outside quiet hours it comes back `held`
   * (the host keeps it: `store.heldNotices()`, `releaseHeld()`).
   *
   * @param {{ eventId: string, to: string, customerFirstName: string, notice: { tag: string, val: any }, user: string }} event
   * @returns {{ tag: 'sent', val: { receipt: any, text: string, segments: number, duplicate: boolean } } | { tag: 'held', val: any }}
   */
  notify(event) {
    return this.#call((sms) => sms.notify(event));
  }

  /**
   * Verifies and records a webhook Twilio sent. `headers` may be an object or a list of
   * pairs; `body` a string, a Buffer or bytes.
   *
   * @param {{ url: string, headers: Record<string, string | string[] | undefined> | [string, string][], body: string | Uint8Array }} request
   */
  handleWebhook({ url, headers, body }) {
    /** @type {[string, string][]} */
    const pairs = Array.isArray(headers)
      ? headers
      : Object.entries(headers).flatMap(([k, v]) =>
          v === undefined ? [] : Array.isArray(v) ? v.map((x) => /** @type {[string, string]} */ ([k, x])) : [[k, String(v)]],
        );
    const bytes = typeof body === 'string' ? new TextEncoder().encode(body) : new Uint8Array(body);
    return this.#call((sms) => sms.handleWebhook({ url, headers: pairs, body: bytes }));
  }

  /** @param {string} body */
  classifyReply(body) {
    return this.#call((sms) => sms.classifyReply(body));
  }

  /** @param {string} messageSid */
  pollDelivery(messageSid) {
    return this.#call((sms) => sms.pollDelivery(messageSid));
  }

  /** @param {{ to: string, body: string, sentAt: number | bigint, knownSids?: string[] }} send */
  resolveUnknown({ to, body, sentAt, knownSids = [] }) {
    return this.#call((sms) => sms.resolveUnknown({ to, body, sentAt: BigInt(sentAt), knownSids }));
  }

  /**
   * Calls `notify` again for every held notice that is due by the host's clock; settles each
   * (`sent`, `held` again, `cancelled` when the customer opted out, or `failed`).
   *
   * @returns {{ key: string, outcome: string }[]}
   */
  releaseHeld() {
    const due = this.store.heldNotices(this.clock());
    return due.map((held) => {
      try {
        const outcome = this.notify(held.event);
        if (outcome.tag === 'held') return { key: held.key, outcome: 'held' };
        this.store.settleHeld(held.key, 'sent', outcome.val.receipt.sid);
        return { key: held.key, outcome: 'sent' };
      } catch (e) {
        const cancelled = e instanceof PluginError && e.kind === 'recipient-opted-out';
        const what = e instanceof Error ? e.message : String(e);
        this.store.settleHeld(held.key, cancelled ? 'cancelled' : 'failed', what);
        return { key: held.key, outcome: cancelled ? 'cancelled' : 'failed' };
      }
    });
  }

  /** Every request the host refused since the plugin was loaded. */
  denials() {
    return [...this.policy.denials];
  }

  /** Closes the store. */
  close() {
    this.#exports = null;
    this.store.close();
  }
}
