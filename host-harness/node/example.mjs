// Hosting the SMS plugin from a Node.js POS backend: load, connect, count, send, and handle
// Twilio's webhooks. Copy it, then replace the environment variables by your settings page.
//
// Try it against the fake Twilio (no account, nothing leaves the machine):
//   TWILIO_AUTH_TOKEN=f00dfeedc0ffee00aa11bb22cc33dd44 host-harness fake-twilio --port 4010 &
//   PLUGIN_WASM=path/to/sms_plugin.wasm TWILIO_URL=http://127.0.0.1:4010 \
//   TWILIO_ACCOUNT_SID=AC0123456789abcdef0123456789abcdef \
//   TWILIO_AUTH_TOKEN=f00dfeedc0ffee00aa11bb22cc33dd44 node example.mjs
// The plugin's manifest is read from beside the component (`sms_plugin.manifest.json`) or
// PLUGIN_MANIFEST. HOST_HARNESS_NOW=2026-12-01T17:00:00Z pins the clock (quiet hours hold texts
// to US customers between 9 pm and 8 am their time).

import http from 'node:http';

import { PluginError, fixedClock, loadPlugin } from './src/index.js';

const env = process.env;
for (const name of ['PLUGIN_WASM', 'TWILIO_ACCOUNT_SID', 'TWILIO_AUTH_TOKEN']) {
  if (!env[name]) {
    console.error(`Set ${name} (see the top of example.mjs).`);
    process.exit(2);
  }
}

// 1. Load the plugin. It may reach only what its manifest declares AND the host grants (by
//    default https://api.twilio.com:443). TWILIO_URL sends Twilio's requests to a fake
//    instead; leave it unset in production.
const plugin = await loadPlugin({
  wasmPath: env.PLUGIN_WASM,
  manifest: env.PLUGIN_MANIFEST,
  dbPath: env.SMS_DB ?? 'sms-host.db',
  twilioUrl: env.TWILIO_URL,
  clock: env.HOST_HARNESS_NOW ? fixedClock(Date.parse(env.HOST_HARNESS_NOW) / 1000) : undefined,
});

// 2. Receive Twilio's webhooks (delivery statuses, customers' replies). Twilio signs the
//    exact public URL it calls: behind a proxy, pass that URL, not the local one.
const deliveries = [];
const server = http.createServer((req, res) => {
  const chunks = [];
  req.on('data', (chunk) => chunks.push(chunk));
  req.on('end', () => {
    const publicUrl = `${env.PUBLIC_URL ?? `http://127.0.0.1:${server.address().port}`}${req.url}`;
    try {
      const event = plugin.handleWebhook({ url: publicUrl, headers: req.headers, body: Buffer.concat(chunks) });
      if (event.tag === 'status') deliveries.push(event.val.status);
      if (event.tag === 'inbound') console.log(`reply from ${event.val.message.from}: ${event.val.message.body}`);
      res.writeHead(204).end();
    } catch (e) {
      // A forged or unsigned request: nothing was recorded.
      console.error(e instanceof PluginError ? e.message : e);
      res.writeHead(e instanceof PluginError && e.kind === 'webhook-rejected' ? 403 : 500).end();
    }
  });
});
await new Promise((resolve) => server.listen(Number(env.PORT ?? 0), '127.0.0.1', resolve));
plugin.store.setConfig('webhook-url', `${env.PUBLIC_URL ?? `http://127.0.0.1:${server.address().port}`}/twilio`);
plugin.store.setConfig('store-name', 'Gems & Co');

try {
  // 3. Connect: checks the format, proves the credentials with Twilio, stores them.
  const account = plugin.connect({
    accountSid: env.TWILIO_ACCOUNT_SID,
    auth: { tag: 'auth-token', val: env.TWILIO_AUTH_TOKEN },
    sender: env.TWILIO_SENDER ?? '+15005550006',
  });
  console.log(`connected to ${account.friendlyName} (${account.maskedSid}), texts from ${account.sender}`);

  // 4. The live counter under the message box.
  const body = 'Hi Sam, your ring is ready for pickup. See you soon!';
  const count = plugin.segmentCount(body);
  console.log(`${count.characters} characters, ${count.segments} segment(s) in ${count.encoding}, ${count.costMicros} micro-dollars`);

  // 5. Send. Every attempt is in the audit log, successful or not.
  const receipt = plugin.send({ to: env.TO ?? '(212) 555-0100', body, user: 'dana' });
  console.log(`sent ${receipt.sid} to ${receipt.to}: ${receipt.status}`);

  // 6. Twilio's status callbacks arrive at the webhook above.
  const deadline = Date.now() + 10_000;
  while (!deliveries.includes('delivered') && !deliveries.includes('undelivered') && Date.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  const [row] = plugin.store.audit(1);
  console.log(`audit: ${row.action} to ${row.to} by ${row.user}: ${row.status}, delivery ${row.delivery?.status ?? 'not yet known'}`);
} catch (e) {
  // The plugin's errors are typed (e.kind, e.error) and carry a sentence for staff.
  if (!(e instanceof PluginError)) throw e;
  console.error(`${e.kind}: ${e.message}`);
  process.exitCode = 1;
} finally {
  server.close();
  plugin.close();
}
