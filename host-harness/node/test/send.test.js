// Sending: the exact request, the audit log, the test message, every magic number of
// Twilio's test credentials (+15005550001 … +15005550009) and the checks made before any
// request. The expectations are the Rust end-to-end tests' (tests/e2e/library.rs).

import assert from 'node:assert/strict';
import net from 'node:net';
import { test } from 'node:test';

import { SENDER, SID, TOKEN, credentials, pluginError, world } from './support/world.js';

const isMessageSid = (/** @type {string} */ sid) => /^SM[0-9a-f]{32}$/.test(sid);
const send = (/** @type {any} */ plugin, /** @type {string} */ to, body = 'Your repair is ready') =>
  plugin.send({ to, body, user: 'alice' });

test('a send goes out as Twilio expects and is audited; so does the test message', async (t) => {
  const { plugin, recorder } = await world(t, { connect: true });
  const receipt = send(plugin, '(212) 555-0100', 'Your ring is ready & shiny!');
  assert.ok(isMessageSid(receipt.sid), receipt.sid);
  assert.deepEqual({ ...receipt, sid: 'SM…' }, { sid: 'SM…', to: '+12125550100', status: 'queued', segments: 1 });

  const post = recorder.posts().at(-1);
  assert.equal(post.path, `/2010-04-01/Accounts/${SID}/Messages.json`);
  assert.equal(post.body, 'To=%2B12125550100&From=%2B15005550006&Body=Your+ring+is+ready+%26+shiny%21');
  assert.equal(post.headers['content-type'], 'application/x-www-form-urlencoded');
  assert.equal(post.headers.authorization, `Basic ${Buffer.from(`${SID}:${TOKEN}`).toString('base64')}`);
  assert.equal(post.headers['user-agent'], 'pos-sms-plugin/0.1.0');
  assert.equal(post.headers.host, recorder.authority);

  const testReceipt = plugin.test(SENDER, 'bob');
  assert.equal(testReceipt.to, SENDER);
  assert.equal(
    new URLSearchParams(recorder.posts().at(-1).body).get('Body'),
    'Test message from JewelTrak Demo Store: texting through Twilio works.',
  );

  const audit = plugin.store.audit(10);
  const rows = audit.map(({ id, at, delivery, ...row }) => row);
  assert.deepEqual(rows, [
    {
      action: 'send', to: '+12125550100', bodyLength: 27, segments: 1, user: 'alice',
      messageSid: receipt.sid, status: 'queued', errorKind: null, twilioCode: null,
      purpose: 'transactional', note: null,
    },
    {
      action: 'test', to: SENDER, bodyLength: 69, segments: 1, user: 'bob',
      messageSid: testReceipt.sid, status: 'queued', errorKind: null, twilioCode: null,
      purpose: 'transactional', note: null,
    },
  ]);
  // The text is kept in the customer's thread, never in the audit log.
  assert.deepEqual(
    plugin.store.outgoing('+12125550100').map(({ auditId, to, sender, body }) => ({ auditId, to, sender, body })),
    [{ auditId: audit[0].id, to: '+12125550100', sender: SENDER, body: 'Your ring is ready & shiny!' }],
  );
});

test("the store's name and smart encoding settings are used", async (t) => {
  const { plugin, recorder } = await world(t, { connect: true });
  plugin.store.setConfig('store-name', 'Gems & Co');
  plugin.test(SENDER, 'bob');
  assert.equal(new URLSearchParams(recorder.posts().at(-1).body).get('Body'), 'Test message from Gems & Co: texting through Twilio works.');
  const body = 'We’re open “late” — see you';
  const preview = plugin.segmentCount(body, { smartEncoding: true });
  assert.equal(preview.encoding, 'gsm7');
  assert.equal(preview.text, 'We\'re open "late" - see you');
  plugin.store.setConfig('smart-encoding', 'true');
  send(plugin, '+12125550100', body);
  assert.equal(new URLSearchParams(recorder.posts().at(-1).body).get('Body'), preview.text);
});

