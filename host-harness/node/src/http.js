// wasi:http for the plugin: preview2-shim's outgoing handler behind the host's outbound
// policy, mirroring the Rust host (host-harness/host/src/policy/mod.rs).
//
// - Two keys: a request leaves only when its origin (scheme, host and port, compared
//   separately) is one the plugin's manifest declares AND one the host grants. Everything else
//   is refused with wasi:http's `HTTP-request-denied` and recorded as a denial. IP addresses
//   and local names are refused unless the host allows local destinations (tests only).
// - For tests and demos, requests for Twilio's origin can be rewritten to a fake
//   (`http://127.0.0.1:PORT`); Node sets the Host header from the rewritten authority.
// - Timeouts: the plugin asks for 10 s to connect and 30 s for the first byte and between
//   bytes; the host may shorten each. preview2-shim 0.26.1 reports a server that accepted the
//   request and never answered as `connection-timeout` (which says the request never left);
//   this host reports it as `connection-read-timeout`, as wasmtime does (see http-worker.js).
//
// Unlike the Rust host, this one does not resolve a granted name itself to refuse private
// addresses and pin the connection to the checked ones: Node's resolver is used as it is.

import { http as shimHttp } from '@bytecodealliance/preview2-shim';
import { callExtension } from '@bytecodealliance/preview2-shim/io-worker';

import {
  TWILIO_ORIGIN,
  authorityOf,
  formatOrigin,
  isLocal,
  parseOrigin,
  requestOrigin,
  sameOrigin,
} from './origin.js';

/** @typedef {import('./origin.js').Origin} Origin */

/**
 * @typedef {object} Timeouts milliseconds; each caps what the plugin asks for
 * @property {number} connect
 * @property {number} firstByte
 * @property {number} betweenBytes
 */

/** The Rust host's defaults: what the plugin asks for. */
export const DEFAULT_TIMEOUTS = Object.freeze({ connect: 10_000, firstByte: 30_000, betweenBytes: 30_000 });

/**
 * A request the host refused, and why.
 *
 * @typedef {object} Denial
 * @property {string} request `GET https://api.twilio.com/…`
 * @property {'no-origin' | 'local-destination' | 'not-declared' | 'not-granted'} reason
 * @property {string} message the reason as a sentence
 */

const WORKER = new URL('./http-worker.js', import.meta.url);
let nextId = 0;

/** @param {Origin[]} list @param {string} none @param {string} label */
function listed(list, none, label) {
  return list.length === 0 ? none : `${label}: ${list.map(formatOrigin).join(', ')}`;
}

/**
 * The host's side of the outbound grant, and the wasi:http outgoing handler that enforces it.
 */
export class OutboundPolicy {
  /**
   * @param {object} options
   * @param {Origin[]} options.declared the plugin's key: its manifest's `outbound` list
   * @param {(string | Origin)[]} [options.grants] the host's key; default Twilio's REST API only
   * @param {string | Origin} [options.twilioUrl] send requests for Twilio's origin here instead
   * @param {boolean} [options.allowLocal] let IP addresses and local names be granted (tests)
   * @param {Partial<Timeouts>} [options.timeouts] caps on the plugin's timeouts, in ms
   * @param {boolean} [options.fixShimTimeouts] report a request that got no answer as
   *   `connection-read-timeout` (default); false leaves preview2-shim's own reading
   *   (`connection-timeout`), for comparison
   */
  constructor({ declared, grants, twilioUrl, allowLocal = false, timeouts = {}, fixShimTimeouts = true }) {
    const origin = (o) => (typeof o === 'string' ? parseOrigin(o) : o);
    /** @type {Origin[]} */
    this.declared = declared.map(origin);
    /** @type {Origin[]} */
    this.grants = (grants ?? [TWILIO_ORIGIN]).map(origin);
    /** @type {{ from: Origin, to: Origin } | null} */
    this.rewrite = twilioUrl ? { from: TWILIO_ORIGIN, to: origin(twilioUrl) } : null;
    this.allowLocal = allowLocal;
    /** @type {Timeouts} */
    this.timeouts = { ...DEFAULT_TIMEOUTS, ...timeouts };
    this.fixShimTimeouts = fixShimTimeouts;
    /** @type {Denial[]} */
    this.denials = [];
  }

