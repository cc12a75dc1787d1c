// Writes the counter benchmark's corpus: deterministic (fixed seed, no dependencies), one JSON
// string a line, the input both `host-harness segments` and calculator.mjs read.
//
//   node bench/corpus.mjs OUT.jsonl [COUNT]
//
// Mostly GSM-7 store texts (pickup, repair, payment, appointment notices) of lengths from a few
// characters to 1,600, with GSM extension characters (€ [ ] { } ~ ^ | \) and CRLF line breaks;
// about one in eight is UCS-2 (emoji, curly quotes, long dashes, accents outside GSM-7), and a
// few of those carry post-2017 emoji sequences, where Unicode 10 (the calculator's) and today's
// grapheme rules disagree.
import { writeFileSync } from 'node:fs';

const out = process.argv[2];
const count = Number(process.argv[3] ?? 9125);
if (!out || !Number.isInteger(count) || count < 1) {
  console.error('usage: node corpus.mjs OUT.jsonl [COUNT]');
  process.exit(2);
}

// mulberry32: small, fast and the same on every node.
let seed = 0x5e6d14;
function random() {
  seed = (seed + 0x6d2b79f5) | 0;
  let t = seed;
  t = Math.imul(t ^ (t >>> 15), t | 1);
  t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
  return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
}
const pick = (list) => list[Math.floor(random() * list.length)];
const int = (lo, hi) => lo + Math.floor(random() * (hi - lo + 1));

const names = ['Maria', 'James', 'Priya', 'Chen', 'Olivia', 'Noah', 'Zoe', 'Søren', 'Ana', 'Liam',
  'Fatima', 'Mateo', 'Ingrid', 'Kwame', 'Hana', 'Émile', 'Björn', 'Lucía', 'Dmitri', 'Grace'];
const items = ['engagement ring', 'watch battery', 'pearl necklace', 'gold chain', 'bracelet',
  'wedding band', 'pendant', 'earrings', 'signet ring', 'brooch', 'anklet', 'cufflinks'];
const stores = ['JewelTrak Demo Store', 'Main Street Jewelers', 'Harbor Gold & Silver',
  'The Watch Doctor', 'Diamond District Co.'];
const money = () => `$${int(5, 4800)}.${String(int(0, 99)).padStart(2, '0')}`;
const euros = () => `€${int(5, 900)}`;
const order = () => `#${int(1000, 99999)}`;
const time = () => `${int(1, 12)}:${pick(['00', '15', '30', '45'])} ${pick(['am', 'pm'])}`;
const day = () => pick(['Monday', 'Tuesday', 'Wednesday', 'Thursday', 'Friday', 'Saturday']);

const sentences = [
  () => `Hi ${pick(names)}, your ${pick(items)} is ready for pickup at ${pick(stores)}.`,
  () => `Your repair ${order()} is done. Total due: ${money()}.`,
  () => `Reminder: your appointment is on ${day()} at ${time()}.`,
  () => `Pay securely here: https://pay.example.com/l/${int(100000, 999999)} (amount ${money()}).`,
  () => `We open at 10 am and close at ${int(5, 8)} pm, ${day()} to Saturday.`,
  () => `Your custom order ${order()} has arrived! Come by any time.`,
  () => `Questions? Reply to this text or call us at (212) 555-${int(1000, 9999)}.`,
  () => `Ring size ${int(4, 12)} confirmed; engraving: "${pick(names)} & ${pick(names)}".`,
  () => `Deposit of ${euros()} received [ref ${order()}], thank you.`,
  () => `Estimate {stone: ${int(1, 3)}.${int(0, 9)} ct, clarity VS${int(1, 2)}} ready to review.`,
  () => `Polish ~${int(1, 3)} days | resizing ^ ${int(1, 2)} weeks | appraisal \\ same day.`,
  () => `Reply STOP to opt out. Msg & data rates may apply.`,
  () => `Ihr Auftrag ist fertig; Grüße aus dem Laden, ${pick(names)}.`,
  () => `Café hours: ¡Hola! Señor ${pick(names)}, à bientot. Ñandu ØÅÆ ß @ £${int(1, 99)} ¥${int(1, 999)}.`,
  () => `Thanks for visiting ${pick(stores)} today.`,
  () => `Your watch needs a new crystal; parts ${money()}, labour ${money()}.`,
  () => `Holiday sale: ${int(10, 40)}% off all ${pick(items)}s until ${day()}!`,
];

// Characters that push a text to UCS-2: emoji from Unicode 10 or earlier (one grapheme under
// both rule sets), punctuation a phone's keyboard inserts, accents GSM-7 lacks.
const ucs2 = ['😀', '💍', '✨', '❤️', '👍🏽', '🎉', '⌚', '👨‍👩‍👧', '🇺🇸', '’', '“', '”', '—', '…', 'á',
  'í', 'ó', 'ú', 'ç', 'ê', 'ã', '中', 'ş', '\t'];
// Post-Unicode-10 sequences: one grapheme today, two or more for the calculator's splitter.
const modern = ['🧑‍🤝‍🧑', '🫶🏽', '❤️‍🔥', '🏴‍☠️', 'क्ष'];

function length() {
  const r = random();
  if (r < 0.48) return int(10, 160);
  if (r < 0.78) return int(161, 480);
  if (r < 0.94) return int(481, 1000);
  return int(1001, 1600);
}

function insert(text, piece) {
  const at = Math.floor(random() * (text.length + 1));
  // Never inside a surrogate pair.
  const code = text.charCodeAt(at - 1);
  const pos = code >= 0xd800 && code <= 0xdbff ? at + 1 : at;
  return text.slice(0, pos) + piece + text.slice(pos);
}

function text() {
  const target = length();
  let t = '';
  while ([...t].length < target) {
    if (t) t += random() < 0.12 ? (random() < 0.5 ? '\r\n' : '\n') : ' ';
    t += pick(sentences)();
  }
  t = [...t].slice(0, target).join('');
  const r = random();
  if (r < 0.12) {
    for (let i = int(1, 4); i > 0; i--) t = insert(t, pick(ucs2));
  }
  if (r < 0.006) t = insert(t, pick(modern));
  // At most 1,600 code points, Twilio's limit, cut between code points.
  return [...t].slice(0, 1600).join('');
}

const lines = [];
let chars = 0;
let bytes = 0;
for (let i = 0; i < count; i++) {
  const t = text();
  chars += [...t].length;
  bytes += Buffer.byteLength(t);
  lines.push(JSON.stringify(t));
}
writeFileSync(out, lines.join('\n') + '\n');
console.log(`corpus: ${count} texts, ${chars} characters, ${(bytes / 1e6).toFixed(2)} MB of text -> ${out}`);
