// What the Node host's tests share: the environment the Rust driver sets, the fake's
// credentials, a recording proxy in front of the fake, a plugin per test, Twilio's webhook
// signature.
//
// The tests run against the fake Twilio on loopback. `cargo test -p host-harness --test e2e
// node_host` starts one, writes the component the build made, and runs them with:
//   PLUGIN_WASM         the component (`sms_plugin.wasm`); its manifest beside it
//                       (`<name>.manifest.json`) or PLUGIN_MANIFEST
//   TWILIO_URL          the fake's base URL (`http://127.0.0.1:PORT`)
//   TWILIO_ACCOUNT_SID  the Account SID the fake accepts
//   TWILIO_AUTH_TOKEN   its Auth Token
// Without them the tests fail; they never skip.

import { createHmac } from 'node:crypto';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { MessageChannel, Worker, receiveMessageOnPort } from 'node:worker_threads';

import { fixedClock, loadPlugin, manifestPathFor } from '../../src/index.js';

const here = dirname(fileURLToPath(import.meta.url));

const missing = ['PLUGIN_WASM', 'TWILIO_URL', 'TWILIO_ACCOUNT_SID', 'TWILIO_AUTH_TOKEN'].filter(
  (name) => !process.env[name],
);
if (missing.length > 0) {
  throw new Error(
    `The Node host's tests need ${missing.join(', ')}: they run against the component the ` +
      'build made and the fake Twilio. Run them with `cargo test -p host-harness --test e2e ' +
      'node_host` from the repository root, which sets these and runs `node --test` here.',
  );
}

export const PLUGIN_WASM = /** @type {string} */ (process.env.PLUGIN_WASM);
export const TWILIO_URL = /** @type {string} */ (process.env.TWILIO_URL);
export const SID = /** @type {string} */ (process.env.TWILIO_ACCOUNT_SID);
export const TOKEN = /** @type {string} */ (process.env.TWILIO_AUTH_TOKEN);
export const MANIFEST =
  process.env.PLUGIN_MANIFEST ??
  (existsSync(manifestPathFor(PLUGIN_WASM))
    ? manifestPathFor(PLUGIN_WASM)
    : join(here, '..', '..', '..', '..', 'plugin', 'component', 'manifest.json'));

/** Twilio's magic valid sender. */
export const SENDER = '+15005550006';
/** 2026-12-01T17:00:00Z: daytime in every US zone (the Rust tests' DAYTIME). */
export const DAYTIME = 1_796_144_400;

/** The fake's credentials, with `auth` or `sender` replaced when given. */
export function credentials(/** @type {Partial<{ auth: any, sender: string, accountSid: string }>} */ over = {}) {
  return { accountSid: SID, auth: { tag: 'auth-token', val: TOKEN }, sender: SENDER, ...over };
}

/**
 * A proxy that records every request on its way to `target` (the fake by default).
 *
 * @param {string} [target]
 */
export async function recorder(target = TWILIO_URL) {
  const { port1, port2 } = new MessageChannel();
  const worker = new Worker(new URL('./recorder-worker.js', import.meta.url), {
    workerData: { target, records: port2 },
    transferList: [port2],
  });
  const port = await new Promise((resolve, reject) => {
    worker.once('message', (m) => resolve(m.port));
    worker.once('error', reject);
  });
  /** @type {{ method: string, path: string, headers: Record<string, string>, body: string }[]} */
  const seen = [];
  return {
    url: `http://127.0.0.1:${port}`,
    authority: `127.0.0.1:${port}`,
    /** Every request so far, oldest first. */
    requests() {
      for (let m = receiveMessageOnPort(port1); m; m = receiveMessageOnPort(port1)) seen.push(m.message);
      return [...seen];
    },
    /** The sends (`POST …/Messages.json`) so far. */
    posts() {
      return this.requests().filter((r) => r.method === 'POST');
    },
    async close() {
      worker.postMessage('close');
      await new Promise((resolve) => worker.once('exit', resolve));
      port1.close();
    },
  };
}

