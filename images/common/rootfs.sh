#!/bin/sh
# Writes the base root filesystem of a node image as a tarball on stdout: Debian SUITE with
# PostgreSQL PG_MAJOR and the pgpool-II that SUITE ships.
#
# Run by `hachaos image build` (piped into `docker import`) in a build context holding
# build.env, which the harness writes from the release's `build:` section (release.yaml);
# runnable by hand:
#   printf 'SUITE=bookworm\nPG_MAJOR=15\n' > build.env && sh rootfs.sh > rootfs.tar
# Needs mmdebstrap (apt package `mmdebstrap`) and root (or a working `unshare` mode).
# MIRROR overrides the Debian mirror (default http://deb.debian.org/debian).
set -eu

# shellcheck disable=SC1091
. ./build.env
: "${SUITE:?build.env must set SUITE (a Debian suite, e.g. trixie)}"
: "${PG_MAJOR:?build.env must set PG_MAJOR (e.g. 17)}"

# Optional (release.yaml `build.apt`): CHECK_VALID_UNTIL=false accepts Release files past their
# Valid-Until (a testing suite seen from a machine whose mirror snapshot is old); SECURITY=false
# leaves out the $SUITE-security suite.
CHECK_VALID_UNTIL="${CHECK_VALID_UNTIL:-true}"
SECURITY="${SECURITY:-true}"
case "$CHECK_VALID_UNTIL" in true | false) ;; *) echo "build.env: CHECK_VALID_UNTIL must be true or false" >&2; exit 2 ;; esac
case "$SECURITY" in true | false) ;; *) echo "build.env: SECURITY must be true or false" >&2; exit 2 ;; esac

# mmdebstrap builds the chroot in $TMPDIR, tars it, then deletes it. On this machine's disk under
# load, deleting the ~250 MB tree alone took 24 s of a 107 s build and extracting/installing with
# dpkg's fsyncs most of the rest; in memory (tmpfs, /dev/shm) both are cheap. Used when it has
# 2 GiB free; HACHAOS_ROOTFS_TMPDIR overrides (empty: mmdebstrap's default, /tmp).
tmp="${HACHAOS_ROOTFS_TMPDIR-/dev/shm}"
if [ -n "$tmp" ] && [ -d "$tmp" ] && [ -w "$tmp" ] &&
  [ "$(df -Pk "$tmp" 2>/dev/null | awk 'NR == 2 {print $4}')" -ge 2097152 ] 2>/dev/null; then
  export TMPDIR="$tmp"
fi

MIRROR="${MIRROR:-http://deb.debian.org/debian}"
SECURITY_MIRROR="${SECURITY_MIRROR:-http://deb.debian.org/debian-security}"

PACKAGES="postgresql-$PG_MAJOR,pgpool2,postgresql-$PG_MAJOR-pgpool2,iproute2,iptables,iputils-ping,iputils-arping,procps,util-linux,mount,e2fsprogs"

set -- "deb $MIRROR $SUITE main" "deb $MIRROR $SUITE-updates main"
if [ "$SECURITY" = true ]; then
  set -- "$@" "deb $SECURITY_MIRROR $SUITE-security main"
fi

exec mmdebstrap \
  --variant=minbase \
  --aptopt="Acquire::Check-Valid-Until \"$CHECK_VALID_UNTIL\"" \
  --format=tar \
  --include="$PACKAGES" \
  --aptopt='APT::Install-Recommends "false"' \
  --aptopt='APT::Install-Suggests "false"' \
  --aptopt='Acquire::Languages "none"' \
  --dpkgopt='path-exclude=/usr/share/man/*' \
  --dpkgopt='path-exclude=/usr/share/doc/*' \
  --dpkgopt='path-include=/usr/share/doc/*/copyright' \
  --dpkgopt='path-exclude=/usr/share/info/*' \
  --dpkgopt='path-exclude=/usr/share/locale/*' \
  --dpkgopt='path-exclude=/usr/share/lintian/*' \
  --dpkgopt="path-exclude=/usr/lib/postgresql/$PG_MAJOR/lib/bitcode/*" \
  --dpkgopt="path-exclude=/usr/lib/postgresql/$PG_MAJOR/lib/llvmjit*" \
  --dpkgopt='path-exclude=/usr/lib/x86_64-linux-gnu/libLLVM*' \
  --dpkgopt='path-exclude=/usr/lib/x86_64-linux-gnu/libz3*' \
  --dpkgopt='force-confold' \
  --essential-hook='mkdir -p "$1/etc/postgresql-common/createcluster.d" && echo "create_main_cluster = false" > "$1/etc/postgresql-common/createcluster.d/00-hachaos.conf"' \
  --customize-hook='chroot "$1" apt-cache policy pgpool2 postgresql-'"$PG_MAJOR"' >&2' \
  --customize-hook='chroot "$1" dpkg-query -W -f "\${Package} \${Version}\n" pgpool2 postgresql-'"$PG_MAJOR"' postgresql-'"$PG_MAJOR"'-pgpool2 >&2' \
  --customize-hook='rm -rf "$1"/var/lib/apt/lists/* "$1"/var/cache/apt/* "$1"/var/log/apt/* "$1"/var/log/dpkg.log "$1"/var/log/alternatives.log' \
  "$SUITE" - "$@"
