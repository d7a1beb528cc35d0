#!/bin/sh
# Container entrypoint: runs the starling CLI node with its stdin on a FIFO, so that
#   docker exec <container> sh -c 'echo hello > /tmp/in'
# publishes "hello". Every delivered message is one JSON line on stdout (`docker logs`).
#
# Environment: STARLING_LISTEN (0.0.0.0:7946), STARLING_DISCOVER (dns:node:7946; empty = none),
# STARLING_SEEDS (space separated host:port), STARLING_ARGS (extra CLI flags),
# STARLING_DENO_FLAGS (permissions, default --allow-net --allow-read), STARLING_FIFO (/tmp/in).
# Any arguments given to the container are appended to the CLI's flags.
set -eu
fifo=${STARLING_FIFO:-/tmp/in}
listen=${STARLING_LISTEN:-0.0.0.0:7946}
discover=${STARLING_DISCOVER-dns:node:7946}

rm -f "$fifo"
mkfifo "$fifo"
# Open the FIFO read-write: the node's stdin then always has a writer, so it never sees EOF
# between two publishers (each `echo > /tmp/in` opens and closes its own write end).
exec 3<>"$fifo"

set -- --listen "$listen" --json "$@"
[ -n "$discover" ] && set -- "$@" --discover "$discover"
for seed in ${STARLING_SEEDS:-}; do set -- "$@" --seed "$seed"; done
# shellcheck disable=SC2086 # word splitting of the flag lists is intended
exec deno run --cached-only ${STARLING_DENO_FLAGS:---allow-net --allow-read} /app/cli.ts \
  "$@" ${STARLING_ARGS:-} <&3 3<&-
