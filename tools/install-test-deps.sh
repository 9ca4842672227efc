#!/bin/sh
# Install the Debian packages the tests need beyond the build's: a real Slurm (slurmctld,
# slurmd, sbatch) with munge for tests/cli/cluster_slurm.sh, and OpenMPI for winnow-mpi.
# Tests that still cannot run on a machine report themselves as skipped, with the reason.
exec sh "$(dirname "$0")/install-deps.sh" slurm-wlm munge libopenmpi-dev openmpi-bin
