#!/usr/bin/env bash
# `npm run test:container`: builds the image from the Dockerfile and runs it as a
# sidecar with podman (test/container/image.podman-test.ts). Installs podman and
# builds the stand-in base images first when this machine lacks them
# (scripts/container/setup.sh; docs/CONTAINER.md §Testing the image).
set -euo pipefail
cd "$(dirname "$0")/../.."
CONTAINERS_CONF=$(bash scripts/container/setup.sh)
export CONTAINERS_CONF
exec npx vitest run --config test/container/vitest.config.ts "$@"
