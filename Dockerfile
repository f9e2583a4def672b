# cairn container image: multi-stage, runs as a non-root user.
# Build:  docker build -t cairn .
# Run:    docker run --rm -v /data:/data:ro -v /backups:/repo -e CAIRN_REPO=/repo \
#           -e CAIRN_AGENT_KEY_FILE=/run/secrets/cairn-agent-key cairn backup /data
ARG NODE_IMAGE=node:lts-bookworm-slim

FROM ${NODE_IMAGE} AS build
# zstd-napi is a native addon compiled on install.
RUN apt-get update && apt-get install -y --no-install-recommends python3 make g++ && rm -rf /var/lib/apt/lists/*
WORKDIR /src
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json ./
COPY src ./src
COPY bin ./bin
RUN npm run build && npm prune --omit=dev

FROM ${NODE_IMAGE}
# Database clients for the dump presets (logical backups) come with the database issue; age/zstd help with tool-free recovery.
RUN apt-get update && apt-get install -y --no-install-recommends age zstd ca-certificates tini && rm -rf /var/lib/apt/lists/*
WORKDIR /app
COPY --from=build /src/node_modules ./node_modules
COPY --from=build /src/dist ./dist
COPY --from=build /src/bin ./bin
COPY package.json ./
RUN useradd --system --uid 10001 --home-dir /var/cache/cairn --create-home cairn
USER cairn
ENV XDG_CACHE_HOME=/var/cache
ENTRYPOINT ["/usr/bin/tini", "--", "node", "/app/bin/cairn.js"]
CMD ["--help"]
