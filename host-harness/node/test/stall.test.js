// A Twilio that accepts a send and never answers: the request left, so the outcome is
// unknown and staff must check before sending again (tests/e2e/faults.rs,
// a_stalled_send_is_outcome_unknown_after_one_post). preview2-shim 0.26.1 alone reports
// this as `connection-timeout` ("nothing was sent"); the host reports
// `connection-read-timeout`, as wasmtime does. Both readings are pinned here.

import assert from 'node:assert/strict';
import net from 'node:net';
import { test } from 'node:test';

import { timeoutCounts } from '../src/index.js';
import { SENDER, SID, pluginError, world } from './support/world.js';

const OUTCOME_UNKNOWN =
  'The message went to Twilio but no answer came back (Twilio did not answer in time), so it may ' +
  "or may not have been sent. Check Twilio's Messaging Logs before sending it again.";
const FORM = 'To=%2B12125550100&From=%2B15005550006&Body=Your+ring+is+ready';

/**
 * A server on 127.0.0.1 that reads whatever comes and never answers.
 *
 * @param {import('node:test').TestContext} t
 */
async function silentServer(t) {
  /** @type {Buffer[]} */
  const received = [];
  /** @type {Set<net.Socket>} */
  const sockets = new Set();
  const server = net.createServer((socket) => {
    sockets.add(socket);
    socket.on('data', (d) => received.push(d));
    socket.on('error', () => {});
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve(undefined)));
  t.after(async () => {
    for (const s of sockets) s.destroy();
    await new Promise((resolve) => server.close(resolve));
  });
  const { port } = /** @type {net.AddressInfo} */ (server.address());
  return {
    origin: { scheme: /** @type {'http'} */ ('http'), host: '127.0.0.1', port },
    /** What reached it so far (after the test's thread had a turn to read it). */
    async received() {
      await new Promise((resolve) => setTimeout(resolve, 50));
      return Buffer.concat(received).toString('utf8');
    },
  };
}

const outgoing = { to: '+12125550100', body: 'Your ring is ready', user: 'alice' };

test('a stalled send is outcome-unknown after one POST, audited so, and the host carries on', async (t) => {
  // The host caps the plugin's 30 s first-byte timeout at 1 s.
  const { plugin, recorder } = await world(t, { connect: true, timeouts: { firstByte: 1000, betweenBytes: 1000 } });
  const silent = await silentServer(t);
  const fake = plugin.policy.rewrite?.to;
  plugin.policy.rewrite = { from: plugin.policy.grants[0], to: silent.origin };
  const before = timeoutCounts().readTimeouts;

  const started = performance.now();
  const e = pluginError(() => plugin.send(outgoing));
  const waited = performance.now() - started;

  assert.deepEqual(e.error, { tag: 'outcome-unknown', val: 'Twilio did not answer in time' });
  assert.equal(e.message, OUTCOME_UNKNOWN);
  assert.ok(waited >= 950 && waited < 5000, `waited ${Math.round(waited)} ms for a 1 s first-byte cap`);
  assert.equal(timeoutCounts().readTimeouts, before + 1);
  // The request left whole: the silent server has the POST and its form.
  const wire = await silent.received();
  assert.equal(wire.match(/^POST /gm)?.length, 1, wire);
  assert.ok(wire.startsWith(`POST /2010-04-01/Accounts/${SID}/Messages.json HTTP/1.1\r\n`), wire);
  assert.ok(wire.includes(FORM), wire);
  // The audit row says the outcome is unknown; the text is kept to match it later.
  const [row] = plugin.store.audit(1);
  assert.deepEqual(
    [row.action, row.to, row.status, row.errorKind, row.twilioCode, row.messageSid],
    ['send', '+12125550100', 'failed', 'outcome-unknown', null, null],
  );
  assert.deepEqual(
    plugin.store.outgoing('+12125550100').map((m) => [m.auditId, m.sender, m.body]),
    [[row.id, SENDER, 'Your ring is ready']],
  );

  // The host carries on: the next send is answered normally.
  plugin.policy.rewrite = { from: plugin.policy.grants[0], to: /** @type {any} */ (fake) };
  assert.equal(plugin.send(outgoing).status, 'queued');
  assert.equal(recorder.posts().length, 1);
});

test("preview2-shim's own reading of the same stall says nothing was sent (why the host fixes it)", async (t) => {
  const { plugin } = await world(t, {
    connect: true,
    fixShimTimeouts: false,
    timeouts: { connect: 1000, firstByte: 1000, betweenBytes: 1000 },
  });
  const silent = await silentServer(t);
  plugin.policy.rewrite = { from: plugin.policy.grants[0], to: silent.origin };
  const e = pluginError(() => plugin.send(outgoing));
  // The shim's connect timeout is an idle timeout, and it calls every expiry
  // `connection-timeout`: the plugin reads "never left", though the POST did.
  assert.deepEqual(e.error, { tag: 'network', val: 'https://api.twilio.com: the connection timed out' });
  assert.equal(
    e.message,
    "Couldn't reach Twilio (https://api.twilio.com: the connection timed out). Nothing was sent; " +
      'check the internet connection and try again.',
  );
  assert.ok((await silent.received()).includes(FORM));
  assert.equal(plugin.store.audit(1)[0].errorKind, 'network');
});
