// The live counter through the component: GSM-7 and its extension characters, UCS-2 with
// emoji, smart encoding, the price, and the phone number check (tests/e2e/library.rs).

import assert from 'node:assert/strict';
import { test } from 'node:test';

import { pluginError, world } from './support/world.js';

/** The counter's numbers without the echoed text. */
const numbers = (/** @type {any} */ info) => {
  const { text, ...rest } = info;
  return rest;
};

test('GSM-7: 160 septets in one segment, 153 per segment after', async (t) => {
  const { plugin } = await world(t);
  assert.deepEqual(numbers(plugin.segmentCount('a'.repeat(160))), {
    encoding: 'gsm7', segments: 1, characters: 160, unicodeScalars: 160, nonGsm: [],
    remainingInSegment: 0, costMicros: 8000n,
  });
  assert.deepEqual(numbers(plugin.segmentCount('a'.repeat(161))), {
    encoding: 'gsm7', segments: 2, characters: 161, unicodeScalars: 161, nonGsm: [],
    remainingInSegment: 145, costMicros: 16000n,
  });
  // An empty message is still one segment.
  assert.deepEqual(numbers(plugin.segmentCount('')), {
    encoding: 'gsm7', segments: 1, characters: 0, unicodeScalars: 0, nonGsm: [],
    remainingInSegment: 160, costMicros: 8000n,
  });
});

test('an extension character counts two septets and is never split', async (t) => {
  const { plugin } = await world(t);
  assert.deepEqual(numbers(plugin.segmentCount('Price: 5€')), {
    encoding: 'gsm7', segments: 1, characters: 10, unicodeScalars: 9, nonGsm: [],
    remainingInSegment: 150, costMicros: 8000n,
  });
  // 153 € are 306 septets: 76 + 76 + 1 per segment (an escape pair stays whole), at the
  // store's price of $0.0079.
  assert.deepEqual(numbers(plugin.segmentCount('€'.repeat(153), { pricePerSegmentMicros: 7900 })), {
    encoding: 'gsm7', segments: 3, characters: 306, unicodeScalars: 153, nonGsm: [],
    remainingInSegment: 151, costMicros: 23700n,
  });
});

test('UCS-2: 70 code units in one segment, 67 after; an emoji is two and never split', async (t) => {
  const { plugin } = await world(t);
  assert.deepEqual(numbers(plugin.segmentCount('Hi 😀')), {
    encoding: 'ucs2', segments: 1, characters: 4, unicodeScalars: 4, nonGsm: ['😀'],
    remainingInSegment: 65, costMicros: 8000n,
  });
  const polish = (n) => numbers(plugin.segmentCount('ą'.repeat(n)));
  assert.deepEqual({ ...polish(70), nonGsm: polish(70).nonGsm.length }, {
    encoding: 'ucs2', segments: 1, characters: 70, unicodeScalars: 70, nonGsm: 70,
    remainingInSegment: 0, costMicros: 8000n,
  });
  assert.deepEqual({ ...polish(71), nonGsm: polish(71).nonGsm.length }, {
    encoding: 'ucs2', segments: 2, characters: 71, unicodeScalars: 71, nonGsm: 71,
    remainingInSegment: 63, costMicros: 16000n,
  });
  // 35 emoji fill one segment exactly; 36 need two: 33 in the first (66 of its 67 units),
  // 3 in the second.
  const emoji = (n) => {
    const info = numbers(plugin.segmentCount('😀'.repeat(n)));
    return [info.segments, info.characters, info.remainingInSegment, info.nonGsm.length];
  };
  assert.deepEqual(emoji(35), [1, 35, 0, 35]);
  assert.deepEqual(emoji(36), [2, 36, 61, 36]);
});

test('smart encoding replaces look-alikes and keeps the text GSM-7', async (t) => {
  const { plugin } = await world(t);
  const body = 'We’re open “late” — see you';
  const plain = plugin.segmentCount(body);
  assert.deepEqual([plain.encoding, plain.nonGsm, plain.remainingInSegment], ['ucs2', ['’', '“', '”', '—'], 43]);
  const smart = plugin.segmentCount(body, { smartEncoding: true });
  assert.deepEqual(
    [smart.encoding, smart.segments, smart.characters, smart.remainingInSegment, smart.text],
    ['gsm7', 1, 27, 133, 'We\'re open "late" - see you'],
  );
  assert.deepEqual(plugin.smartSubstitutions(body), [
    { original: '’', replacement: "'", count: 1 },
    { original: '“', replacement: '"', count: 1 },
    { original: '”', replacement: '"', count: 1 },
    { original: '—', replacement: '-', count: 1 },
  ]);
});

test('phone numbers: E.164, or the reason they cannot be texted', async (t) => {
  const { plugin } = await world(t);
  assert.equal(plugin.normalizePhone('(555) 123-4567'), '+15551234567');
  const e = pluginError(() => plugin.normalizePhone('555-123-456'));
  assert.equal(e.kind, 'invalid-phone');
  assert.equal(
    e.message,
    "That phone number can't be texted: US numbers have 10 digits; this has 9. International " +
      'numbers need the leading + and country code (+44 20 7946 0958).',
  );
});
