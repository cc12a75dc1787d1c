#!/usr/bin/env bash
# Batch sends against Twilio's own Python client, in one run, all to one fake Twilio on
# 127.0.0.1 (started here, stopped on exit): N messages (default 1,000) sent serially by
# twilio-python in one process, then the same N by `host-harness send` at --parallel 1, 8 and
# 64, each into a fresh data directory; ROUNDS (default 5) such rounds, one after another, and
# the table gives each client's median round. Every host-harness run is checked: N results,
# each with a distinct SID, N audit rows with none left pending, and N new Messages at the fake.
#
#   bench/sends.sh                    # uses target/release/host-harness
#   HOST_HARNESS=target/debug/host-harness N=200 ROUNDS=1 bench/sends.sh
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
source "$here/binary.sh"
n=${N:-1000}
parallels=${PARALLEL:-1 8 64}
rounds=${ROUNDS:-5}

# The fake's credentials, and only those: whatever Twilio settings the caller has are not used.
sid=AC0123456789abcdef0123456789abcdef
from=+15005550006
export TWILIO_AUTH_TOKEN=0123456789abcdef0123456789abcdef
unset TWILIO_API_URL TWILIO_ACCOUNT_SID TWILIO_API_KEY_SECRET TWILIO_REGION TWILIO_EDGE
# Noon in New York: inside every US store's sending hours.
export HOST_HARNESS_NOW=2026-12-01T17:00:00Z

venv=target/bench-venv
py=$venv/bin/python
if [[ ! -x $py ]]; then
  python3 -m venv "$venv"
fi
if ! "$py" -c 'import twilio' 2>/dev/null; then
  "$py" -m pip install --quiet --disable-pip-version-check 'twilio==9.13.*' ||
    "$py" -m pip install --quiet --disable-pip-version-check 'twilio>=9,<10'
fi

tmp=$(mktemp -d)
fake_pid=
cleanup() {
  if [[ -n $fake_pid ]]; then
    kill "$fake_pid" 2>/dev/null || true
    wait "$fake_pid" 2>/dev/null || true
  fi
  rm -rf "$tmp"
}
trap cleanup EXIT

"$bin" fake-twilio --port 0 --account-sid "$sid" >"$tmp/fake.out" 2>&1 &
fake_pid=$!
url=
for _ in $(seq 600); do
  url=$(grep -o 'http://127\.0\.0\.1:[0-9]*' "$tmp/fake.out" | head -n 1 || true)
  [[ -n $url ]] && break
  kill -0 "$fake_pid" 2>/dev/null || { cat "$tmp/fake.out" >&2; echo "FAIL: the fake Twilio did not start" >&2; exit 1; }
  sleep 0.1
done
[[ -n $url ]] || { echo "FAIL: the fake Twilio printed no URL in 60 s" >&2; exit 1; }
echo "fake Twilio: $url (pid $fake_pid); host-harness: $bin; $n messages" >&2

"$py" bench/twilio_python.py batch "$n" >"$tmp/batch.jsonl"

# Messages the fake holds now (through twilio-python's paging, limited to the fake).
listed() {
  "$py" - "$url" "$sid" <<'EOF'
import sys
from twilio.rest import Client
client = Client(sys.argv[2], __import__("os").environ["TWILIO_AUTH_TOKEN"], environment={})
client.api.base_url = sys.argv[1]
print(len(client.messages.list(page_size=1000)))
EOF
}

