#!/bin/sh
# Writes the base root filesystem of the pg17-pgpool46 node image as a tarball on stdout.
#
# Run by `hachaos image build` (piped into `docker import`); runnable by hand:
#   sh rootfs.sh > rootfs.tar
# Needs mmdebstrap (apt package `mmdebstrap`) and root (or a working `unshare` mode).
# MIRROR overrides the Debian mirror (default http://deb.debian.org/debian).
set -eu

MIRROR="${MIRROR:-http://deb.debian.org/debian}"
SECURITY_MIRROR="${SECURITY_MIRROR:-http://deb.debian.org/debian-security}"

PACKAGES="postgresql-17,pgpool2,postgresql-17-pgpool2,iproute2,iptables,iputils-ping,iputils-arping,procps,util-linux,mount,e2fsprogs"

exec mmdebstrap \
  --variant=minbase \
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
  --dpkgopt='path-exclude=/usr/lib/postgresql/17/lib/bitcode/*' \
  --dpkgopt='path-exclude=/usr/lib/postgresql/17/lib/llvmjit*' \
  --dpkgopt='path-exclude=/usr/lib/x86_64-linux-gnu/libLLVM*' \
  --dpkgopt='path-exclude=/usr/lib/x86_64-linux-gnu/libz3*' \
  --dpkgopt='force-confold' \
  --essential-hook='mkdir -p "$1/etc/postgresql-common/createcluster.d" && echo "create_main_cluster = false" > "$1/etc/postgresql-common/createcluster.d/00-hachaos.conf"' \
  --customize-hook='chroot "$1" apt-cache policy pgpool2 postgresql-17 >&2' \
  --customize-hook='chroot "$1" dpkg-query -W -f "\${Package} \${Version}\n" pgpool2 postgresql-17 postgresql-17-pgpool2 >&2' \
  --customize-hook='rm -rf "$1"/var/lib/apt/lists/* "$1"/var/cache/apt/* "$1"/var/log/apt/* "$1"/var/log/dpkg.log "$1"/var/log/alternatives.log' \
  trixie - \
  "deb $MIRROR trixie main" \
  "deb $MIRROR trixie-updates main" \
  "deb $SECURITY_MIRROR trixie-security main"
