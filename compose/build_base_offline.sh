#!/bin/sh
# Builds the node's base image without any container registry:
#   Debian bookworm (debootstrap minbase + iproute2 + nftables) + the deno binary taken from the
#   npm package @deno/linux-x64-glibc, imported with `docker import`.
# The result (default tag starling-base:2.9.6) is a drop-in replacement for denoland/deno:2.9.6:
#   STARLING_BASE_IMAGE=starling-base:2.9.6 docker compose -f compose/docker-compose.yml build
#
# Environment (all optional):
#   DENO_VERSION        deno version to package (default 2.9.6)
#   STARLING_BASE_TAG   image tag to create (default starling-base:$DENO_VERSION)
#   STARLING_BUILD_DIR  where the rootfs and the npm tarball are kept (default /tmp/starling-build)
#   DEBIAN_MIRROR       Debian mirror for debootstrap (default http://deb.debian.org/debian)
#   FORCE=1             rebuild even if the tag exists (the rootfs is reused if complete)
set -eu

DENO_VERSION=${DENO_VERSION:-2.9.6}
TAG=${STARLING_BASE_TAG:-starling-base:$DENO_VERSION}
WORK=${STARLING_BUILD_DIR:-/tmp/starling-build}
MIRROR=${DEBIAN_MIRROR:-http://deb.debian.org/debian}
ROOTFS=$WORK/rootfs

say() { echo "build_base_offline: $*" >&2; }

if [ -z "${FORCE:-}" ] && docker image inspect "$TAG" >/dev/null 2>&1; then
  say "$TAG already exists (FORCE=1 to rebuild)"
  exit 0
fi
for tool in debootstrap npm tar docker; do
  command -v "$tool" >/dev/null 2>&1 || {
    say "missing '$tool' (apt-get install -y debootstrap npm docker.io)"
    exit 1
  }
done
if [ "$(id -u)" != 0 ]; then
  say "debootstrap needs root; run as root (or with sudo)"
  exit 1
fi
mkdir -p "$WORK"

# 1. Debian root. A complete rootfs is marked with .starling-complete and reused.
if [ ! -f "$ROOTFS/.starling-complete" ]; then
  say "debootstrap bookworm into $ROOTFS (about a minute with a near mirror)"
  rm -rf "$ROOTFS.partial"
  debootstrap --variant=minbase --include=iproute2,nftables bookworm "$ROOTFS.partial" "$MIRROR" \
    >"$WORK/debootstrap.log" 2>&1 || {
    tail -20 "$WORK/debootstrap.log" >&2
    say "debootstrap failed (full log: $WORK/debootstrap.log)"
    exit 1
  }
  rm -rf "$ROOTFS"
  mv "$ROOTFS.partial" "$ROOTFS"
  touch "$ROOTFS/.starling-complete"
fi

# 2. The deno binary from npm (the same build the official image ships).
PKG_DIR=$WORK/npm-deno-$DENO_VERSION
if [ ! -x "$PKG_DIR/package/deno" ]; then
  say "npm pack @deno/linux-x64-glibc@$DENO_VERSION"
  rm -rf "$PKG_DIR"
  mkdir -p "$PKG_DIR"
  (cd "$PKG_DIR" && npm pack --silent "@deno/linux-x64-glibc@$DENO_VERSION" >/dev/null)
  tar -xzf "$PKG_DIR"/deno-linux-x64-glibc-*.tgz -C "$PKG_DIR"
fi
install -m 0755 "$PKG_DIR/package/deno" "$ROOTFS/usr/local/bin/deno"

# 3. Trim and sanity-check the root: deno must run against the rootfs's own glibc.
rm -rf "$ROOTFS"/var/cache/apt/archives/*.deb "$ROOTFS"/var/lib/apt/lists/* "$ROOTFS"/tmp/*
mkdir -p "$ROOTFS/deno-dir" "$ROOTFS/app"
got=$(chroot "$ROOTFS" /usr/local/bin/deno --version | head -1)
case "$got" in
  "deno $DENO_VERSION"*) ;;
  *)
    say "unexpected deno in rootfs: $got"
    exit 1
    ;;
esac

# 4. Import. The ENV/CMD mirror what denoland/deno sets so the Dockerfile works with either base.
say "docker import -> $TAG"
tar -C "$ROOTFS" --exclude=./.starling-complete --numeric-owner -cf - . | docker import \
  --change 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
  --change 'ENV DENO_DIR=/deno-dir' \
  --change "ENV DENO_VERSION=$DENO_VERSION" \
  --change 'CMD ["deno", "--version"]' \
  --message "starling offline base: debian bookworm minbase + deno $DENO_VERSION" \
  - "$TAG" >/dev/null
say "built $TAG ($(docker image inspect -f '{{.Size}}' "$TAG" | awk '{printf "%d MB", $1/1048576}'))"
