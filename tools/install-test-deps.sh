#!/bin/sh
# What only the tests need, on top of tools/install-deps.sh (CI runs both). Each block says
# which tests need it; a test whose dependency cannot be had reports itself skipped.
set -e
cd "$(dirname "$0")/.."
# python3: CLI tests check JSON outputs; fasttext: classify checks against the official tool;
# slurm-wlm + munge: the single-node Slurm test; OpenMPI: the winnow-mpi dedup tests.
sh tools/install-deps.sh python3 fasttext slurm-wlm munge libopenmpi-dev openmpi-bin
