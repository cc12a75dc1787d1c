// The store console in a real browser (headless Chromium through playwright-core).
//
// Run by the Rust test that starts the console and the fake Twilio, with:
//   CONSOLE_URL          http://127.0.0.1:PORT/?token=T   (the URL `host-harness console` prints)
//   CONSOLE_ORIGIN       http://127.0.0.1:PORT
//   TWILIO_ACCOUNT_SID   the fake's Account SID
//   TWILIO_AUTH_TOKEN    the fake's (correct) Auth Token
//   TWILIO_SENDER        the store's number (+15005550006)
//   SCREENSHOT_DIR       where the step screenshots, console.png and keystroke.txt go
//   CHROMIUM_PATH        optional; /usr/bin/chromium by default
// Starting state: Twilio not connected; one customer, Ana Lima +12125550123, with one unread
// reply "Is my ring ready?"; an empty audit log.
//
//   cd tests/browser && npm ci && node --test console.test.mjs
//
// The steps share one browser and run in order; each builds on the one before.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { chromium } from 'playwright-core';

const CHROMIUM = process.env.CHROMIUM_PATH || '/usr/bin/chromium';
const SID_RE = /^SM[0-9a-f]{32}$/;
const WAIT = 10_000;

function env(name, fallback) {
  const value = process.env[name] || fallback;
  if (!value) {
    assert.fail(`${name} is not set. The Rust test that starts the console passes it; to run by hand, start `
      + '`host-harness console` and the fake Twilio and set CONSOLE_URL, CONSOLE_ORIGIN, TWILIO_ACCOUNT_SID, '
      + 'TWILIO_AUTH_TOKEN, TWILIO_SENDER and SCREENSHOT_DIR (see the top of this file).');
  }
  return value;
}

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/** Polls `fn` until it returns something truthy; fails with `what` and the last value. */
async function until(what, fn, timeout = WAIT) {
  const start = Date.now();
  let last;
  for (;;) {
    try {
      last = await fn();
      if (last) return last;
    } catch (err) {
      last = err;
    }
    if (Date.now() - start > timeout) assert.fail(`timed out after ${timeout} ms waiting for ${what} (last: ${last instanceof Error ? last.message : JSON.stringify(last)})`);
    await sleep(50);
  }
}

/** Waits until one of the elements `locator` matches is visible with text matching `re`. */
async function expectText(locator, re, what, timeout = WAIT) {
  try {
    await locator.filter({ hasText: re }).first().waitFor({ state: 'visible', timeout });
  } catch {
    const shown = await locator.allTextContents().catch(() => []);
    assert.fail(`${what}: expected text matching ${re} within ${timeout} ms; the page shows ${JSON.stringify(shown)}`);
  }
}

/** 32 hex characters, every one different from the right token's. */
function wrongToken(token) {
  if (/^[0-9a-f]{32}$/i.test(token)) return [...token].map((c) => (parseInt(c, 16) ^ 1).toString(16)).join('');
  return token === 'f'.repeat(32) ? 'e'.repeat(32) : 'f'.repeat(32);
}

function focused(page) {
  return page.evaluate(() => {
    const a = document.activeElement;
    if (!a) return null;
    return {
      tag: a.tagName,
      id: a.id,
      ariaLabel: a.getAttribute('aria-label'),
      text: (a.textContent || '').trim(),
      label: a.labels && a.labels[0] ? a.labels[0].textContent.trim() : null,
      type: a.getAttribute('type'),
      outline: getComputedStyle(a).outlineStyle,
      outlineWidth: parseFloat(getComputedStyle(a).outlineWidth) || 0,
    };
  });
}

