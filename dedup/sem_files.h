/* sem_files.h: the state files of SemDeDup's phases (semantic.h), shared by sem_embed.c,
 * sem_cluster.c and the CLI. Record layouts are in format.h (kinds 10-13). */
#ifndef WN_DEDUP_SEM_FILES_H
#define WN_DEDUP_SEM_FILES_H

#include <stddef.h>
#include <stdint.h>

#define WN_SEM_EMB "sem-emb.wse"             /* every row, uid order */
#define WN_SEM_SAMPLE "sem-sample.wse"       /* the k-means sample, uid order */
#define WN_SEM_DOCS "sem-docs.wdoc"          /* uid, text bytes and id of every document */
#define WN_SEM_CENTROIDS "sem-centroids.wsc"
#define WN_SEM_ASSIGN "sem-assign.wsa"       /* uid -> cluster, uid order */
#define WN_SEM_ROWS "sem-rows"               /* sorted runs sem-rows-p00000-rNNNN.wsr */
#define WN_SEM_ROWS_SUFFIX ".wsr"
#define WN_SEM_REMOVE "semantic-remove.wrm"
#define WN_SEM_REMOVE_RUNS "sem-removed"     /* runs of removals before the final merge */
#define WN_SEM_SPILL "sem-kept.spill"        /* kept rows of a cluster larger than memory */
#define WN_SEM_REPORT "semantic.json"

/* .wse record: u64 uid, f32 v[d]. */
static inline size_t wn_sem_row_bytes(unsigned d) { return 8 + 4 * (size_t)d; }
/* .wsr record: u32 cluster, u32 zero, u64 uid, f32 v[d]. */
static inline size_t wn_sem_crow_bytes(unsigned d) { return 16 + 4 * (size_t)d; }

/* .wsa record */
typedef struct wn_sem_assign_rec {
    uint64_t uid;
    uint32_t cluster;
    uint32_t reserved;
} wn_sem_assign_rec;

#endif
