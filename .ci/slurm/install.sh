#!/usr/bin/env bash
# Install the Debian 12 packages the single-node test cluster needs.
# Idempotent: does nothing (not even `apt-get update`) when they are present.
set -euo pipefail

packages=(munge slurmctld slurmd slurm-client)

missing=()
for package in "${packages[@]}"; do
    if ! dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q 'install ok installed'; then
        missing+=("$package")
    fi
done

if ((${#missing[@]} == 0)); then
    echo "slurm packages already installed: ${packages[*]}"
    exit 0
fi

export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
echo "installed: ${missing[*]}"
