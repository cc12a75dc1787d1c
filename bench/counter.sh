#!/usr/bin/env bash
# The counter against Twilio's own calculator, in one run: the whole `host-harness segments`
# process and `sms-segments-calculator` 1.3.0 under node, over the same generated corpus
# (target/bench-corpus.jsonl), best of RUNS wall-clock runs each; then a text-by-text check
# that both count the same (see compare.mjs).
#
#   bench/counter.sh                  # uses target/release/host-harness
#   HOST_HARNESS=target/debug/host-harness RUNS=1 bench/counter.sh
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
source "$here/binary.sh"
runs=${RUNS:-3}
count=${COUNT:-9125}
command -v node >/dev/null || { echo "counter.sh: node (20 or later) is needed for Twilio's calculator" >&2; exit 1; }
if [[ ! -d bench/node_modules/sms-segments-calculator ]]; then
  npm ci --prefix bench --no-audit --no-fund >&2
fi

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

corpus=target/bench-corpus.jsonl
mkdir -p target
node bench/corpus.mjs "$corpus" "$count"

ours() { "$bin" --data-dir "$tmp/data" segments; }
calculator() { node bench/calculator.mjs; }

# best_of NAME OUT COMMAND: runs COMMAND < corpus > OUT `runs` times; sets best (nanoseconds).
best_of() {
  local name=$1 out=$2 cmd=$3 r t0 t1 ns times=()
  best=
  for ((r = 1; r <= runs; r++)); do
    t0=$(date +%s%N)
    "$cmd" <"$corpus" >"$out"
    t1=$(date +%s%N)
    ns=$((t1 - t0))
    times+=("$(awk -v n="$ns" 'BEGIN { printf "%.3f", n / 1e9 }')")
    if [[ -z $best || $ns -lt $best ]]; then best=$ns; fi
  done
  echo "$name: ${times[*]} s" >&2
}

echo "host-harness: $bin" >&2
echo "node $(node --version), sms-segments-calculator $(node -p "require('./bench/node_modules/sms-segments-calculator/package.json').version")" >&2
# One untimed run first: it compiles the plugin into the data directory's cache, as any
# installed host-harness has done long before.
ours <"$corpus" >/dev/null
echo "wall clock of the whole process, $runs runs each (the best counts):" >&2
best_of "host-harness segments" "$tmp/ours.jsonl" ours
ours_ns=$best
best_of "calculator" "$tmp/calculator.jsonl" calculator
calc_ns=$best

echo
node bench/compare.mjs "$corpus" "$tmp/ours.jsonl" "$tmp/calculator.jsonl" || {
  echo "FAIL: host-harness and the calculator disagree (see above)" >&2
  exit 1
}
echo
texts=$(wc -l <"$corpus")
awk -v texts="$texts" -v ours="$ours_ns" -v calc="$calc_ns" 'BEGIN {
  fmt = "%-40s %9s %11s %9s\n"
  printf fmt, "tool", "seconds", "texts/s", "ratio"
  printf "%-40s %9.3f %11.0f %9s\n", "host-harness segments", ours / 1e9, texts / (ours / 1e9), "1.0x"
  printf "%-40s %9.3f %11.0f %9s\n", "sms-segments-calculator 1.3.0 (node)", calc / 1e9, texts / (calc / 1e9), sprintf("%.1fx", calc / ours)
  printf "\ncalculator/ours: %.1fx\n", calc / ours
}'
