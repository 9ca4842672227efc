/* slurm_files.h: names of the files under <workdir>/slurm/ (see slurm.h), shared by the
 * submitter and `winnow status`. Internal to cluster/. Every function returns a string the
 * caller frees. */
#ifndef WN_CLUSTER_SLURM_FILES_H
#define WN_CLUSTER_SLURM_FILES_H

#include "core/buf.h"
#include "pipeline/plan.h"

#include <stddef.h>

/* "NN-<phase>" (NN = phase number from 01), plus ".partK" for the part starting at task
 * `first` when the phase has more tasks than `part_size` (the array cap). */
char *wn_slurm_script_base(const wn_plan *plan, size_t p, size_t first, size_t part_size);
/* "<slurm_dir>/<name>" */
char *wn_slurm_file(const char *slurm_dir, const char *name);
/* "NN-<name>" for a step that is not one phase (the MPI job at phase p). */
char *wn_slurm_script_base_named(size_t p, const char *name);
/* "<slurm_dir>/status/<name>" */
char *wn_slurm_status_dir(const char *slurm_dir, const char *name);
/* "<slurm_dir>/status/<phase>/<index>.<what>" */
char *wn_slurm_record_path(const char *slurm_dir, const char *phase, unsigned index,
                           const char *what);

/* Append s as one shell word, single-quoted unless it is plainly safe. */
void wn_slurm_append_quoted(wn_buf *b, const char *s);

/* Slurm array index list of the sorted indices v[0..n): "0-3,7,9-12". */
char *wn_slurm_array_spec(const unsigned *v, size_t n);

#endif
