// Twilio's own segment calculator (`sms-segments-calculator` 1.3.0, from npm) over JSON lines:
// reads one JSON string a line on stdin, writes one JSON line each on stdout, like
// `host-harness segments` does:
//   {"segments": N, "characters": N, "encoding": "GSM-7" | "UCS-2"}
//
//   node bench/calculator.mjs < corpus.jsonl > counts.jsonl
import { readFileSync } from 'node:fs';
import { SegmentedMessage } from 'sms-segments-calculator';

const input = readFileSync(0, 'utf8');
const out = [];
for (const line of input.split('\n')) {
  if (line === '') continue;
  const m = new SegmentedMessage(JSON.parse(line), 'auto', false);
  out.push(JSON.stringify({
    segments: m.segmentsCount,
    characters: m.numberOfCharacters,
    encoding: m.getEncodingName(),
  }));
}
process.stdout.write(out.join('\n') + '\n');
