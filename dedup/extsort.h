/* extsort.h: external sort and k-way merge of fixed-size records in dedup phase files.
 *
 * A sorter holds at most `mem_bytes` of records; when full it sorts them and writes one
 * run file per partition ("<prefix>-p<part:05>-r<run:04><suffix>", a dedup/format.h file of
 * the given kind), so memory stays bounded however large the input. A merger reads any
 * number of sorted runs (from any shard) and yields records in order; ties between runs
 * are broken by run position, so the output order is a pure function of the run list.
 *
 * Ownership: run paths returned by wn_extsort_finish are malloc'd (free with
 * wn_free_strv from core/args.h). Records returned by wn_merge_next stay valid until the
 * next call.
 */
#ifndef WN_DEDUP_EXTSORT_H
#define WN_DEDUP_EXTSORT_H

#include "dedup/format.h"

#include <stddef.h>
#include <stdint.h>

typedef int (*wn_rec_cmp)(const void *a, const void *b);
/* Partition of a record (0 .. n_parts-1). NULL = one partition. */
typedef unsigned (*wn_rec_part)(const void *rec, unsigned n_parts);

typedef struct wn_extsort_opts {
    size_t rec_size;
    wn_rec_cmp cmp;
    wn_rec_part part;
    unsigned n_parts;        /* >= 1 */
    uint64_t mem_bytes;      /* budget: records and the sort's scratch (at least one record) */
    const char *prefix;      /* path prefix of the run files */
    const char *suffix;      /* e.g. ".wbk" */
    wn_dedup_kind kind;
    const char *config;
    uint32_t shard_index, shard_count;
} wn_extsort_opts;

typedef struct wn_extsort wn_extsort;

wn_extsort *wn_extsort_new(const wn_extsort_opts *o);
/* Add one record (copied). Spills a run when the buffer is full. 0 or -1 (see err). */
int wn_extsort_add(wn_extsort *s, const void *rec, char *err, size_t errlen);
/* Spill what is left and hand back every run path written (appended to *runs). Frees s. */
int wn_extsort_finish(wn_extsort *s, char ***runs, size_t *n_runs, char *err, size_t errlen);
/* Remove the written runs and free (after an error). Accepts NULL. */
void wn_extsort_abort(wn_extsort *s);

typedef struct wn_merge wn_merge;
/* Open sorted runs of `kind` with `config` (NULL = accept any config). */
wn_merge *wn_merge_open(char **runs, size_t n_runs, wn_dedup_kind kind, const char *config,
                        size_t rec_size, wn_rec_cmp cmp, char *err, size_t errlen);
/* Next record in order, NULL at the end or on a read error (wn_merge_error). */
const void *wn_merge_next(wn_merge *m);
const char *wn_merge_error(const wn_merge *m); /* NULL when no error */
void wn_merge_close(wn_merge *m);

/* Sorted uid arrays: sort and drop repeats (returns the new length); find (SIZE_MAX when
 * absent). */
size_t wn_u64_sort_unique(uint64_t *v, size_t n);
size_t wn_u64_find(const uint64_t *v, size_t n, uint64_t x);

/* Append a malloc'd copy of s to a string vector. */
void wn_strv_push(char ***v, size_t *n, const char *s);
/* Paths matching a glob pattern, sorted (*out NULL when none); remove every match. */
void wn_dedup_glob(const char *pattern, char ***out, size_t *n);
void wn_dedup_remove_glob(const char *pattern);

#endif
