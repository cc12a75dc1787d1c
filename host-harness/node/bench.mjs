// Calls per second through the Node host, one JSON line per measurement:
// - segment-count on a warm instance, on the bodies the Rust benchmarks use
//   (plugin/core/benches/samples/mod.rs): 72 and 160 GSM-7 characters, 112 UCS-2, 1,600 GSM-7;
// - a whole send against the fake Twilio (instance already warm; two durable audit writes,
//   the thread row, wasi:http through preview2-shim, the fake's answer).
//
//   PLUGIN_WASM=…/sms_plugin.wasm TWILIO_URL=http://127.0.0.1:4010 \
//   TWILIO_ACCOUNT_SID=AC… TWILIO_AUTH_TOKEN=… node bench.mjs
// (BENCH_SECONDS per measurement, default 2.) The Rust host's figures: `cargo bench -p
// pos-sms-host` (README, Numbers).

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { fixedClock, loadPlugin, versions } from './src/index.js';

const env = process.env;
for (const name of ['PLUGIN_WASM', 'TWILIO_URL', 'TWILIO_ACCOUNT_SID', 'TWILIO_AUTH_TOKEN']) {
  if (!env[name]) {
    console.error(`Set ${name} (see the top of bench.mjs).`);
    process.exit(2);
  }
}
const seconds = Number(env.BENCH_SECONDS ?? 2);
const { node, jco, preview2Shim } = versions();

const dir = mkdtempSync(join(tmpdir(), 'pos-sms-bench-'));
const plugin = await loadPlugin({
  wasmPath: env.PLUGIN_WASM,
  manifest: env.PLUGIN_MANIFEST,
  dbPath: join(dir, 'sms-host.db'),
  twilioUrl: env.TWILIO_URL,
  // 2026-12-01T17:00:00Z: daytime in New York, so quiet hours never refuse the sends.
  clock: fixedClock(1_796_144_400),
});

/**
 * Runs `call` for about `seconds` after a warm-up, and prints its rate.
 *
 * @param {Record<string, unknown>} what
 * @param {() => unknown} call
 * @param {{ warmup: number, max: number }} limits
 */
function measure(what, call, { warmup, max }) {
  for (let i = 0; i < warmup; i += 1) call();
  /** @type {number[]} */
  const times = [];
  const started = performance.now();
  const until = started + seconds * 1000;
  while (times.length < max && performance.now() < until) {
    const t0 = performance.now();
    call();
    times.push(performance.now() - t0);
  }
  const elapsed = (performance.now() - started) / 1000;
  times.sort((a, b) => a - b);
  const micros = (/** @type {number} */ ms) => Math.round(ms * 1000 * 100) / 100;
  console.log(
    JSON.stringify({
      bench: 'node-host',
      ...what,
      calls: times.length,
      seconds: Math.round(elapsed * 1000) / 1000,
      calls_per_second: Math.round(times.length / elapsed),
      mean_us: micros(times.reduce((a, b) => a + b, 0) / times.length),
      median_us: micros(times[Math.floor(times.length / 2)]),
      p95_us: micros(times[Math.floor(times.length * 0.95)]),
      node,
      jco,
      preview2_shim: preview2Shim,
    }),
  );
}

const samples = {
  repair_ready_gsm: 'Hi Sam, your ring repair is ready for pickup at Gems & Co. See you soon!',
  gsm_160:
    'Hi Sam, your ring repair is ready for pickup at Gems & Co, 12 Main St. We are open 9-6 today; ' +
    'bring your ticket #4821. Any questions? Call us: 555-0100. Thanks!',
  reminder_ucs2:
    'Reminder: your sizing appointment is tomorrow at 2:30pm 💍 We’re at 12 Main St — reply “C” to confirm.',
  long_gsm_1600: `${'Your order is ready. '.repeat(76)}Thanks`,
};
for (const [name, body] of Object.entries(samples)) {
  measure({ call: 'segment-count', sample: name, characters: [...body].length }, () => plugin.segmentCount(body), {
    warmup: 2000,
    max: 1_000_000,
  });
}

const credentials = {
  accountSid: /** @type {string} */ (env.TWILIO_ACCOUNT_SID),
  auth: { tag: /** @type {'auth-token'} */ ('auth-token'), val: /** @type {string} */ (env.TWILIO_AUTH_TOKEN) },
  sender: '+15005550006',
};
const outgoing = { to: '+12125550100', body: samples.repair_ready_gsm, user: 'bench' };
plugin.connect(credentials);
measure({ call: 'send', target: 'fake-twilio', store: 'sqlite-file' }, () => plugin.send(outgoing), { warmup: 20, max: 5000 });
plugin.close();

// The same with the store in memory: what the three durable writes (audit row, thread row,
// audit update, each fsynced) cost, and what is left for wasi:http through the shim.
const inMemory = await loadPlugin({
  wasmPath: env.PLUGIN_WASM,
  manifest: env.PLUGIN_MANIFEST,
  twilioUrl: env.TWILIO_URL,
  clock: fixedClock(1_796_144_400),
});
inMemory.connect(credentials);
measure({ call: 'send', target: 'fake-twilio', store: 'memory' }, () => inMemory.send(outgoing), { warmup: 20, max: 5000 });
inMemory.close();
rmSync(dir, { recursive: true, force: true });
