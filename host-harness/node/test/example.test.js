// The README's example runs as a Node developer would run it, against the fake.

import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

import { MANIFEST, PLUGIN_WASM, SID } from './support/world.js';

test('example.mjs loads, connects, counts, sends and receives the delivery callbacks', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'pos-sms-example-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const example = fileURLToPath(new URL('../example.mjs', import.meta.url));
  const { stdout } = await promisify(execFile)(process.execPath, [example], {
    env: {
      ...process.env,
      PLUGIN_WASM,
      PLUGIN_MANIFEST: MANIFEST,
      SMS_DB: join(dir, 'sms-host.db'),
      HOST_HARNESS_NOW: '2026-12-01T17:00:00Z',
    },
    timeout: 30_000,
  });
  const lines = stdout.trim().split('\n');
  assert.equal(lines.length, 4, stdout);
  assert.equal(lines[0], `connected to JewelTrak Demo Store (AC…${SID.slice(-4)}), texts from +15005550006`);
  assert.equal(lines[1], '52 characters, 1 segment(s) in gsm7, 8000 micro-dollars');
  assert.match(lines[2], /^sent SM[0-9a-f]{32} to \+12125550100: queued$/);
  assert.equal(lines[3], 'audit: send to +12125550100 by dana: queued, delivery delivered');
});
