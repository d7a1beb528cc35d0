#!/usr/bin/env bash
# CI entry for the container cluster scenario (called from .ci/run).
#   - installs docker.io and docker-compose from Debian where missing (needs root),
#   - starts dockerd in the background when no daemon answers (waits for `docker info`),
#   - uses the official denoland/deno:2.9.6 base if present or pullable, else builds the
#     offline base (compose/build_base_offline.sh: debootstrap + deno from npm),
#   - runs the scenario with default settings (24 nodes) under a time limit,
#   - runs the Swarm phase (compose/swarm.ts: the stack on a one-node swarm, 8 tasks),
# and ends with the line "cluster: N passed, N failed" (one test per phase, the swarm phase
# being one); exit 0 only if all phases passed. Extra arguments go to compose/cluster.ts.
# Environment: STARLING_BASE_IMAGE (skip the base choice), STARLING_CLUSTER_TIMEOUT (seconds for
# the scenario, default 780), STARLING_REPORT (report directory, default compose/out),
# STARLING_SKIP_SWARM=1 (no swarm phase), STARLING_SWARM_NODES (8), STARLING_SWARM_TIMEOUT (300).
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
if [ -z "$line" ]; then
  log "the scenario ended (status $status) without a result line"
  line="cluster: 0 passed, 1 failed"
fi
passed=$(echo "$line" | sed -E 's/cluster: ([0-9]+) passed.*/\1/')
failed=$(echo "$line" | sed -E 's/.*, ([0-9]+) failed/\1/')

# ---- Swarm phase: the same compose file as a stack on a one-node swarm (compose/swarm.ts).
# It first proves its cleanup (a deployment failing right after `docker stack deploy` must leave
# nothing), then checks delivery across the overlay network, and always removes the stack and
# leaves the swarm. Counted as one phase; "swarm: skipped" (no swarm on this engine) counts as
# neither. The shell re-checks independently that the engine is as it was before.
if [ "${STARLING_SKIP_SWARM:-}" = 1 ]; then
  echo "swarm: skipped (STARLING_SKIP_SWARM=1)"
else
  swarm_before=$(docker info --format '{{.Swarm.LocalNodeState}}' 2>/dev/null)
  gwbridge_before=$(docker network ls -q --filter name=docker_gwbridge | wc -l)
  timeout --signal=INT --kill-after=60 "${STARLING_SWARM_TIMEOUT:-300}" \
    deno run --allow-run=docker,deno,compose/build_base_offline.sh --allow-read=. \
    --allow-write=compose/image,/tmp --no-prompt \
    compose/swarm.ts --base-image "$base" --nodes "${STARLING_SWARM_NODES:-8}" --prove-cleanup \
    2>&1 | tee "$out"
  swarm_line=$(grep -E '^swarm: (passed|failed|skipped)' "$out" | tail -1)
  left=""
  swarm_after=$(docker info --format '{{.Swarm.LocalNodeState}}' 2>/dev/null)
  # A swarm the engine had stays (only a swarm the rig labelled as its own may have been left).
  if [ "$swarm_after" = active ] && [ "$swarm_before" != active ]; then
    left="$left a swarm (the engine was '$swarm_before');"
  fi
  # docker_gwbridge appears with the first overlay task; a swarm the engine had may keep it.
  if [ "$swarm_before" != active ] &&
    [ "$(docker network ls -q --filter name=docker_gwbridge | wc -l)" -gt "$gwbridge_before" ]; then
    left="$left network docker_gwbridge;"
  fi
  [ -z "$(docker network ls -q --filter name=starling-swarm_)" ] || left="$left network starling-swarm_*;"
  [ -z "$(docker ps -aq --filter label=com.docker.swarm.service.name=starling-swarm_node)" ] ||
    left="$left containers of starling-swarm_node;"
  if [ -n "$left" ]; then
    log "the swarm phase left behind:$left"
    failed=$((failed + 1))
  elif [ -z "$swarm_line" ]; then
    log "the swarm phase ended without a result line"
    failed=$((failed + 1))
  else
    case "$swarm_line" in
    "swarm: passed"*) passed=$((passed + 1)) ;;
    "swarm: failed"*) failed=$((failed + 1)) ;;
    esac
  fi
fi
rm -f "$out"
log "total $(($(date +%s) - started)) s"
# The last line is the tally CI reads: the compose scenario's phases plus the swarm phase.
echo "cluster: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
