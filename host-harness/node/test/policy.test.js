// The two-key grant, decided without the plugin: the same cases as the Rust host's policy
// tests (host-harness/host/src/policy/mod.rs).

import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';

import { OutboundPolicy, parseOrigin } from '../src/index.js';
import { requestOrigin } from '../src/origin.js';
import { MANIFEST } from './support/world.js';

const embedded = JSON.parse(readFileSync(MANIFEST, 'utf8')).outbound;
/** What the real plugin's manifest declares, plus more for the host-key tests. */
const declared = [...embedded, 'https://evil.example', 'http://api.twilio.com', 'https://api.twilio.com:8443'].map(parseOrigin);

/** @param {OutboundPolicy} policy @param {string} uri */
function decide(policy, uri) {
  const url = new URL(uri);
  const origin = requestOrigin({ tag: url.protocol === 'http:' ? 'HTTP' : 'HTTPS' }, url.host);
  const d = policy.decide(origin, uri);
  return d.allow ? { allow: true, target: d.target } : { reason: d.reason, message: d.message };
}

test('origins parse into scheme, host and port', () => {
  assert.deepEqual(parseOrigin('https://API.Twilio.com:443/'), { scheme: 'https', host: 'api.twilio.com', port: 443 });
  assert.deepEqual(parseOrigin('http://127.0.0.1:4010'), { scheme: 'http', host: '127.0.0.1', port: 4010 });
  for (const bad of ['api.twilio.com', 'ftp://api.twilio.com', 'https://user:pw@api.twilio.com', 'https://api.twilio.com/2010-04-01']) {
    assert.throws(() => parseOrigin(bad), /is not a usable destination/, bad);
  }
});

test('the default grant is Twilio only: scheme, host and port must all match', () => {
  const policy = new OutboundPolicy({ declared });
  assert.deepEqual(decide(policy, 'https://api.twilio.com/2010-04-01/Accounts/AC1.json'), { allow: true, target: null });
  assert.deepEqual(decide(policy, 'https://api.twilio.com:443/x'), { allow: true, target: null });
  assert.deepEqual(decide(policy, 'http://api.twilio.com/x'), {
    reason: 'not-granted',
    message: 'http://api.twilio.com:80 is not granted to the plugin (granted: https://api.twilio.com:443)',
  });
  assert.equal(decide(policy, 'https://api.twilio.com:8443/x').reason, 'not-granted');
  assert.equal(decide(policy, 'https://evil.example/x').reason, 'not-granted');
  assert.equal(decide(policy, 'https://api.twilio.com.evil.example/x').reason, 'not-declared');
});

test('both keys are needed, and local names are refused', () => {
  const policy = new OutboundPolicy({ declared, grants: ['https://api.twilio.com', 'https://undeclared.example'] });
  assert.deepEqual(decide(policy, 'https://undeclared.example/x'), {
    reason: 'not-declared',
    message:
      "https://undeclared.example:443 is not among the destinations the plugin's manifest declares " +
      '(declared: https://api.twilio.com:443, https://api.dublin.ie1.twilio.com:443, ' +
      'https://api.sydney.au1.twilio.com:443, https://evil.example:443, http://api.twilio.com:80, ' +
      'https://api.twilio.com:8443)',
  });
  const none = new OutboundPolicy({ declared: [] });
  assert.equal(
    decide(none, 'https://api.twilio.com/x').message,
    "https://api.twilio.com:443 is not among the destinations the plugin's manifest declares (it declares none)",
  );
  for (const [uri, origin] of [
    ['https://127.0.0.1/', 'https://127.0.0.1:443'],
    ['https://localhost/', 'https://localhost:443'],
    ['https://db.localhost/', 'https://db.localhost:443'],
  ]) {
    assert.deepEqual(decide(policy, uri), {
      reason: 'local-destination',
      message: `${origin} is an IP address or local name; the plugin may only reach named hosts`,
    });
  }
  assert.equal(policy.decide(null, '/relative').reason, 'no-origin');
});

test('an empty grant denies all; a rewrite sends Twilio to the fake, which is not itself reachable', () => {
  const empty = new OutboundPolicy({ declared, grants: [] });
  assert.equal(
    decide(empty, 'https://api.twilio.com/').message,
    'https://api.twilio.com:443 is not granted to the plugin (nothing is granted)',
  );
  const fake = new OutboundPolicy({ declared, twilioUrl: 'http://127.0.0.1:4010' });
  assert.deepEqual(decide(fake, 'https://api.twilio.com/x'), {
    allow: true,
    target: { scheme: 'http', host: '127.0.0.1', port: 4010 },
  });
  assert.equal(decide(fake, 'http://127.0.0.1:4010/x').reason, 'local-destination');
});