rows=()
for round in $(seq "$rounds"); do
  echo "round $round of $rounds: twilio-python, serial ..." >&2
  "$py" bench/twilio_python.py send "$url" "$sid" "$from" <"$tmp/batch.jsonl" >"$tmp/python.out"
  py_version=$(sed -n 's/^version=//p' "$tmp/python.out")
  py_seconds=$(sed -n 's/^loop_seconds=//p' "$tmp/python.out")
  py_startup=$(sed -n 's/^startup_seconds=//p' "$tmp/python.out")
  echo "twilio-python $py_version: $n sent and listed by the fake, send loop $py_seconds s (+ $py_startup s to import it and make the Client, not counted)" >&2
  rows+=("python 1 $py_seconds")

  for p in $parallels; do
    data=$tmp/data-$round-$p
    "$bin" --data-dir "$data" --twilio-url "$url" connect --account-sid "$sid" --from "$from" >/dev/null
    before=$(listed)
    echo "host-harness send --parallel $p ..." >&2
    rc=0
    t0=$(date +%s%N)
    "$bin" --data-dir "$data" --twilio-url "$url" send --parallel "$p" <"$tmp/batch.jsonl" >"$tmp/out-$p.jsonl" 2>"$tmp/err-$p" || rc=$?
    t1=$(date +%s%N)
    after=$(listed)
    "$bin" --data-dir "$data" --json audit --limit $((2 * n + 10)) >"$tmp/audit-$p.jsonl"
    # The checks: every result line, the audit log and the fake agree on exactly N sends.
    if ! "$py" - "$n" "$rc" "$tmp/out-$p.jsonl" "$tmp/audit-$p.jsonl" "$((after - before))" <<'EOF' >&2; then
import json, sys
n, rc, out, audit, listed = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3], sys.argv[4], int(sys.argv[5])
results = [json.loads(l) for l in open(out) if l.strip()]
rows = [json.loads(l) for l in open(audit) if l.strip()]
problems = []
if rc != 0:
    problems.append(f"exit code {rc}")
if len(results) != n:
    problems.append(f"{len(results)} result lines")
if [r.get("line") for r in results] != list(range(1, len(results) + 1)):
    problems.append("results not in input order")
errors = [r for r in results if "sid" not in r]
if errors:
    problems.append(f"{len(errors)} results without a sid, e.g. {json.dumps(errors[0])}")
sids = {r["sid"] for r in results if "sid" in r}
if len(sids) != n:
    problems.append(f"{len(sids)} distinct SIDs")
if len(rows) != n:
    problems.append(f"{len(rows)} audit rows")
pending = [r for r in rows if r.get("status") == "pending"]
if pending:
    problems.append(f"{len(pending)} audit rows still pending")
if {r.get("message_sid") for r in rows} != sids:
    problems.append("the audit log's SIDs are not the results' SIDs")
if listed != n:
    problems.append(f"the fake got {listed} new Messages")
if problems:
    print("FAIL: " + "; ".join(problems))
    sys.exit(1)
statuses = sorted({r.get("status") for r in rows})
print(f"  ok: {n} results, {len(sids)} distinct SIDs, {len(rows)} audit rows ({', '.join(statuses)}), {listed} new at the fake")
EOF
      echo "FAIL: host-harness send --parallel $p (stderr follows)" >&2
      head -n 20 "$tmp/err-$p" >&2
      exit 1
    fi
    rows+=("host $p $(awk -v ns="$((t1 - t0))" 'BEGIN { printf "%.6f", ns / 1e9 }')")
  done
done

echo
printf '%s\n' "${rows[@]}" | "$py" -c '
import statistics, sys
n, version, rounds = int(sys.argv[1]), sys.argv[2], int(sys.argv[3])
runs = {}
for line in sys.stdin:
    who, parallel, seconds = line.split()
    runs.setdefault((who, parallel), []).append(float(seconds))
base = n / statistics.median(runs[("python", "1")])
print(f"{n} messages, median of {rounds} rounds (the slowest and the fastest round in brackets)")
print("%-22s %8s %9s %12s %13s %7s" % ("client", "parallel", "seconds", "messages/s", "range", "ratio"))
for (who, parallel), times in runs.items():
    name = f"twilio-python {version}" if who == "python" else "host-harness send"
    rate = n / statistics.median(times)
    spread = f"[{n / max(times):.0f}-{n / min(times):.0f}]"
    print(f"{name:<22} {parallel:>8} {statistics.median(times):>9.3f} {rate:>12.0f} {spread:>13} {rate / base:>6.1f}x")
' "$n" "$py_version" "$rounds"
echo
echo "twilio-python: its send loop alone (not the interpreter's start or the import);"
echo "host-harness: the whole send process (start, plugin from the cache, database, every send)."
