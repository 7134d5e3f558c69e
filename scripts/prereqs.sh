#!/usr/bin/env bash
# Installs what hachaos needs on a fresh rust-docker machine (idempotent, runs as root):
# mmdebstrap and the Debian archive keyring to build node images, chromium and xmllint for the
# report tests (HTML screenshot, JUnit schema), yamllint for the CI recipes, and checks that the Docker
# engine answers. Nothing else is assumed to be installed by hand.
set -euo pipefail

need=()
command -v chromium >/dev/null 2>&1 || need+=(chromium)
command -v xmllint >/dev/null 2>&1 || need+=(libxml2-utils)
# Lints the CI recipes in docs/ci/ (harness/tests/ci_recipes.rs).
command -v yamllint >/dev/null 2>&1 || need+=(yamllint)
command -v mmdebstrap >/dev/null 2>&1 || need+=(mmdebstrap)
[ -e /usr/share/keyrings/debian-archive-keyring.gpg ] || need+=(debian-archive-keyring)

wait_for_dpkg() {
  # Another apt-get may hold the lock for a while on a fresh machine.
  for _ in $(seq 1 120); do
    if ! fuser /var/lib/dpkg/lock-frontend /var/lib/dpkg/lock >/dev/null 2>&1; then
      return 0
    fi
    sleep 1
  done
  echo "prereqs: dpkg lock still held after 120 s" >&2
  return 1
}

if [ ${#need[@]} -gt 0 ]; then
  echo "prereqs: installing ${need[*]}" >&2
  wait_for_dpkg || true
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  wait_for_dpkg || true
  apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
fi

if ! docker version --format '{{.Server.APIVersion}}' >/dev/null 2>&1; then
  echo "prereqs: the Docker engine does not answer (is dockerd running? DOCKER_HOST=${DOCKER_HOST:-unset})" >&2
  exit 3
fi