  /**
   * Decides one request: a denial, or where it goes (`target` when rewritten).
   *
   * @param {Origin | null} origin
   * @param {string} uri for the denial's message
   * @returns {{ allow: true, target: Origin | null } | { allow: false, reason: Denial['reason'], message: string }}
   */
  decide(origin, uri) {
    if (!origin) {
      return { allow: false, reason: 'no-origin', message: `'${uri}' has no http(s) scheme and host, so it matches no grant` };
    }
    const o = formatOrigin(origin);
    if (isLocal(origin) && !this.allowLocal) {
      return {
        allow: false,
        reason: 'local-destination',
        message: `${o} is an IP address or local name; the plugin may only reach named hosts`,
      };
    }
    if (!this.declared.some((d) => sameOrigin(d, origin))) {
      return {
        allow: false,
        reason: 'not-declared',
        message: `${o} is not among the destinations the plugin's manifest declares (${listed(this.declared, 'it declares none', 'declared')})`,
      };
    }
    if (!this.grants.some((g) => sameOrigin(g, origin))) {
      return {
        allow: false,
        reason: 'not-granted',
        message: `${o} is not granted to the plugin (${listed(this.grants, 'nothing is granted', 'granted')})`,
      };
    }
    const target = this.rewrite && sameOrigin(this.rewrite.from, origin) ? this.rewrite.to : null;
    return { allow: true, target };
  }

  /**
   * The `wasi:http/outgoing-handler` import.
   *
   * @returns {{ handle: (request: any, options: any) => any }}
   */
  outgoingHandler() {
    return {
      handle: (request, options) => this.#handle(request, options),
    };
  }

  /**
   * @param {any} request preview2-shim's OutgoingRequest
   * @param {any} options preview2-shim's RequestOptions, or undefined
   */
  #handle(request, options) {
    const scheme = request.scheme();
    const authority = request.authority();
    const path = request.pathWithQuery() ?? '/';
    const methodValue = request.method();
    const method = String(methodValue.tag === 'other' ? methodValue.val : methodValue.tag).toUpperCase();
    const origin = requestOrigin(scheme, authority);
    const schemeName = scheme === undefined ? 'https' : String(scheme.tag === 'other' ? scheme.val : scheme.tag).toLowerCase();
    const uri = `${schemeName}://${authority ?? ''}${path}`;
    const decision = this.decide(origin, uri);
    if (!decision.allow) {
      this.denials.push({ request: `${method} ${uri}`, reason: decision.reason, message: decision.message });
      throw { tag: 'HTTP-request-denied' };
    }
    const target = decision.target ?? /** @type {Origin} */ (origin);
    if (decision.target) {
      request.setScheme({ tag: decision.target.scheme === 'https' ? 'HTTPS' : 'HTTP' });
      request.setAuthority(authorityOf(decision.target));
    }

    const ask = (/** @type {string} */ name) => {
      const ns = options?.[name]?.();
      return ns === undefined ? undefined : Number(BigInt(ns) / 1_000_000n);
    };
    const cap = (/** @type {number | undefined} */ guest, /** @type {number} */ host) =>
      guest === undefined ? host : Math.min(guest, host);
    const limits = {
      connectMs: cap(ask('connectTimeout'), this.timeouts.connect),
      firstByteMs: cap(ask('firstByteTimeout'), this.timeouts.firstByte),
      betweenBytesMs: cap(ask('betweenBytesTimeout'), this.timeouts.betweenBytes),
    };

    if (!this.fixShimTimeouts) {
      // preview2-shim as it is, with the capped timeouts.
      const shimOptions = new shimHttp.types.RequestOptions();
      shimOptions.setConnectTimeout(BigInt(limits.connectMs) * 1_000_000n);
      shimOptions.setFirstByteTimeout(BigInt(limits.firstByteMs) * 1_000_000n);
      shimOptions.setBetweenBytesTimeout(BigInt(limits.betweenBytesMs) * 1_000_000n);
      return shimHttp.outgoingHandler.handle(request, shimOptions);
    }
    const id = ++nextId;
    callExtension(WORKER, 'expect', [{ id, method, host: target.host, path, ...limits }]);
    try {
      // No options: the shim sets no timer of its own; http-worker.js keeps the time.
      return shimHttp.outgoingHandler.handle(request, undefined);
    } catch (e) {
      callExtension(WORKER, 'forget', [id]);
      throw e;
    }
  }
}

/** What the worker side did so far (for tests and diagnostics). */
export function timeoutCounts() {
  return /** @type {{ watched: number, connectTimeouts: number, readTimeouts: number, writeTimeouts: number, pending: number }} */ (
    callExtension(WORKER, 'counts', [])
  );
}
