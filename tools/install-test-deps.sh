#!/bin/sh
# Install the Debian packages the tests need beyond tools/install-deps.sh: a real Slurm
# (slurmctld, slurmd, sbatch) with munge, and OpenMPI for winnow-mpi. As root it installs
# what is missing; otherwise it prints the apt-get line and fails. Tests that still cannot
# run report themselves as skipped with the reason.
set -e
PKGS="slurm-wlm munge libopenmpi-dev openmpi-bin"
missing=""
for p in $PKGS; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing="$missing $p"
done
[ -z "$missing" ] && exit 0
if [ "$(id -u)" != 0 ]; then
  echo "the cluster tests need these Debian packages; run as root:" >&2
  echo "  apt-get install -y$missing" >&2
  exit 1
fi
echo "installing:$missing" >&2
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends $missing >/dev/null
