/* mpi_dedup.h: dedup's global phases run by MPI ranks (the drivers behind winnow-mpi).
 *
 * Both drivers write the same state files, in the state directory, that the single-process
 * `winnow dedup` writes for the same inputs and config, so the per-shard removal phase
 * (`winnow dedup minhash|line --phase remove|apply --shard I/N`) runs unchanged after
 * them. Every rank must see the state directory (shared storage), and every rank is given the same
 * sorted list of all inputs. Collective: every rank calls, every rank gets the verdict.
 */
#ifndef WN_MPI_DEDUP_H
#define WN_MPI_DEDUP_H

#include "dedup/lines.h"
#include "dedup/minhash.h"

#include <mpi.h>
#include <stddef.h>
#include <stdint.h>

typedef struct wn_mpi_dedup_opts {
    char **inputs;          /* sorted list of all inputs, the same on every rank */
    size_t n_inputs;
    const char *outdir;
    const char *state;      /* state directory (`winnow dedup --state`, default OUTDIR/state) */
    wn_dedup_config config; /* minhash */
    wn_dedup_keep keep;
    wn_lines_config lines;  /* line dedup */
    uint64_t mem_bytes;     /* per rank, for sorting and exchange buffers */
} wn_mpi_dedup_opts;

typedef struct wn_mpi_dedup_result {
    uint64_t docs_in, docs;               /* records read, documents signed/hashed */
    uint64_t band_records, edges;         /* minhash: band records exchanged, edges */
    uint64_t clustered, clusters, removed, removed_bytes;
    unsigned rounds_bands, rounds_components;
    uint64_t lines_distinct, lines_removable, occurrences_removable; /* line dedup */
    /* the largest share any rank held: what bounds memory per rank */
    uint64_t max_rank_records, max_rank_edges, max_rank_labels;
} wn_mpi_dedup_result;

/* MinHash (and exact/url, by config.method) phases 1-4: sig/docs/files per rank, then
 * clusters.wcl and remove.wrm. 0 or -1 (message printed by the rank that failed). */
int wn_mpi_dedup_minhash(const wn_mpi_dedup_opts *o, MPI_Comm comm, wn_mpi_dedup_result *res);

/* Line dedup phases 1-2: lines/files per rank, line hashes exchanged by hash range and
 * counted per rank, then lineset.wls. 0 or -1. */
int wn_mpi_dedup_lines(const wn_mpi_dedup_opts *o, MPI_Comm comm, wn_mpi_dedup_result *res);

#endif
