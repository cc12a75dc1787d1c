// Compares `host-harness segments` with Twilio's calculator, text by text.
//
//   node bench/compare.mjs CORPUS.jsonl OURS.jsonl CALCULATOR.jsonl
//
// A text may count differently only through the one documented difference: the calculator
// splits graphemes by Unicode 10 rules, host-harness by today's. For each text whose segments,
// encoding or characters differ, this reruns the calculator's own packing (the same pinned
// 1.3.0 code) on the text cut into today's graphemes (node's Intl.Segmenter, `\r\n` as two
// units, as the calculator does); the difference is "explained" when that gives exactly our
// figures. Anything else is a counting bug: the exit code is then 1.
import { readFileSync } from 'node:fs';
import { SegmentedMessage } from 'sms-segments-calculator';

const [corpusFile, oursFile, calcFile] = process.argv.slice(2);
if (!calcFile) {
  console.error('usage: node compare.mjs CORPUS.jsonl OURS.jsonl CALCULATOR.jsonl');
  process.exit(2);
}
const lines = (file) => readFileSync(file, 'utf8').split('\n').filter((l) => l !== '').map((l) => JSON.parse(l));
const corpus = lines(corpusFile);
const ours = lines(oursFile);
const calc = lines(calcFile);
if (ours.length !== corpus.length || calc.length !== corpus.length) {
  console.error(`FAIL: ${corpus.length} texts, but ${ours.length} lines from host-harness and ${calc.length} from the calculator`);
  process.exit(1);
}

const segmenter = new Intl.Segmenter('en', { granularity: 'grapheme' });
// The calculator's figures with today's grapheme clusters instead of Unicode 10's.
function todaysRules(text) {
  const m = new SegmentedMessage(text, 'auto', false);
  const units = [];
  for (const { segment } of segmenter.segment(text)) {
    if (segment === '\r\n') units.push('\r', '\n');
    else units.push(segment);
  }
  const encoding = m._hasAnyUCSCharacters(units) ? 'UCS-2' : 'GSM-7';
  m.encodingName = encoding;
  const chars = m._encodeChars(units);
  const characters = encoding === 'UCS-2' ? units.length : m._countCodeUnits(chars);
  return { segments: m._buildSegments(chars).length, characters, encoding };
}

const same = (a, b) => a.segments === b.segments && a.characters === b.characters && a.encoding === b.encoding;
let oursTotal = 0;
let calcTotal = 0;
let segmentsDiffer = 0;
let charactersDiffer = 0;
let explainedSegmentDelta = 0;
const unexplained = [];
for (let i = 0; i < corpus.length; i++) {
  const o = { segments: ours[i].segments, characters: ours[i].characters, encoding: ours[i].encoding };
  const c = calc[i];
  oursTotal += o.segments;
  calcTotal += c.segments;
  if (same(o, c)) continue;
  if (o.segments !== c.segments) segmentsDiffer++;
  if (o.characters !== c.characters) charactersDiffer++;
  const t = todaysRules(corpus[i]);
  if (same(o, t)) {
    explainedSegmentDelta += o.segments - c.segments;
  } else {
    unexplained.push({ line: i + 1, ours: o, calculator: c, calculator_with_todays_graphemes: t });
  }
}

console.log(`segments in total: host-harness ${oursTotal}, calculator ${calcTotal} (${corpus.length} texts)`);
const differ = segmentsDiffer + charactersDiffer > 0;
console.log(`texts that differ: ${segmentsDiffer} in segments, ${charactersDiffer} in characters` +
  (differ ? `; unexplained by the Unicode 10 grapheme rules: ${unexplained.length}` : ''));
if (unexplained.length > 0 || oursTotal !== calcTotal + explainedSegmentDelta) {
  console.error(`FAIL: ${unexplained.length} texts count differently for no known reason; the first ones:`);
  for (const u of unexplained.slice(0, 5)) console.error(JSON.stringify(u));
  process.exit(1);
}
