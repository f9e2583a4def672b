#!/usr/bin/env bash
# Gets this machine ready to build and run the image with podman (no Docker
# engine and no registry here: docs/CONTAINER.md §Testing the image), then
# makes sure the stand-in base images exist (scripts/container/base-images.sh).
#
# Prints the path of the containers.conf it wrote; the container tests run
# podman with CONTAINERS_CONF set to it (scripts/container/test.sh).
set -euo pipefail
cd "$(dirname "$0")/../.."
export DEBIAN_FRONTEND=noninteractive

need=()
for cmd in podman runc conmon mmdebstrap slirp4netns newuidmap iptables; do
  command -v "$cmd" >/dev/null || need+=("$cmd")
done
if [ "${#need[@]}" -gt 0 ]; then
  echo "setup: installing podman and its helpers (missing: ${need[*]})" >&2
  apt-get update -qq
  # netavark + aardvark-dns: podman's network stack; catatonit: the pause process of a pod;
  # uidmap, slirp4netns, fuse-overlayfs: what podman expects beside it.
  apt-get install -y -qq --no-install-recommends \
    podman runc conmon catatonit netavark aardvark-dns iptables uidmap slirp4netns fuse-overlayfs mmdebstrap >/dev/null
fi

conf_dir="$PWD/.tmp/container"
mkdir -p "$conf_dir"
# runc: crun refuses this host's hybrid cgroup v1/v2 layout ("cgroups in hybrid mode not
# supported"). cgroupfs and a file events log: no systemd runs here. The ulimits: podman's
# defaults (nofile 1048576) exceed the host's hard limit (20000), and runc then fails with
# "error setting rlimit type 7: operation not permitted".
cat >"$conf_dir/containers.conf" <<'EOF'
[containers]
default_ulimits = ["nofile=20000:20000", "nproc=32768:32768"]

[engine]
runtime = "runc"
cgroup_manager = "cgroupfs"
events_logger = "file"
EOF
export CONTAINERS_CONF="$conf_dir/containers.conf"
podman --version >&2
bash scripts/container/base-images.sh >&2
echo "$CONTAINERS_CONF"
