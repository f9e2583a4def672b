#!/usr/bin/env bash
# Adapter for the peer benchmark harness (run-peers.sh, BENCH_TOOL_CMD; docs/PERFORMANCE.md): maps its
#   init <repo> | backup <repo> <src> | restore <repo> <dst> | check <repo>
# onto the cairn CLI. Keys live next to the repository (<repo>.keys/).
# Usage: BENCH_TOOL_CMD="$PWD/scripts/bench-tool.sh" BENCH_TOOL_NAME=cairn ../shared/bench/run-peers.sh
set -euo pipefail
here="$(cd "$(dirname "$0")/.." && pwd)"
cairn() { node "$here/bin/cairn.js" "$@"; }
# The container image's allocator settings (Dockerfile, docs/PERFORMANCE.md), so the
# benchmark measures cairn as deployed; set CAIRN_BENCH_PLAIN_MALLOC=1 to measure without.
if [ -z "${CAIRN_BENCH_PLAIN_MALLOC:-}" ]; then
  export MALLOC_ARENA_MAX="${MALLOC_ARENA_MAX:-1}" MALLOC_MMAP_THRESHOLD_="${MALLOC_MMAP_THRESHOLD_:-33554432}" \
    MALLOC_TRIM_THRESHOLD_="${MALLOC_TRIM_THRESHOLD_:-1073741824}" MALLOC_TOP_PAD_="${MALLOC_TOP_PAD_:-67108864}"
fi
op="$1"; repo="$2"; keys="$repo.keys"
export CAIRN_REPO="$repo" CAIRN_AGENT_KEY_FILE="$keys/agent.key" CAIRN_IDENTITY_FILE="$keys/id.txt" CAIRN_CACHE_DIR="$keys/cache"
case "$op" in
  init)
    rm -rf "$keys"; mkdir -p "$keys"
    recipient="$(cairn key generate --output "$keys/id.txt")"
    cairn init --recipient "$recipient" ;;
  backup) cairn backup "$3" ;;
  restore) cairn restore latest --target "$3" ;;
  check) cairn check --read-data ;;
  *) echo "unknown op $op" >&2; exit 2 ;;
esac
