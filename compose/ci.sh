#!/usr/bin/env bash
# CI entry for the container cluster scenario (called from .ci/run).
#   - installs docker.io and docker-compose from Debian where missing (needs root),
#   - starts dockerd in the background when no daemon answers (waits for `docker info`),
#   - uses the official denoland/deno:2.9.6 base if present or pullable, else builds the
#     offline base (compose/build_base_offline.sh: debootstrap + deno from npm),
#   - runs the scenario with default settings (24 nodes) under a time limit,
# and ends with the line "cluster: N passed, N failed" (one test per phase); exit 0 only if all
# phases passed. Extra arguments go to compose/cluster.ts (e.g. --nodes 12).
# Environment: STARLING_BASE_IMAGE (skip the base choice), STARLING_CLUSTER_TIMEOUT (seconds for
# the scenario, default 780), STARLING_REPORT (report directory, default compose/out).
set -uo pipefail
cd "$(dirname "$0")/.."

started=$(date +%s)
log() { echo "ci.sh: $*" >&2; }
give_up() {
  log "$*"
  echo "cluster: 0 passed, 1 failed"
  exit 1
}

apt_install() {
  [ "$(id -u)" = 0 ] || give_up "need root to apt-get install $*"
  export DEBIAN_FRONTEND=noninteractive
  log "apt-get install $*"
  timeout 600 apt-get install -y --no-install-recommends "$@" >/tmp/starling-apt.log 2>&1 ||
    { timeout 300 apt-get update >>/tmp/starling-apt.log 2>&1 &&
      timeout 600 apt-get install -y --no-install-recommends "$@" >>/tmp/starling-apt.log 2>&1; } ||
    give_up "apt-get install $* failed (see /tmp/starling-apt.log)"
}

command -v deno >/dev/null 2>&1 || give_up "deno is not installed (npm install -g deno@2.9.6)"
command -v docker >/dev/null 2>&1 || apt_install docker.io
if ! docker compose version >/dev/null 2>&1 && ! command -v docker-compose >/dev/null 2>&1; then
  apt_install docker-compose
fi

if ! docker info >/dev/null 2>&1; then
  command -v dockerd >/dev/null 2>&1 || apt_install docker.io
  log "starting dockerd (log: /tmp/starling-dockerd.log)"
  nohup dockerd >/tmp/starling-dockerd.log 2>&1 &
  for _ in $(seq 1 60); do
    docker info >/dev/null 2>&1 && break
    sleep 1
  done
  docker info >/dev/null 2>&1 || {
    tail -20 /tmp/starling-dockerd.log >&2
    give_up "dockerd did not answer within 60 s"
  }
fi

base=${STARLING_BASE_IMAGE:-}
if [ -z "$base" ]; then
  official=denoland/deno:2.9.6
  if docker image inspect "$official" >/dev/null 2>&1 ||
    timeout 120 docker pull "$official" >/dev/null 2>&1; then
    base=$official
  else
    log "cannot pull $official: using the offline base"
    command -v debootstrap >/dev/null 2>&1 || apt_install debootstrap
    command -v npm >/dev/null 2>&1 || apt_install npm
    compose/build_base_offline.sh || give_up "offline base image build failed"
    base=starling-base:2.9.6
  fi
fi
log "base image: $base ($(($(date +%s) - started)) s of setup)"

out=$(mktemp)
timeout --signal=INT --kill-after=90 "${STARLING_CLUSTER_TIMEOUT:-780}" \
  deno run --allow-run=docker,docker-compose,deno,compose/build_base_offline.sh \
  --allow-read=. --allow-write=compose/out,compose/image,/tmp --no-prompt \
  compose/cluster.ts --base-image "$base" --report "${STARLING_REPORT:-compose/out}" "$@" 2>&1 |
  tee "$out"
status=${PIPESTATUS[0]}
line=$(grep -E '^cluster: [0-9]+ passed, [0-9]+ failed$' "$out" | tail -1)
rm -f "$out"
if [ -z "$line" ]; then
  log "the scenario ended (status $status) without a result line"
  echo "cluster: 0 passed, 1 failed"
  exit 1
fi
log "total $(($(date +%s) - started)) s"
# The runner printed the tally as its last line already; repeat nothing, just exit accordingly.
[ "$status" -eq 0 ]