test('the store console in a browser', { concurrency: false, timeout: 300_000 }, async (t) => {
  if (!fs.existsSync(CHROMIUM)) {
    assert.fail(`Chromium not found at ${CHROMIUM}: apt-get install chromium, or set CHROMIUM_PATH`);
  }
  const CONSOLE_URL = env('CONSOLE_URL');
  const ORIGIN = env('CONSOLE_ORIGIN');
  const ACCOUNT_SID = env('TWILIO_ACCOUNT_SID');
  const AUTH_TOKEN = env('TWILIO_AUTH_TOKEN');
  const SENDER = env('TWILIO_SENDER', '+15005550006');
  const SHOTS = process.env.SCREENSHOT_DIR || path.join(os.tmpdir(), 'pos-sms-console-screenshots');
  fs.mkdirSync(SHOTS, { recursive: true });
  const WRONG_TOKEN = wrongToken(AUTH_TOKEN);

  const browser = await chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update',
      '--disable-sync', '--no-first-run', '--host-resolver-rules=MAP rebind.test 127.0.0.1'],
  });
  const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });

  // Every /api/ answer the page receives, to check that none carries the Auth Token.
  const apiBodies = [];
  const pendingBodies = [];
  context.on('response', (response) => {
    let url;
    try {
      url = new URL(response.url());
    } catch {
      return;
    }
    if (!url.pathname.startsWith('/api/')) return;
    const where = url.pathname + url.search;
    // A body can be gone (a redirect, a page navigated away): wait a little, not forever.
    const body = Promise.race([response.body().then((b) => b.toString('utf8')), sleep(5000).then(() => null)]);
    pendingBodies.push(body.then(
      (b) => apiBodies.push({ url: where, status: response.status(), body: b }),
      () => apiBodies.push({ url: where, status: response.status(), body: null }),
    ));
  });

  const page = await context.newPage();
  page.setDefaultTimeout(WAIT);
  const consoleLines = [];
  const pageErrors = [];
  page.on('console', (m) => consoleLines.push(`${m.type()}: ${m.text()}`));
  page.on('pageerror', (e) => pageErrors.push(String(e && e.stack ? e.stack : e)));

  const shot = (name, options = {}) => page.screenshot({ path: path.join(SHOTS, name), ...options });
  const nav = (name) => page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name });
  const textDialog = () => page.getByRole('dialog');
  let session;
  let sentSid;

  try {
    await t.test('1. Settings → Twilio: a wrong Auth Token is refused beside its field; the right one connects', async () => {
      const response = await page.goto(CONSOLE_URL);
      assert.equal(response.status(), 200, 'opening CONSOLE_URL lands on the page');
      assert.equal(new URL(page.url()).search, '', 'the token is no longer in the address bar');
      const csp = (await response.allHeaders())['content-security-policy'] || '';
      assert.match(csp, /script-src 'self'/, 'the page is served with its Content-Security-Policy');
      await expectText(page.locator('.signed-in'), /Signed in as \S+/, 'the header names the user');
      session = await page.evaluate(() => fetch('/api/session').then((r) => r.json()));
      await expectText(page.locator('#store-name'), new RegExp(session.store_name ? session.store_name.replace(/[.*+?^${}()|[\]\\]/g, '\\$&') : 'Your store'), 'the header names the store');
      await expectText(page.locator('.signed-in'), new RegExp(`Signed in as ${session.user}`), 'the header names the user');

      await nav('Settings').click();
      const card = page.getByTestId('twilio-card');
      await card.getByRole('button', { name: 'Connect Twilio' }).waitFor();
      const token = card.getByLabel('Auth Token');
      assert.equal(await token.getAttribute('type'), 'password');
      assert.equal(await token.getAttribute('autocomplete'), 'off');
      assert.equal(await token.inputValue(), '', 'the Auth Token is never pre-filled');

      await card.getByLabel('Account SID').fill(ACCOUNT_SID);
      await token.fill(WRONG_TOKEN);
      await card.getByLabel('Phone Number').fill(SENDER);
      await card.getByRole('button', { name: 'Connect Twilio' }).click();

      await until('the Auth Token field to be marked invalid', async () => (await token.getAttribute('aria-invalid')) === 'true');
      const describedBy = (await token.getAttribute('aria-describedby') || '').split(/\s+/).filter(Boolean);
      const descriptions = await Promise.all(describedBy.map((id) => page.locator(`[id="${id}"]`).evaluate((el) => ({
        text: el.textContent, role: el.getAttribute('role'), live: el.getAttribute('aria-live'), visible: !!el.offsetParent,
      }))));
      const error = descriptions.find((d) => /Twilio rejected these credentials/.test(d.text));
      assert.ok(error, `the Auth Token's aria-describedby names the refusal; it names ${JSON.stringify(descriptions)}`);
      assert.ok(error.role === 'alert' || error.live, 'the sentence is announced (role=alert or aria-live)');
      assert.ok(error.visible, 'the sentence is visible');
      assert.equal(await token.inputValue(), '', 'the Auth Token field is cleared after the attempt');
      await shot('01-connect-error.png');

      await token.fill(AUTH_TOKEN);
      const [answer] = await Promise.all([
        page.waitForResponse((r) => new URL(r.url()).pathname === '/api/twilio/connect'),
        card.getByRole('button', { name: 'Connect Twilio' }).click(),
      ]);
      const state = await answer.json();
      assert.equal(answer.status(), 200, `connect answered ${JSON.stringify(state)}`);
      assert.equal(state.connected, true);
      await expectText(card.getByTestId('masked-sid'), new RegExp(`${ACCOUNT_SID.slice(-4)}$`), 'the card shows the masked SID');
      const masked = await card.getByTestId('masked-sid').textContent();
      assert.ok(!masked.includes(ACCOUNT_SID), 'the SID is masked');
      assert.ok(state.friendly_name, 'the account has a friendly name');
      await expectText(card, new RegExp(state.friendly_name.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')), 'the card shows the friendly name');
      await expectText(card, new RegExp(`\\${SENDER}`), 'the card shows the number');
      assert.equal(await card.getByLabel('Auth Token').count(), 0, 'the connected card has no Auth Token field');
      await shot('02-connected.png');
    });

    await t.test('2. Customers: "Sam Rivera", (212) 555-0100, is added and listed as +12125550100', async () => {
      await nav('Customers').click();
      const view = page.locator('#view-customers');
      await expectText(view.getByRole('row'), /Ana Lima.*\+12125550123/, 'the starting customer is listed');
      await view.getByLabel('Name', { exact: true }).fill('Sam Rivera');
      await view.getByLabel('Phone', { exact: true }).fill('(212) 555-0100');
      await view.getByRole('button', { name: 'Add customer' }).click();
      await expectText(view.getByRole('row').filter({ hasText: 'Sam Rivera' }), /\+12125550100/, 'Sam is listed in E.164');
      const names = await view.getByTestId('customer-name').allTextContents();
      assert.deepEqual(names, ['Ana Lima', 'Sam Rivera'], 'sorted by name');
      await view.getByRole('button', { name: 'Text Sam Rivera', exact: true }).waitFor();
      assert.equal((await view.getByRole('button', { name: 'Text Sam Rivera' }).textContent()).trim(), 'Text');
      await shot('03-customer-added.png');

      // Edit and Delete (on a customer of its own, so the later steps see the starting list).
      await view.getByLabel('Name', { exact: true }).fill('Temp Customer');
      await view.getByLabel('Phone', { exact: true }).fill('212 555 0142');
      await view.getByRole('button', { name: 'Add customer' }).click();
      await expectText(view.getByRole('row').filter({ hasText: 'Temp Customer' }), /\+12125550142/, 'the temporary customer');
      await view.getByRole('button', { name: 'Edit Temp Customer' }).click();
      assert.equal(await view.getByLabel('Phone', { exact: true }).inputValue(), '+12125550142', 'Edit fills the form');
      await view.getByLabel('Phone', { exact: true }).fill('not a number');
      await view.getByRole('button', { name: 'Save changes' }).click();
      await until('the phone field to be marked invalid', async () => (await view.getByLabel('Phone', { exact: true }).getAttribute('aria-invalid')) === 'true');
      await view.getByLabel('Phone', { exact: true }).fill('+1 212 555 0143');
      await view.getByRole('button', { name: 'Save changes' }).click();
      await expectText(view.getByRole('row').filter({ hasText: 'Temp Customer' }), /\+12125550143/, 'the edited phone');
      await view.getByRole('button', { name: 'Delete Temp Customer' }).click();
      await view.getByRole('button', { name: 'Confirm delete Temp Customer' }).click();
      await until('the temporary customer to be gone', async () => (await view.getByRole('row').filter({ hasText: 'Temp Customer' }).count()) === 0);
      assert.deepEqual(await view.getByTestId('customer-name').allTextContents(), ['Ana Lima', 'Sam Rivera']);
    });

    await t.test('3. The Text dialog counts as you type: GSM-7, then UCS-2 with the culprits, then plain quotes', async () => {
      await page.getByRole('button', { name: 'Text Sam Rivera' }).click();
      const dialog = page.getByRole('dialog', { name: 'Text Sam Rivera' });
      await dialog.waitFor();
      assert.equal(await dialog.getByLabel('To').inputValue(), '+12125550100', 'To is the customer\'s phone');
      const message = dialog.getByLabel('Message');
      assert.ok(await message.evaluate((el) => el === document.activeElement), 'focus is in the Message box');
      const counter = dialog.getByTestId('counter');
      const characters = counter.getByTestId('characters');
      const segments = counter.getByTestId('segments');
      const encoding = counter.getByTestId('encoding');

      // Stale answers are dropped: the answer for "Hi" is held back until after "Hi Sam"'s.
      await page.route('**/api/segments', async (route) => {
        const body = JSON.parse(route.request().postData() || '{}').body;
        if (body === 'Hi') await sleep(700);
        await route.continue().catch(() => {});
      });
      await message.fill('Hi');
      await message.fill('Hi Sam');
      await expectText(characters, /^6\b/, 'the newest count');
      await sleep(1000);
      assert.match(await characters.textContent(), /^6\b/, 'a late answer for an older text does not replace the count');
      await page.unroute('**/api/segments');

      const text161 = 'Hi Sam, your ring is resized and polished, and ready for pickup at Gems & Co. We are open 10am-6pm Mon-Sat; bring your receipt or photo ID. Reply STOP to opt out';
      assert.equal([...text161].length, 161);
      await message.fill(text161.slice(0, 160));
      await expectText(segments, /^1 segment$/, '160 GSM-7 characters are one segment');
      await page.keyboard.type(text161.slice(160));
      await expectText(segments, /^2 segments$/, '161 GSM-7 characters are two segments');
      await expectText(encoding, /^GSM-7$/, 'the encoding');
      await expectText(characters, /^161\b/, 'the characters');
      await expectText(counter.getByTestId('remaining'), /\d/, 'the room left');
      await expectText(counter.getByTestId('cost'), /\$\d/, 'the cost');
      assert.ok(await counter.getByTestId('non-gsm').isHidden(), 'nothing forces UCS-2 yet');
      await shot('04-counter-gsm.png');

      await message.press('Control+End');
      await page.keyboard.insertText(' \u201cSee you soon\u201d');
      await expectText(encoding, /^UCS-2$/, 'curly quotes make it UCS-2');
      const nonGsm = counter.getByTestId('non-gsm');
      await expectText(nonGsm, /UCS-2 because of:/, 'the counter says why');
      const culprits = await nonGsm.textContent();
      assert.ok(culprits.includes('\u201c') && culprits.includes('\u201d'), `both curly quotes are named: ${culprits}`);
      await expectText(characters, /^176\b/, 'the characters');
      await shot('05-counter-ucs2.png');

      const plain = dialog.getByLabel('Use plain quotes and dashes');
      assert.equal(await plain.isChecked(), Boolean(session.smart_encoding), 'the option starts as the store\'s smart-encoding setting');
      if (!(await plain.isChecked())) await plain.check();
      const subs = dialog.getByTestId('substitutions');
      await expectText(subs, /\u201c → "/, 'what plain quotes change');
      await expectText(subs, /\u201d → "/, 'what plain quotes change');
      await expectText(encoding, /^GSM-7$/, 'plain quotes make it GSM-7 again');
      await expectText(segments, /^2 segments$/, 'two GSM-7 segments');
      assert.ok(await nonGsm.isHidden(), 'nothing forces UCS-2 any more');
      await shot('console.png', { fullPage: true });
      await shot('06-plain-quotes.png');
    });

    await t.test('4. Send: an unreachable number gets its sentence, then a receipt; the Audit Log shows it and filters by number', async () => {
      const dialog = page.getByRole('dialog', { name: 'Text Sam Rivera' });
      const to = dialog.getByLabel('To');
      const send = dialog.getByRole('button', { name: 'Send', exact: true });
      await to.fill('+15005550002');
      await send.click();
      await expectText(dialog.getByRole('alert'), /not currently reachable/, 'the unreachable number\'s sentence');
      assert.equal(await to.getAttribute('aria-invalid'), 'true', 'the To field is marked');
      await shot('07-send-unreachable.png');

      await to.fill('+12125550100');
      const [request] = await Promise.all([
        page.waitForRequest((r) => new URL(r.url()).pathname === '/api/send'),
        send.click(),
      ]);
      const sent = JSON.parse(request.postData());
      assert.equal(sent.smart_encoding, true, 'sent with plain quotes, as checked');
      assert.equal(sent.override_quiet_hours, false);
      const sidEl = dialog.getByTestId('receipt-sid');
      await sidEl.waitFor();
      sentSid = (await sidEl.textContent()).trim();
      assert.match(sentSid, SID_RE, 'the receipt shows the Message SID');
      await expectText(dialog.getByTestId('receipt'), /Status/, 'the receipt shows the status');
      assert.equal(await to.getAttribute('aria-invalid'), null, 'the To field is no longer marked');
      await shot('08-sent.png');

      await dialog.getByRole('button', { name: 'Close' }).click();
      await dialog.waitFor({ state: 'hidden' });
      assert.ok(await page.getByRole('button', { name: 'Text Sam Rivera' }).evaluate((el) => el === document.activeElement),
        'focus returns to the Text button');

      await nav('Audit Log').click();
      const view = page.locator('#view-audit');
      const headers = await view.locator('thead th').allTextContents();
      assert.deepEqual(headers, ['Time', 'Action', 'Recipient', 'Length', 'Segments', 'User', 'Message SID', 'Delivery status']);
      await expectText(view.locator('tbody tr'), new RegExp(sentSid), 'the sent text\'s row');
      const rows = await view.locator('tbody tr').allTextContents();
      assert.ok(rows[0].includes(sentSid), `newest first: ${JSON.stringify(rows)}`);
      assert.ok(rows.some((r) => r.includes('+15005550002')), `the refused attempt is in the log too: ${JSON.stringify(rows)}`);
      await shot('09-audit.png');

      await view.getByLabel('Filter by number').fill('(212) 555-0100');
      await view.getByRole('button', { name: 'Apply' }).click();
      await until('only +12125550100 rows', async () => {
        const shown = await view.locator('tbody tr').allTextContents();
        return shown.length > 0 && shown.every((r) => r.includes('+12125550100')) && shown.some((r) => r.includes(sentSid));
      });
      await shot('10-audit-filtered.png');

      await view.getByRole('button', { name: 'Clear' }).click();
      await expectText(view.locator('tbody tr'), /\+15005550002/, 'Clear shows every row again');
      await view.getByRole('button', { name: 'Check with Twilio' }).click();
      await expectText(view.getByTestId('sync-summary'), /\S/, 'Check with Twilio shows its summary');
    });

    await t.test('5. Inbox: Ana Lima\'s unread reply, the conversation, and a reply sent from it', async () => {
      await nav('Inbox').click();
      const threads = page.getByTestId('threads');
      const ana = threads.getByRole('link').filter({ hasText: 'Ana Lima' });
      await expectText(ana, /1 unread/, 'Ana Lima\'s thread has an unread badge');
      assert.equal((await ana.getByTestId('unread').textContent()).trim(), '1 unread');
      await shot('11-inbox.png');

      await ana.click();
      const messages = page.getByTestId('messages');
      await expectText(messages.locator('[data-direction="in"]'), /Is my ring ready/, 'the customer\'s reply');
      await until('the unread badge to go once read', async () => (await ana.getByTestId('unread').count()) === 0);

      const reply = page.getByLabel('Reply', { exact: true });
      await reply.fill('Yes, it is ready. See you today!');
      await page.getByRole('button', { name: 'Send reply' }).click();
      await expectText(messages.locator('[data-direction="out"]'), /Yes, it is ready\. See you today!/, 'the reply in the thread');
      const order = await messages.locator('[data-testid="message"]').allTextContents();
      assert.ok(order.findIndex((m) => m.includes('Is my ring ready')) < order.findIndex((m) => m.includes('See you today!')), 'in time order');
      assert.equal(await reply.inputValue(), '', 'the reply box is emptied');
      await shot('12-inbox-reply.png');
    });

    await t.test('6. Settings: Send Test SMS gives a receipt; Disconnect (confirmed) shows the empty form again', async () => {
      await nav('Settings').click();
      const card = page.getByTestId('twilio-card');
      await card.getByRole('button', { name: 'Send Test SMS' }).waitFor();
      // Drawn from GET /api/twilio this time: nothing missing shows up as "null".
      assert.doesNotMatch(await card.innerText(), /\b(null|undefined)\b/, 'the connected card shows no placeholder');
      await card.getByRole('button', { name: 'Send Test SMS' }).click();
      await card.getByLabel('Your phone').fill('+12125550100');
      await card.getByRole('button', { name: 'Send test', exact: true }).click();
      const sid = card.getByTestId('receipt-sid');
      await sid.waitFor();
      assert.match((await sid.textContent()).trim(), SID_RE, 'the test message\'s SID');
      await shot('13-test-sms.png');

      await card.getByRole('button', { name: 'Disconnect', exact: true }).click();
      const confirm = card.getByRole('button', { name: 'Confirm disconnect' });
      await confirm.waitFor();
      assert.equal(await card.getByLabel('Account SID').count(), 0, 'one click does not disconnect');
      await shot('14-confirm-disconnect.png');
      await confirm.click();
      await card.getByRole('button', { name: 'Connect Twilio' }).waitFor();
      assert.equal(await card.getByLabel('Account SID').inputValue(), '');
      assert.equal(await card.getByLabel('Auth Token').inputValue(), '');
      const state = await page.evaluate(() => fetch('/api/twilio').then((r) => r.json()));
      assert.equal(state.connected, false);
      await shot('15-disconnected.png');
    });

    await t.test('7. Keyboard only: Tab to "Text Ana Lima", Enter, type, Tab to Send, Escape returns focus', async () => {
      await page.goto(`${ORIGIN}/`);
      await page.getByRole('button', { name: 'Text Ana Lima' }).waitFor();
      let reached = null;
      for (let i = 0; i < 40 && !reached; i += 1) {
        await page.keyboard.press('Tab');
        const f = await focused(page);
        if (f && f.ariaLabel === 'Text Ana Lima') reached = f;
      }
      assert.ok(reached, 'Tab reaches the "Text Ana Lima" button');
      assert.ok(reached.outline !== 'none' && reached.outlineWidth > 0, `the focused button shows a focus ring (${reached.outline} ${reached.outlineWidth}px)`);

      await page.keyboard.press('Enter');
      const dialog = page.getByRole('dialog', { name: 'Text Ana Lima' });
      await dialog.waitFor();
      const inMessage = await focused(page);
      assert.equal(inMessage.tag, 'TEXTAREA');
      assert.equal(inMessage.label, 'Message', 'focus is in the Message box');
      await page.keyboard.type('Your ring is ready.');
      await expectText(dialog.getByTestId('characters'), /^19\b/, 'the counter follows the keyboard');

      const stops = [];
      let onSend = false;
      for (let i = 0; i < 10 && !onSend; i += 1) {
        await page.keyboard.press('Tab');
        const f = await focused(page);
        stops.push(f.label || f.ariaLabel || f.text);
        onSend = f.tag === 'BUTTON' && f.text === 'Send';
      }
      assert.ok(onSend, `Tab reaches Send (stops: ${JSON.stringify(stops)})`);
      assert.deepEqual(stops, ['Use plain quotes and dashes', 'Send'], 'from Message, Tab goes to the plain-quotes option, then Send');

      // Twilio is disconnected now: Enter on Send gets the plugin's sentence, focus stays.
      await page.keyboard.press('Enter');
      await expectText(dialog.getByRole('alert'), /\S/, 'sending while disconnected is refused with a sentence');
      const after = await focused(page);
      assert.ok(after.tag === 'BUTTON' && after.text === 'Send', 'focus stays on Send');
      await shot('16-keyboard.png');

      await page.keyboard.press('Escape');
      await dialog.waitFor({ state: 'hidden' });
      const back = await focused(page);
      assert.equal(back.ariaLabel, 'Text Ana Lima', 'Escape closes and focus returns to the button that opened the dialog');
    });

    await t.test('8. Refusals: no token 401, a foreign Host 403, no CSRF 403; the Auth Token is in no answer', async () => {
      const fresh = await browser.newContext({ viewport: { width: 1280, height: 800 } });
      try {
        const p = await fresh.newPage();
        const noToken = await p.goto(`${ORIGIN}/`);
        assert.equal(noToken.status(), 401, 'without the token: 401');
        assert.match(await p.locator('body').innerText(), /host-harness console/, 'the page says to open the URL `host-harness console` printed');
        await p.screenshot({ path: path.join(SHOTS, '17-no-token.png') });
        const api = await fresh.request.get(`${ORIGIN}/api/session`);
        assert.equal(api.status(), 401, 'the API without the token: 401');

        const rebind = new URL(CONSOLE_URL);
        rebind.hostname = 'rebind.test';
        const foreign = await p.goto(rebind.href);
        assert.equal(foreign.status(), 403, `${rebind.origin} (a foreign Host on the same address): 403`);
        await p.screenshot({ path: path.join(SHOTS, '18-foreign-host.png') });
      } finally {
        await fresh.close();
      }

      const noCsrf = await page.evaluate(() => fetch('/api/customers', {
        method: 'POST',
        headers: { 'Content-Type': 'application/json' },
        body: JSON.stringify({ name: 'No Csrf', phone: '+12125550199' }),
      }).then((r) => r.status));
      assert.equal(noCsrf, 403, 'a change without X-CSRF-Token: 403');

      await Promise.all(pendingBodies);
      assert.ok(apiBodies.length > 20, `the page's /api/ answers were collected (${apiBodies.length})`);
      const read = apiBodies.filter((b) => b.body !== null);
      assert.ok(read.length > 20, `the page's /api/ answers were read (${read.length} of ${apiBodies.length})`);
      for (const { url, body } of read) {
        assert.ok(!body.includes(AUTH_TOKEN), `the answer to ${url} contains the Auth Token`);
        assert.ok(!body.includes(WRONG_TOKEN), `the answer to ${url} contains the wrong Auth Token that was tried`);
      }
      const stored = await page.evaluate(() => JSON.stringify({ local: { ...localStorage }, session: { ...sessionStorage }, cookie: document.cookie }));
      assert.ok(!stored.includes(AUTH_TOKEN), 'the Auth Token is not in web storage');
      for (const line of consoleLines) assert.ok(!line.includes(AUTH_TOKEN) && !line.includes(WRONG_TOKEN), 'the Auth Token is not logged');
      const violations = consoleLines.filter((l) => /Content Security Policy|Refused to/i.test(l));
      assert.deepEqual(violations, [], 'the page breaks none of its Content-Security-Policy');
      assert.deepEqual(pageErrors, [], 'no uncaught errors in the page');
    });

    await t.test('9. Timing: the counter per keystroke at 1,600 characters', async () => {
      await page.getByRole('button', { name: 'Text Ana Lima' }).click();
      const dialog = page.getByRole('dialog', { name: 'Text Ana Lima' });
      await dialog.waitFor();
      const message = dialog.getByLabel('Message');
      const characters = dialog.getByTestId('characters');
      const sentence = 'Your custom order has arrived and is ready to collect at the store. ';
      const text1599 = sentence.repeat(Math.ceil(1599 / sentence.length)).slice(0, 1599);
      await message.fill(text1599);
      await expectText(characters, /^1,?599\b/, 'the counter at 1,599 characters');

      // Instrument the page: from the input event (its timeStamp) to the DOM showing that count.
      await page.evaluate(() => {
        const box = document.querySelector('dialog[open] textarea');
        const out = document.querySelector('dialog[open] [data-testid="characters"]');
        const kt = { samples: [], pending: null };
        window.__keystrokes = kt;
        box.addEventListener('input', (event) => {
          kt.pending = { t0: event.timeStamp, want: [...box.value].length };
        });
        new MutationObserver(() => {
          const p = kt.pending;
          if (p && parseInt(out.textContent.replace(/,/g, ''), 10) === p.want) {
            kt.samples.push(performance.now() - p.t0);
            kt.pending = null;
          }
        }).observe(out, { childList: true, characterData: true, subtree: true });
      });
      // 20 keystrokes at 1,599-1,600 characters: a letter, then Backspace, ten times.
      for (let i = 0; i < 20; i += 1) {
        await page.keyboard.press(i % 2 === 0 ? 'x' : 'Backspace');
        await page.waitForFunction((n) => window.__keystrokes.samples.length >= n, i + 1, { timeout: WAIT });
      }
      const samples = await page.evaluate(() => window.__keystrokes.samples);
      assert.equal(samples.length, 20);
      const sorted = [...samples].sort((a, b) => a - b);
      const median = (sorted[9] + sorted[10]) / 2;
      const p95 = sorted[Math.ceil(0.95 * sorted.length) - 1];
      const line = `counter: median ${median.toFixed(1)} ms, p95 ${p95.toFixed(1)} ms per keystroke at 1,600 characters`;
      console.log(line);
      fs.writeFileSync(path.join(SHOTS, 'keystroke.txt'), `${line}\n`);
      await shot('19-timing.png');
      await page.keyboard.press('Escape');
      await dialog.waitFor({ state: 'hidden' });
    });
  } finally {
    await browser.close();
  }
});
