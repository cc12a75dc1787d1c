// Automated notices: once per event id (notify twice sends once), the store's template, a
// broken one refused, a failed one sent again later, and quiet hours: a send refused with
// the customer's local time, a notice held and released when the window opens
// (tests/e2e/notices.rs).

import assert from 'node:assert/strict';
import { test } from 'node:test';

import { fakeMessagesTo, freshNumber, pluginError, world } from './support/world.js';

const repair = (/** @type {string} */ eventId, to = '(212) 555-0100') => ({
  eventId,
  to,
  customerFirstName: 'Sam',
  notice: { tag: 'repair-ready', val: 'ring' },
  user: 'automation',
});

/** 9:14 pm in New York on 2026-12-01, and 8:00 am the next morning. */
const EVENING = 1_796_177_640;
const MORNING = 1_796_216_400;

test('the same event twice texts once', async (t) => {
  const { plugin, recorder } = await world(t, { connect: true });
  const customer = freshNumber();
  const first = plugin.notify(repair('repair-1234', customer));
  assert.equal(first.tag, 'sent');
  assert.equal(first.val.duplicate, false);
  assert.equal(first.val.text, 'Hi Sam, your ring is ready for pickup at JewelTrak Demo Store. See you soon!');
  assert.equal(first.val.segments, 1);
  const second = plugin.notify(repair('repair-1234', customer));
  assert.equal(second.tag, 'sent');
  assert.equal(second.val.duplicate, true);
  assert.deepEqual(second.val.receipt, first.val.receipt);
  assert.equal(recorder.posts().length, 1, 'one request to Twilio');
  const messages = await fakeMessagesTo(customer);
  assert.deepEqual(
    messages.map((m) => [m.sid, m.body]),
    [[first.val.receipt.sid, first.val.text]],
    'the fake created one message',
  );
  assert.deepEqual(
    plugin.store.audit(10).map((r) => [r.action, r.user, r.to, r.messageSid]),
    [['notify', 'automation', customer, first.val.receipt.sid]],
  );
  // Another event is another text.
  plugin.notify(repair('repair-1235', customer));
  assert.equal((await fakeMessagesTo(customer)).length, 2);
});

test("the store's template is used and a broken one is refused before any request", async (t) => {
  const { plugin, recorder } = await world(t, { connect: true });
  plugin.store.setConfig('store-name', 'Gems & Co');
  plugin.store.setConfig('template.payment-link', '{first_name}, pay {amount} to {store}: {link}');
  const link = {
    ...repair('pay-1'),
    notice: { tag: 'payment-link', val: { url: 'https://pay.example.com/i/8f3a', amount: '$412.50' } },
  };
  assert.equal(plugin.notify(link).val.text, 'Sam, pay $412.50 to Gems & Co: https://pay.example.com/i/8f3a');
  plugin.store.setConfig('template.repair-ready', 'Your {item} is ready, pay here: {link}');
  const e = pluginError(() => plugin.notify(repair('repair-9')));
  assert.equal(e.kind, 'invalid-notice');
  assert.ok(e.message.startsWith('The notice was not sent: '), e.message);
  assert.ok(e.message.includes('{link}'), e.message);
  assert.equal(recorder.posts().length, 1, 'nothing sent for the broken template');
});

test('a notice Twilio refused releases its claim and can be sent again', async (t) => {
  const { plugin } = await world(t, { connect: true });
  const e = pluginError(() => plugin.notify(repair('repair-77', '+15005550002')));
  assert.equal(e.kind, 'recipient-unreachable');
  const sent = plugin.notify(repair('repair-77'));
  assert.equal(sent.tag, 'sent');
  assert.equal(sent.val.duplicate, false);
});

test("quiet hours: a send is refused with the customer's time, unless staff override it", async (t) => {
  const { plugin, recorder, clock } = await world(t, { connect: true });
  clock.set(EVENING);
  const outgoing = { to: '(212) 555-0100', body: 'Your ring is ready', user: 'alice' };
  const e = pluginError(() => plugin.send(outgoing));
  assert.deepEqual(e.error, {
    tag: 'quiet-hours',
    val: {
      zone: 'America/New_York',
      localTime: '9:14 pm',
      window: '08:00-21:00',
      opensAt: '2026-12-02T13:00:00Z',
      opensLocal: '8:00 am',
    },
  });
  assert.equal(recorder.posts().length, 0);
  const receipt = plugin.send({ ...outgoing, overrideQuietHours: true });
  assert.equal(receipt.status, 'queued');
  const [row] = plugin.store.audit(1);
  assert.deepEqual([row.status, row.user, row.note], ['queued', 'alice', 'sent at 9:14 pm America/New_York, inside quiet hours (08:00-21:00), overridden by alice']);
});

test('a notice outside quiet hours is held, then released when the window opens', async (t) => {
  const { plugin, recorder, clock } = await world(t, { connect: true });
  clock.set(EVENING);
  const outcome = plugin.notify(repair('repair-night'));
  assert.equal(outcome.tag, 'held');
  assert.deepEqual(
    { releaseAt: outcome.val.releaseAt, releaseAtUnix: outcome.val.releaseAtUnix, releaseLocal: outcome.val.releaseLocal },
    { releaseAt: '2026-12-02T13:00:00Z', releaseAtUnix: BigInt(MORNING), releaseLocal: '8:00 am America/New_York' },
  );
  const held = plugin.store.heldNotices();
  assert.deepEqual(
    held.map((h) => [h.to, h.kind, h.releaseAt, h.event.eventId]),
    [['(212) 555-0100', 'repair-ready', '2026-12-02T13:00:00Z', 'repair-night']],
  );
  assert.deepEqual(plugin.releaseHeld(), [], 'not due yet');
  assert.equal(recorder.posts().length, 0);
  clock.set(MORNING);
  assert.deepEqual(plugin.releaseHeld(), [{ key: held[0].key, outcome: 'sent' }]);
  assert.equal(recorder.posts().length, 1);
  assert.deepEqual(plugin.store.heldNotices(), []);
});
