#!/usr/bin/env bash
# The same calls through both hosts, in one run: segment-count on a warm instance and a whole
# send to the fake Twilio, through the Rust host (criterion, `cargo bench -p pos-sms-host`)
# and through the Node reference host (`host-harness/node/bench.mjs`). Prints calls per
# second side by side.
#
#   bench/hosts.sh            (builds what it needs in release; BENCH_SECONDS=2 per Node figure)
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

cargo build --release -p host-harness >/dev/null
wasm=$(ls -t target/release/build/sms-plugin-artifact-*/out/sms_plugin.wasm | head -1)
[ -f "$wasm" ] || { echo "no release component under target/release/build" >&2; exit 1; }
[ -d host-harness/node/node_modules ] || npm ci --prefix host-harness/node --no-audit --no-fund

sid=AC0123456789abcdef0123456789abcdef
token=0123456789abcdef0123456789abcdef
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
work=$(mktemp -d)
TWILIO_AUTH_TOKEN=$token target/release/host-harness fake-twilio --port "$port" --account-sid "$sid" \
    >"$work/fake.log" 2>&1 &
fake=$!
trap 'kill $fake 2>/dev/null; rm -rf "$work"' EXIT
for _ in $(seq 50); do grep -q "listening" "$work/fake.log" 2>/dev/null && break; sleep 0.1; done

echo "Node host (warm instance; a send is one call)…" >&2
cp "$wasm" "$work/plugin.wasm"
cp plugin/component/manifest.json "$work/plugin.manifest.json"
(cd host-harness/node && PLUGIN_WASM="$work/plugin.wasm" TWILIO_URL="http://127.0.0.1:$port" \
    TWILIO_ACCOUNT_SID=$sid TWILIO_AUTH_TOKEN=$token node bench.mjs) >"$work/node.jsonl"

echo "Rust host (criterion; a send is a fresh instance and the whole call)…" >&2
cargo bench -p pos-sms-host --bench component -- --warm-up-time 1 --measurement-time 3 \
    'component/segment_count/plain/(repair_ready_gsm|gsm_160|reminder_ucs2|long_gsm_1600)$|^send/plugin$' \
    2>/dev/null >"$work/rust.txt"

python3 - "$work/rust.txt" "$work/node.jsonl" <<'EOF'
import json, re, sys

units = {"ns": 1e-9, "µs": 1e-6, "us": 1e-6, "ms": 1e-3, "s": 1.0}
rust, name = {}, None
for line in open(sys.argv[1], encoding="utf-8"):
    if re.match(r"^(component/|send/)", line):
        name = line.split()[0]
    m = re.search(r"time:\s+\[\S+ \S+ (\S+) (\S+)", line)
    if m and name:
        rust[name] = 1 / (float(m.group(1)) * units[m.group(2)])
        name = None
node = {}
for line in open(sys.argv[2], encoding="utf-8"):
    row = json.loads(line)
    node[(row.get("call"), row.get("sample"), row.get("store"))] = row["calls_per_second"]

def node_rate(call, sample=None):
    for (c, s, store), rate in node.items():
        if c == call and (sample is None or s == sample) and store in (None, "sqlite-file"):
            return rate
    return None

rows = [(f"segment-count, {s}", rust.get(f"component/segment_count/plain/{s}"),
         node_rate("segment-count", s))
        for s in ["repair_ready_gsm", "gsm_160", "reminder_ucs2", "long_gsm_1600"]]
rows.append(("send to the fake (store on disk)", rust.get("send/plugin"), node_rate("send")))
print(f"{'call':<36}{'Rust host /s':>14}{'Node host /s':>14}{'Rust/Node':>11}")
for what, r, n in rows:
    ratio = f"{r / n:.1f}x" if r and n else "-"
    fmt = lambda v: f"{v:,.0f}" if v else "-"
    print(f"{what:<36}{fmt(r):>14}{fmt(n):>14}{ratio:>11}")
EOF