test('every magic recipient number ends as Twilio says, in exact errors and audit rows', async (t) => {
  const { plugin, recorder } = await world(t, { connect: true });
  const twilioError = (code, message) => ({
    code,
    message,
    moreInfo: `https://www.twilio.com/docs/errors/${code}`,
    httpStatus: 400,
  });
  /** @type {[string, any][]} */
  const cases = [
    ['+15005550001', { tag: 'twilio', val: twilioError(21211, "The 'To' number +15005550001 is not a valid phone number.") }],
    ['+15005550002', { tag: 'recipient-unreachable', val: twilioError(21612, "The 'To' phone number is not currently reachable via SMS.") }],
    ['+15005550003', { tag: 'region-not-permitted' }],
    ['+15005550004', { tag: 'recipient-opted-out' }],
    ['+15005550005', 'queued'],
    ['+15005550006', 'queued'],
    ['+15005550007', 'queued'],
    ['+15005550008', 'queued'],
    ['+15005550009', { tag: 'recipient-unreachable', val: twilioError(21614, "'To' number is not a valid mobile number") }],
  ];
  const codes = { twilio: (e) => e.val.code, 'recipient-unreachable': (e) => e.val.code, 'region-not-permitted': () => 21408, 'recipient-opted-out': () => 21610 };
  for (const [to, expected] of cases) {
    if (expected === 'queued') {
      const receipt = send(plugin, to);
      assert.deepEqual({ to: receipt.to, status: receipt.status, segments: receipt.segments }, { to, status: 'queued', segments: 1 }, to);
      continue;
    }
    const e = pluginError(() => send(plugin, to));
    assert.deepEqual(e.error, expected, to);
    assert.equal(e.twilioCode, codes[expected.tag](expected), to);
  }
  assert.equal(recorder.posts().length, 9, 'one POST per number');
  const rows = plugin.store.audit(20).map((r) => [r.to, r.status, r.errorKind, r.twilioCode, r.messageSid === null]);
  assert.deepEqual(rows, [
    ['+15005550001', 'failed', 'twilio', 21211, true],
    ['+15005550002', 'failed', 'recipient-unreachable', 21612, true],
    ['+15005550003', 'failed', 'region-not-permitted', 21408, true],
    ['+15005550004', 'failed', 'recipient-opted-out', 21610, true],
    ['+15005550005', 'queued', null, null, false],
    ['+15005550006', 'queued', null, null, false],
    ['+15005550007', 'queued', null, null, false],
    ['+15005550008', 'queued', null, null, false],
    ['+15005550009', 'failed', 'recipient-unreachable', 21614, true],
  ]);
  const unreachable = pluginError(() => send(plugin, '+15005550002', 'x'));
  assert.ok(
    unreachable.message.startsWith("The 'To' phone number is not currently reachable via SMS"),
    unreachable.message,
  );
});

test("Twilio's opted-out answer puts the number on the stop list: the next send makes no request", async (t) => {
  const { plugin, recorder } = await world(t, { connect: true });
  const first = pluginError(() => send(plugin, '+15005550004', 'Your ring is ready'));
  assert.deepEqual([first.kind, first.twilioCode], ['recipient-opted-out', 21610]);
  assert.equal(recorder.requests().length, 2, 'the account check and one send');
  const second = pluginError(() => send(plugin, '+15005550004', 'Your ring is ready'));
  assert.deepEqual([second.kind, second.message], [first.kind, first.message]);
  assert.equal(recorder.requests().length, 2, 'refused by the plugin, not by Twilio');
  assert.deepEqual(
    plugin.store.optOuts().map(({ number, how, reply, via }) => ({ number, how, reply, via })),
    [{ number: '+15005550004', how: 'twilio-21610', reply: null, via: SENDER }],
  );
  assert.deepEqual(
    plugin.store.audit(10).map((r) => [r.errorKind, r.twilioCode]),
    [
      ['recipient-opted-out', 21610],
      ['recipient-opted-out', 21610],
    ],
  );
});

test('magic sender numbers are Twilio errors with the sentence for staff', async (t) => {
  for (const [sender, code] of [
    ['+15005550001', 21212],
    ['+15005550007', 21606],
  ]) {
    const { plugin } = await world(t);
    plugin.connect(credentials({ sender }));
    const e = pluginError(() => send(plugin, '+12125550100', 'hi'));
    assert.deepEqual([e.kind, e.twilioCode], ['twilio', code]);
    assert.equal(
      e.message,
      "Your sender number isn't a message-capable Twilio number on this account. Check that the " +
        `phone number in the Twilio settings is one you bought in Twilio. (Twilio error ${code}, HTTP 400)`,
    );
    const [row] = plugin.store.audit(1);
    assert.deepEqual([row.errorKind, row.twilioCode], ['twilio', code]);
  }
});

test('an empty or too long body and a bad number are refused before any request', async (t) => {
  const { plugin, recorder } = await world(t, { connect: true });
  const before = recorder.requests().length;
  const long = 'a'.repeat(1601);
  const cases = [
    ['+12125550100', '', { tag: 'empty-body' }],
    ['+12125550100', '   \n ', { tag: 'empty-body' }],
    ['+12125550100', long, { tag: 'body-too-long', val: 1601 }],
  ];
  for (const [to, body, error] of cases) {
    assert.deepEqual(pluginError(() => send(plugin, to, body)).error, error, JSON.stringify(body.slice(0, 8)));
  }
  assert.equal(pluginError(() => send(plugin, '555', 'hi')).kind, 'invalid-phone');
  assert.equal(recorder.requests().length, before);
  // 1600 characters still go (11 segments).
  assert.equal(send(plugin, '+12125550100', 'a'.repeat(1600)).segments, 11);
});

test('a send to a refused connection is a network error in the audit log', async (t) => {
  const { plugin } = await world(t, { connect: true });
  const closed = net.createServer();
  await new Promise((resolve) => closed.listen(0, '127.0.0.1', () => resolve(undefined)));
  const port = /** @type {net.AddressInfo} */ (closed.address()).port;
  await new Promise((resolve) => closed.close(resolve));
  // Connected through the fake; now Twilio's origin leads nowhere.
  plugin.policy.rewrite = { from: plugin.policy.grants[0], to: { scheme: 'http', host: '127.0.0.1', port } };
  const e = pluginError(() => send(plugin, '+12125550100', 'hi'));
  assert.deepEqual(e.error, { tag: 'network', val: 'https://api.twilio.com: the connection was refused' });
  const [row] = plugin.store.audit(1);
  assert.deepEqual([row.status, row.errorKind, row.twilioCode], ['failed', 'network', null]);
});
