/* proc.h: run a program and capture its standard output (sbatch, squeue). Internal to
 * cluster/. */
#ifndef WN_CLUSTER_PROC_H
#define WN_CLUSTER_PROC_H

#include "core/buf.h"

/* Run argv (NULL-terminated, searched in PATH), append its stdout to out; its stderr goes
 * to ours, or is discarded when `quiet_stderr`. Returns the exit status (0-255), 127 when
 * it could not be started, 128+signal when killed. */
int wn_proc_capture(char *const argv[], wn_buf *out, int quiet_stderr);

/* The set of Slurm jobs of this user still in the queue, one "ARRAYJOB_TASK STATE" line
 * each (squeue -r). Returns 0, or -1 when squeue cannot be asked (no Slurm here). */
int wn_squeue_mine(wn_buf *out);

#endif
