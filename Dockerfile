# cairn container image: the agent as a sidecar (docs/CONTAINER.md). The runtime
# holds Node, the bundled CLI (dist/bundle, scripts/bundle.mjs) and the one
# native addon the bundle leaves out (zstd-napi): no npm, no compiler, no
# node_modules beyond that addon. test/container/image.podman-test.ts builds
# this file with podman and runs it as a sidecar; docs/CONTAINER.md says how.
#
# Build:  docker build -t cairn .                                  (files, S3, Azure)
#         docker build --build-arg VARIANT=db -t cairn:db .        (plus the database clients, docs/DATABASES.md)
# Run:    docker run -d --read-only --memory 512m --stop-timeout 30 -v cairn-cache:/var/cache/cairn \
#           -v app-data:/data:ro -v ./cairn.yaml:/etc/cairn/cairn.yaml:ro \
#           -v ./agent.key:/run/secrets/cairn-agent-key:ro -p 22476:22476 cairn
#         (default command: agent --config /etc/cairn/cairn.yaml; see docs/CONFIG.md)
# One-off: docker run --rm ... cairn snapshots --repo s3://bucket/app1
#
# NODE_VERSION: the current Node LTS line. DEBIAN_SUITE: the Debian release under
# both the build and the runtime, the current stable (docs/CONTAINER.md §Base images).
ARG NODE_VERSION=26
ARG DEBIAN_SUITE=trixie

# Stage 1: dependencies, the zstd addon (node-gyp) and the bundle.
FROM node:${NODE_VERSION}-${DEBIAN_SUITE}-slim AS build
RUN apt-get update \
 && apt-get install -y --no-install-recommends python3 make g++ \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /src
COPY package.json package-lock.json ./
# Builds behind a TLS-inspecting proxy pass its CA as a secret (`--secret id=npm_ca,src=ca.pem`);
# builds that cannot reach nodejs.org for node-gyp's headers pass the base image's own
# (`--build-arg npm_config_nodedir=/usr/local`). Neither is needed elsewhere.
ARG npm_config_nodedir
# --ignore-scripts, then a rebuild of zstd-napi alone: no other dependency's install script runs.
RUN --mount=type=secret,id=npm_ca \
    if [ -f /run/secrets/npm_ca ]; then export NODE_EXTRA_CA_CERTS=/run/secrets/npm_ca; fi \
 && npm ci --no-audit --no-fund --ignore-scripts \
 && npm rebuild zstd-napi
COPY tsconfig.json tsconfig.build.json ./
COPY src ./src
COPY bin ./bin
COPY scripts/bundle.mjs ./scripts/
# What the runtime gets, in /out: the bundle, its launcher, package.json (the version and "type":
# "module"), and of zstd-napi only what `import "zstd-napi/binding.js"` loads. The checks start the
# CLI and load the addon from /out; the container test backs up and restores through S3 and Azure.
RUN npm run build \
 && mkdir -p /out/dist /out/node_modules/zstd-napi/build/Release \
 && cp -r dist/bundle /out/dist/ \
 && cp -r bin package.json /out/ \
 && cd node_modules/zstd-napi \
 && cp package.json binding.js LICENSE NOTICE /out/node_modules/zstd-napi/ \
 && cp build/Release/binding.node /out/node_modules/zstd-napi/build/Release/ \
 && node /out/bin/cairn.js --version \
 && node -e "require('/out/node_modules/zstd-napi/binding.js')"

# Stage 2: the runtime. tini is PID 1 so SIGTERM reaches the agent and the
# zombies of hooks and dump commands are reaped; libatomic1 is what Node links
# beyond the base system. No ca-certificates: Node carries its own CA list
# (add a private CA with NODE_EXTRA_CA_CERTS). VARIANT=db adds the clients the
# database presets run (docs/DATABASES.md); the install comes before the app's
# layers so a code change rebuilds neither.
FROM debian:${DEBIAN_SUITE}-slim
ARG VARIANT=slim
RUN case "$VARIANT" in \
      slim) extra="" ;; \
      db) extra="postgresql-client mariadb-client mariadb-backup sqlite3" ;; \
      *) echo "VARIANT must be slim or db, not $VARIANT" >&2; exit 1 ;; \
    esac \
 && apt-get update \
 && apt-get install -y --no-install-recommends tini libatomic1 $extra \
 && apt-get clean \
 && rm -rf /var/lib/apt/lists/* /var/cache/apt/* /var/log/apt /var/log/dpkg.log \
 && groupadd --system --gid 10001 cairn \
 && useradd --system --uid 10001 --gid 10001 --no-create-home --home-dir /var/cache/cairn cairn \
 && mkdir -p /etc/cairn /var/cache/cairn \
 && chown 10001:10001 /var/cache/cairn
COPY --from=build /usr/local/bin/node /usr/local/bin/
COPY --from=build /out/ /app/
RUN ln -s /app/bin/cairn.js /usr/local/bin/cairn && chmod 0755 /app/bin/cairn.js
WORKDIR /app
USER 10001:10001
# XDG_CACHE_HOME: the parent cache and the agent's state file go to /var/cache/cairn, which
# takes a volume when the root file system is read-only (docs/CONTAINER.md).
# MALLOC_*: glibc keeps the memory cairn's threads free instead of handing it
# back to the kernel and faulting it in again (one arena, no trimming, 32 MiB
# before a buffer gets its own mapping): fewer page faults, less time and a
# lower peak RSS for a backup (docs/PERFORMANCE.md §Backup CPU by thread, and
# page faults, has the figures).
ENV NODE_ENV=production \
    XDG_CACHE_HOME=/var/cache \
    CAIRN_HEALTHCHECK_URL=http://127.0.0.1:22476/healthz \
    MALLOC_ARENA_MAX=1 \
    MALLOC_MMAP_THRESHOLD_=33554432 \
    MALLOC_TRIM_THRESHOLD_=1073741824 \
    MALLOC_TOP_PAD_=67108864
EXPOSE 22476
# The agent serves /healthz on agent.listen; point CAIRN_HEALTHCHECK_URL elsewhere if you change it.
HEALTHCHECK --interval=30s --timeout=5s --start-period=30s --retries=3 \
  CMD ["node", "-e", "fetch(process.env.CAIRN_HEALTHCHECK_URL).then(r => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]
ENTRYPOINT ["/usr/bin/tini", "--", "cairn"]
CMD ["agent", "--config", "/etc/cairn/cairn.yaml"]
# Last, so that a new version or commit changes only the image's metadata. A release build
# passes package.json's version and the git commit (test/container/ does).
ARG CAIRN_VERSION=unknown
ARG CAIRN_REVISION=unknown
ARG DEBIAN_SUITE
LABEL org.opencontainers.image.title="cairn" \
      org.opencontainers.image.description="Encrypted, deduplicating backup agent (S3, Azure, local), run as a sidecar" \
      org.opencontainers.image.licenses="Apache-2.0" \
      org.opencontainers.image.version="${CAIRN_VERSION}" \
      org.opencontainers.image.revision="${CAIRN_REVISION}" \
      org.opencontainers.image.base.name="docker.io/library/debian:${DEBIAN_SUITE}-slim" \
      cairn.variant="${VARIANT}"
