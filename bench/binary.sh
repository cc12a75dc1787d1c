# Sourced by the bench scripts: sets `bin` to the host-harness binary (HOST_HARNESS, else
# target/release/host-harness) as an absolute path, and cds to the repository root. A relative
# HOST_HARNESS is taken from where the script was started.
bin=${HOST_HARNESS:-target/release/host-harness}
if [[ -n ${HOST_HARNESS:-} && $bin != /* ]]; then bin=$PWD/$bin; fi
cd "$(dirname "${BASH_SOURCE[0]}")/.."
[[ $bin == /* ]] || bin=$PWD/$bin
if [[ ! -x $bin ]]; then
  echo "$(basename "$0"): no host-harness binary at $bin" >&2
  echo "  build it with: cargo build --release -p host-harness   (or set HOST_HARNESS=path/to/host-harness)" >&2
  exit 1
fi
