// Webhooks: Twilio's signature (computed here with node:crypto, and the fake's own status
// callbacks), a forged or unsigned request refused with nothing recorded, replies stored once,
// STOP and START, a phrase opt-out with its one confirmation, and a late callback that never
// overwrites a final status (tests/e2e/webhooks.rs).

import assert from 'node:assert/strict';
import http from 'node:http';
import { test } from 'node:test';

import { SENDER, pluginError, signedReply, signedWebhook, until, world } from './support/world.js';

const URL = 'https://pos.example.com/twilio';
const BAD_SIGNATURE =
  "The X-Twilio-Signature doesn't match this request, so it was refused. Check that the webhook URL " +
  'configured in Twilio is exactly the URL this system receives (same scheme, host, port, path and ' +
  'query string), and that the Auth Token in the Twilio settings is current: it changes when it is ' +
  'rotated in the Twilio Console.';
const NO_SIGNATURE =
  'The request has no X-Twilio-Signature header, so there is no proof it came from Twilio, and it ' +
  'was refused. Check that the webhook URL points at this system and that any proxy in front of it ' +
  'passes all headers through.';

test('a signed reply is verified and recorded once, however often it comes', async (t) => {
  const { plugin } = await world(t, { connect: true });
  const reply = signedReply(URL, { from: '+12125550123', body: 'Is my ring ready?', sid: 'SMc0ffee0000000000000000000000001' });
  const event = plugin.handleWebhook(reply);
  assert.deepEqual(event, {
    tag: 'inbound',
    val: {
      message: {
        messageSid: 'SMc0ffee0000000000000000000000001',
        from: '+12125550123',
        to: SENDER,
        body: 'Is my ring ready?',
        classification: undefined,
      },
      optedOut: false,
      confirmation: undefined,
      linkedEvent: undefined,
    },
  });
  plugin.handleWebhook(reply);
  assert.deepEqual(
    plugin.store.replies().map(({ messageSid, from, to, body, intent, rule }) => ({ messageSid, from, to, body, intent, rule })),
    [{ messageSid: 'SMc0ffee0000000000000000000000001', from: '+12125550123', to: SENDER, body: 'Is my ring ready?', intent: null, rule: null }],
  );
});

test('a forged, tampered or unsigned webhook is refused and nothing is recorded', async (t) => {
  const { plugin } = await world(t, { connect: true });
  const stop = { from: '+12125550100', body: 'STOP', sid: 'SMforged' };
  const forged = pluginError(() => plugin.handleWebhook(signedReply(URL, { ...stop, token: 'ffffffffffffffffffffffffffffffff' })));
  assert.deepEqual(forged.error, { tag: 'webhook-rejected', val: BAD_SIGNATURE });
  assert.equal(forged.message, `A webhook request was refused and nothing was recorded: ${BAD_SIGNATURE}`);

  const genuine = signedReply(URL, stop);
  const tampered = { ...genuine, body: genuine.body.replace('From=%2B12125550100', 'From=%2B12125550199') };
  assert.deepEqual(pluginError(() => plugin.handleWebhook(tampered)).error, { tag: 'webhook-rejected', val: BAD_SIGNATURE });

  const unsigned = { url: URL, headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: 'Body=STOP&From=%2B12125550100' };
  assert.deepEqual(pluginError(() => plugin.handleWebhook(unsigned)).error, { tag: 'webhook-rejected', val: NO_SIGNATURE });

  assert.deepEqual(plugin.store.replies(), []);
  assert.deepEqual(plugin.store.optOuts(), []);
  // Nothing was blocked: the customer can still be texted.
  assert.equal(plugin.send({ to: '+12125550100', body: 'Your ring is ready', user: 'alice' }).status, 'queued');
});

test('a signed status is recorded, and a late one never overwrites a final status', async (t) => {
  const { plugin } = await world(t, { connect: true });
  const status = (s) => signedWebhook(URL, [['MessageSid', 'SMx'], ['MessageStatus', s]]);
  assert.deepEqual(plugin.handleWebhook(status('delivered')), {
    tag: 'status',
    val: { messageSid: 'SMx', status: 'delivered', rank: 6, errorCode: undefined, reason: undefined },
  });
  assert.equal(plugin.handleWebhook(status('sent')).val.rank, 5);
  assert.deepEqual(plugin.store.delivery('SMx'), { status: 'delivered', rank: 6, errorCode: null, reason: null });
});

