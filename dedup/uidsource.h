/* uidsource.h: a JSONL source that knows each document's dedup uid (format.h).
 *
 * The runner numbers documents per shard; dedup needs numbers that do not depend on the
 * shard, so this source wraps the JSONL source and finds the input's position in the
 * sorted list of all inputs; a document's record number is its line in that file (0-based,
 * bad lines included, so a uid also tells where the document is). While a batch of a file
 * goes through the stages, wn_dedup_uid_of(ctx, doc) gives the uid of any of its documents.
 *
 * One wn_dedup_uids per run; the runner reads one input at a time, so no locking.
 */
#ifndef WN_DEDUP_UIDSOURCE_H
#define WN_DEDUP_UIDSOURCE_H

#include "core/source.h"

typedef struct wn_dedup_uids {
    char **all_inputs;          /* sorted (strcmp), not owned */
    size_t n_all_inputs;
    const wn_jsonl_opts *jsonl; /* may be NULL */
    uint64_t flags;             /* OR'ed into each uid */
    /* filled while running */
    uint64_t cur_file;          /* input being read */
    uint64_t *file_docs;        /* records (lines) per input file (index into all_inputs) */
} wn_dedup_uids;

void wn_dedup_uids_init(wn_dedup_uids *u, char **all_inputs, size_t n_all,
                        const wn_jsonl_opts *jsonl, uint64_t flags);
void wn_dedup_uids_release(wn_dedup_uids *u);
/* The wn_source_open_fn to give the runner (ctx = wn_dedup_uids *). */
wn_source *wn_dedup_uid_source_open(const char *path, void *ctx, wn_stats *stats);
/* uid of a document of the current batch. */
uint64_t wn_dedup_uid_of(const wn_dedup_uids *u, const wn_doc *d);
/* Position of `path` in all_inputs, or -1. */
long wn_dedup_input_index(char **all_inputs, size_t n, const char *path);

/* A document's date for the keep rule: `created`, else metadata.date, else "". */
const char *wn_dedup_doc_date(const wn_doc *d, size_t *len);

#endif
