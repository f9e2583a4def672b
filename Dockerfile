# cairn container image: the agent as a sidecar. Multi-stage, non-root, on a
# current Node LTS (test/container/ runs these steps and the demo under this
# major version, so bump NODE_VERSION there and here together).
#
# Build:  docker build -t cairn .
# Run:    docker run -d -v app-data:/data:ro -v ./cairn.yaml:/etc/cairn/cairn.yaml:ro \
#           -v ./agent.key:/run/secrets/cairn-agent-key:ro -p 9090:9090 cairn
#         (default command: agent --config /etc/cairn/cairn.yaml; see docs/CONFIG.md)
# One-off: docker run --rm ... cairn snapshots --repo s3://bucket/app1
ARG NODE_VERSION=26

# Stage 1: compile TypeScript (needs the dev dependencies).
FROM node:${NODE_VERSION}-trixie-slim AS build
WORKDIR /src
COPY package.json package-lock.json ./
# --ignore-scripts: the native addon is built in the deps stage; tsc needs none.
RUN npm ci --no-audit --no-fund --ignore-scripts
COPY tsconfig.json tsconfig.build.json ./
COPY src ./src
COPY bin ./bin
COPY scripts/bundle.mjs ./scripts/
RUN npm run build

# Stage 2: production dependencies only; zstd-napi compiles here (node-gyp).
FROM node:${NODE_VERSION}-trixie-slim AS deps
RUN apt-get update \
 && apt-get install -y --no-install-recommends python3 make g++ \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --no-audit --no-fund \
 && node -e "require('zstd-napi').compress(Buffer.from('ok'))"

# Stage 3: runtime. Database clients for the presets (docs/DATABASES.md), age
# and zstd for tool-free recovery (docs/DISASTER-RECOVERY.md), tini as PID 1 so
# SIGTERM reaches the agent and zombies of hooks and dump commands are reaped.
FROM node:${NODE_VERSION}-trixie-slim
RUN apt-get update \
 && apt-get install -y --no-install-recommends \
      ca-certificates tini age zstd \
      postgresql-client mariadb-client mariadb-backup sqlite3 \
 && rm -rf /var/lib/apt/lists/* \
 && useradd --system --uid 10001 --user-group --home-dir /var/cache/cairn --create-home cairn \
 && mkdir -p /etc/cairn
WORKDIR /app
COPY --from=deps /app/node_modules ./node_modules
COPY --from=build /src/dist ./dist
COPY --from=build /src/bin ./bin
COPY package.json ./
RUN ln -s /app/bin/cairn.js /usr/local/bin/cairn && chmod 0755 /app/bin/cairn.js
USER 10001:10001
# MALLOC_*: glibc keeps the memory cairn's threads free instead of handing it
# back to the kernel and faulting it in again (one arena, no trimming, 32 MiB
# before a buffer gets its own mapping). Page faults are ~10 µs each on some
# VMs: these settings cut a 1 GiB backup's faults from ~210k to ~120k, its
# time by ~8% and its peak RSS by ~100 MiB (docs/PERFORMANCE.md).
ENV NODE_ENV=production \
    XDG_CACHE_HOME=/var/cache \
    CAIRN_HEALTHCHECK_URL=http://127.0.0.1:9090/healthz \
    MALLOC_ARENA_MAX=1 \
    MALLOC_MMAP_THRESHOLD_=33554432 \
    MALLOC_TRIM_THRESHOLD_=1073741824 \
    MALLOC_TOP_PAD_=67108864
EXPOSE 9090
# The agent serves /healthz on agent.listen; point CAIRN_HEALTHCHECK_URL elsewhere if you change it.
HEALTHCHECK --interval=30s --timeout=5s --start-period=30s --retries=3 \
  CMD ["node", "-e", "fetch(process.env.CAIRN_HEALTHCHECK_URL).then(r => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]
ENTRYPOINT ["/usr/bin/tini", "--", "cairn"]
CMD ["agent", "--config", "/etc/cairn/cairn.yaml"]