/**
 * One test's world: a recorder in front of the fake and a plugin whose Twilio requests go
 * to it, over a fresh store, at daytime. `t.after` cleans it up.
 *
 * @param {import('node:test').TestContext} t
 * @param {Partial<import('../../src/index.js').LoadOptions> & { connect?: boolean, twilio?: string }} [options]
 */
export async function world(t, options = {}) {
  const { connect = false, twilio, ...load } = options;
  const rec = await recorder(twilio ?? TWILIO_URL);
  const dir = mkdtempSync(join(tmpdir(), 'pos-sms-node-'));
  const clock = fixedClock(DAYTIME);
  const plugin = await loadPlugin({
    wasmPath: PLUGIN_WASM,
    manifest: MANIFEST,
    dbPath: join(dir, 'sms-host.db'),
    twilioUrl: rec.url,
    clock,
    ...load,
  });
  t.after(async () => {
    plugin.close();
    await rec.close();
    rmSync(dir, { recursive: true, force: true });
  });
  if (connect) plugin.connect(credentials());
  return { plugin, recorder: rec, clock, dir };
}

/**
 * Calls `fn` and returns the PluginError it throws (failing if it returns or throws another).
 *
 * @param {() => unknown} fn
 * @returns {import('../../src/index.js').PluginError}
 */
export function pluginError(fn) {
  try {
    fn();
  } catch (e) {
    if (e && /** @type {any} */ (e).name === 'PluginError') return /** @type {any} */ (e);
    throw e;
  }
  throw new Error('expected the call to fail with a plugin error; it succeeded');
}

/**
 * Twilio's X-Twilio-Signature: HMAC-SHA1 with the Auth Token over the URL followed by every
 * form parameter's name and value, sorted by name, in Base64.
 *
 * @param {string} token @param {string} url @param {[string, string][]} params
 */
export function twilioSignature(token, url, params) {
  const sorted = [...params].sort(([a, x], [b, y]) => (a < b ? -1 : a > b ? 1 : x < y ? -1 : x > y ? 1 : 0));
  const data = url + sorted.map(([k, v]) => k + v).join('');
  return createHmac('sha1', token).update(data, 'utf8').digest('base64');
}

/**
 * A webhook request as Twilio posts it to `url`: the form and its signature.
 *
 * @param {string} url @param {[string, string][]} params @param {string} [token]
 */
export function signedWebhook(url, params, token = TOKEN) {
  return {
    url,
    headers: [
      ['X-Twilio-Signature', twilioSignature(token, url, params)],
      ['Content-Type', 'application/x-www-form-urlencoded'],
    ],
    body: new URLSearchParams(params).toString(),
  };
}

/** A customer's reply as Twilio posts it. */
export function signedReply(
  /** @type {string} */ url,
  /** @type {{ from: string, to?: string, body: string, sid: string, token?: string }} */ r,
) {
  return signedWebhook(
    url,
    [
      ['MessageSid', r.sid],
      ['AccountSid', SID],
      ['From', r.from],
      ['To', r.to ?? SENDER],
      ['Body', r.body],
      ['NumMedia', '0'],
    ],
    r.token,
  );
}

/**
 * The Messages the fake created for `to`, newest first, from its list endpoint.
 *
 * @param {string} to
 * @returns {Promise<any[]>}
 */
export async function fakeMessagesTo(to) {
  const url = `${TWILIO_URL}/2010-04-01/Accounts/${SID}/Messages.json?To=${encodeURIComponent(to)}`;
  const answer = await fetch(url, {
    headers: { authorization: `Basic ${Buffer.from(`${SID}:${TOKEN}`).toString('base64')}` },
  });
  if (answer.status !== 200) throw new Error(`the fake's list answered ${answer.status}: ${await answer.text()}`);
  return (await answer.json()).messages;
}

let numbers = (process.pid * 97) % 9000;
/** A fictional US number no other test of this run texts (`+1646555` and four digits). */
export function freshNumber() {
  numbers = (numbers + 1) % 9000;
  return `+1646555${1000 + numbers}`;
}

/** Waits (bounded) until `done()` is true. */
export async function until(/** @type {() => boolean} */ done, what = 'the condition', ms = 10_000) {
  const deadline = Date.now() + ms;
  while (!done()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}