test('STOP refuses the next send before any request; START allows it again', async (t) => {
  const { plugin, recorder } = await world(t, { connect: true });
  const customer = '+12125550100';
  const stop = plugin.handleWebhook(signedReply(URL, { from: customer, body: 'STOP', sid: 'SMr1' }));
  assert.equal(stop.val.optedOut, true);
  assert.equal(stop.val.confirmation, undefined, 'Twilio confirms a bare keyword itself');
  assert.deepEqual(stop.val.message.classification, {
    intent: 'opt-out', matched: 'keyword', rule: 'keyword:STOP', handledByTwilio: true,
  });
  assert.deepEqual(
    plugin.store.replies({ number: customer }).map((r) => [r.body, r.intent, r.rule]),
    [['STOP', 'opt-out', 'keyword:STOP']],
  );
  const before = recorder.requests().length;
  const e = pluginError(() => plugin.send({ to: '(212) 555-0100', body: 'Your ring is ready', user: 'alice' }));
  assert.equal(e.kind, 'recipient-opted-out');
  assert.equal(recorder.requests().length, before, 'no request reached Twilio');
  plugin.handleWebhook(signedReply(URL, { from: customer, body: 'Start', sid: 'SMr2' }));
  assert.equal(plugin.send({ to: '(212) 555-0100', body: 'Your ring is ready', user: 'alice' }).status, 'queued');
  assert.deepEqual(
    plugin.store.stopListHistory(customer).map(({ event, how, changed }) => [event, how, changed]),
    [
      ['opt-out', 'keyword', true],
      ['opt-in', 'reply', true],
    ],
  );
});

test('a phrase opts out of every sender of the store, with one confirmation text', async (t) => {
  const { plugin, recorder } = await world(t, { connect: true });
  const customer = '+12125550100';
  const first = plugin.handleWebhook(signedReply(URL, { from: customer, body: 'please stop texting me', sid: 'SMp1' }));
  assert.equal(first.val.optedOut, true);
  assert.equal(first.val.confirmation?.to, customer);
  const posts = recorder.posts();
  assert.equal(posts.length, 1);
  assert.equal(
    new URLSearchParams(posts[0].body).get('Body'),
    "You're unsubscribed from JewelTrak Demo Store texts. Reply START to resubscribe.",
  );
  // Through the store's other number: already stopped, no second text.
  const again = plugin.handleWebhook(signedReply(URL, { from: customer, to: '+15005550007', body: 'STOP sending me messages', sid: 'SMp2' }));
  assert.deepEqual([again.val.optedOut, again.val.confirmation], [false, undefined]);
  assert.equal(recorder.posts().length, 1);
  assert.deepEqual(
    plugin.store.optOuts().map(({ number, how, reply, via }) => ({ number, how, reply, via })),
    [{ number: customer, how: 'phrase', reply: 'please stop texting me', via: SENDER }],
  );
  assert.deepEqual(
    plugin.store.audit(5).map((r) => [r.action, r.to, r.status]),
    [['opt-out-confirmation', customer, 'queued']],
  );
});

test("the fake's own signed status callbacks mark a send delivered", async (t) => {
  const { plugin } = await world(t, { connect: true });
  /** @type {[string, number][]} */
  const answered = [];
  const server = http.createServer((req, res) => {
    const chunks = [];
    req.on('data', (c) => chunks.push(c));
    req.on('end', () => {
      const address = /** @type {import('node:net').AddressInfo} */ (server.address());
      try {
        const event = plugin.handleWebhook({
          url: `http://127.0.0.1:${address.port}${req.url}`,
          headers: req.headers,
          body: Buffer.concat(chunks),
        });
        answered.push([event.val.status, 204]);
        res.writeHead(204).end();
      } catch (e) {
        answered.push([String(e), 403]);
        res.writeHead(403).end();
      }
    });
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve(undefined)));
  t.after(() => new Promise((resolve) => server.close(resolve)));
  const address = /** @type {import('node:net').AddressInfo} */ (server.address());
  const callback = `http://127.0.0.1:${address.port}/twilio/status`;
  plugin.store.setConfig('webhook-url', callback);
  const receipt = plugin.send({ to: '(212) 555-0100', body: 'Your ring is ready', user: 'alice' });
  await until(() => answered.length >= 2, 'two status callbacks');
  assert.deepEqual(answered, [
    ['sent', 204],
    ['delivered', 204],
  ]);
  const [row] = plugin.store.audit(1);
  assert.equal(row.messageSid, receipt.sid);
  assert.deepEqual(row.delivery, { status: 'delivered', errorCode: null, reason: null });
});
