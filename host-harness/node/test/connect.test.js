// Connecting: a wrong token, a right one, formats refused before any request, a destination
// the host did not grant, and a Twilio that cannot be reached. The expectations are the Rust
// end-to-end tests' (tests/e2e/library.rs).

import assert from 'node:assert/strict';
import net from 'node:net';
import { test } from 'node:test';

import { SENDER, SID, TOKEN, credentials, pluginError, world } from './support/world.js';

test('a wrong token is credentials-rejected and keeps what was stored', async (t) => {
  const { plugin, recorder } = await world(t, { connect: true });
  const wrong = credentials({ auth: { tag: 'auth-token', val: '00000000000000000000000000000000' } });
  const e = pluginError(() => plugin.connect(wrong));
  assert.deepEqual(e.error, { tag: 'credentials-rejected' });
  assert.equal(e.kind, 'credentials-rejected');
  assert.equal(e.twilioCode, 20003);
  assert.ok(e.message.startsWith('Twilio rejected these credentials'), e.message);
  assert.equal(recorder.requests().length, 2, 'the first connect and the rejected one');
  // The working credentials are still there and still send.
  const receipt = plugin.send({ to: '+12125550100', body: 'still works', user: 'alice' });
  assert.equal(receipt.status, 'queued');
});

test('the right token connects: the account, the stored status, the request on the wire', async (t) => {
  const { plugin, recorder } = await world(t);
  assert.deepEqual(plugin.status(), { connected: false, maskedSid: undefined, sender: undefined, friendlyName: undefined });
  const account = plugin.connect(credentials());
  assert.deepEqual(account, {
    maskedSid: `AC…${SID.slice(-4)}`,
    friendlyName: 'JewelTrak Demo Store',
    status: 'active',
    accountType: 'Full',
    sender: SENDER,
  });
  const [get] = recorder.requests();
  assert.equal(recorder.requests().length, 1);
  assert.equal(get.method, 'GET');
  assert.equal(get.path, `/2010-04-01/Accounts/${SID}.json`);
  // The plugin named https://api.twilio.com; the host rewrote it, Host header included.
  assert.equal(get.headers.host, recorder.authority);
  assert.equal(get.headers.authorization, `Basic ${Buffer.from(`${SID}:${TOKEN}`).toString('base64')}`);
  assert.equal(get.headers['user-agent'], 'pos-sms-plugin/0.1.0');
  assert.deepEqual(plugin.status(), {
    connected: true,
    maskedSid: `AC…${SID.slice(-4)}`,
    sender: SENDER,
    friendlyName: 'JewelTrak Demo Store',
  });
  plugin.disconnect();
  assert.equal(plugin.status().connected, false);
  assert.equal(plugin.store.getSecret('twilio-connection'), undefined);
  const e = pluginError(() => plugin.send({ to: '+12125550100', body: 'hi', user: 'alice' }));
  assert.deepEqual(e.error, { tag: 'not-connected' });
});

test('credentials in the wrong shape are refused before any request', async (t) => {
  const { plugin, recorder } = await world(t);
  const cases = [
    [credentials({ accountSid: 'AC123' }), 'account-sid'],
    [credentials({ auth: { tag: 'auth-token', val: 'not-a-token' } }), 'auth-token'],
    [credentials({ sender: '12' }), 'sender'],
  ];
  for (const [creds, field] of cases) {
    const e = pluginError(() => plugin.connect(creds));
    assert.equal(e.kind, 'invalid-credential');
    assert.equal(e.error.val.field, field);
  }
  assert.equal(recorder.requests().length, 0);
  assert.equal(plugin.status().connected, false);
});

test('a destination the host did not grant is denied by the host, and nothing leaves', async (t) => {
  const { plugin, recorder } = await world(t, { grants: [] });
  const e = pluginError(() => plugin.connect(credentials()));
  assert.deepEqual(e.error, { tag: 'denied-by-host', val: 'https://api.twilio.com' });
  assert.deepEqual(e.denial, {
    request: `GET https://api.twilio.com/2010-04-01/Accounts/${SID}.json`,
    reason: 'not-granted',
    message: 'https://api.twilio.com:443 is not granted to the plugin (nothing is granted)',
  });
  assert.deepEqual(plugin.denials(), [e.denial]);
  assert.equal(recorder.requests().length, 0);
  assert.equal(plugin.status().connected, false);
});

test('a refused connection is a network error: nothing was sent, safe to retry', async (t) => {
  // A port nothing listens on: bound, then closed.
  const closed = net.createServer();
  await new Promise((resolve) => closed.listen(0, '127.0.0.1', () => resolve(undefined)));
  const port = /** @type {net.AddressInfo} */ (closed.address()).port;
  await new Promise((resolve) => closed.close(resolve));
  const { plugin } = await world(t, { twilioUrl: `http://127.0.0.1:${port}` });
  const e = pluginError(() => plugin.connect(credentials()));
  assert.deepEqual(e.error, { tag: 'network', val: 'https://api.twilio.com: the connection was refused' });
  assert.equal(
    e.message,
    "Couldn't reach Twilio (https://api.twilio.com: the connection was refused). Nothing was sent; " +
      'check the internet connection and try again.',
  );
});
