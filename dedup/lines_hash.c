/* lines_hash.c: line-level dedup phase 1 - every non-blank line's hash per input file,
 * externally sorted (spec: lines.h). */
#include "dedup/lines.h"

#include "core/args.h"
#include "core/buf.h"
#include "core/io.h"
#include "core/runner.h"
#include "dedup/extsort.h"
#include "dedup/fingerprint.h"
#include "dedup/uidsource.h"

#include <stdlib.h>
#include <string.h>

typedef struct line_hashes {
    wn_dedup_line_rec *v;
    size_t n, cap;
} line_hashes;

/* A batch slot frees its records after the batch unless they are at most this many or at
 * least half used: kept, every slot grew to the most lines any document it held had, so
 * memory grew with the corpus. */
#define SLOT_KEEP_RECORDS 1024

typedef struct hash_state {
    wn_dedup_uids uids;
    const wn_doc *base;
    line_hashes *per_doc;
    size_t cap;
    size_t held_max; /* the most records the slots kept between batches */
    wn_extsort *sorter;
    char err[512];
    int failed;
} hash_state;

static void hash_batch(void *p, wn_batch *b, wn_stats *stats)
{
    hash_state *s = p;
    (void)stats;
    if (s->cap < b->n) {
        s->per_doc = wn_xrealloc(s->per_doc, b->n * sizeof *s->per_doc);
        memset(s->per_doc + s->cap, 0, (b->n - s->cap) * sizeof *s->per_doc);
        s->cap = b->n;
    }
    s->base = b->docs;
}

static void hash_doc(void *p, wn_doc *d, wn_stats *stats)
{
    hash_state *s = p;
    line_hashes *lh = &s->per_doc[d - s->base];
    lh->n = 0;
    uint64_t uid = wn_dedup_uid_of(&s->uids, d);
    const char *t = d->text.ptr, *end = t + d->text.len;
    uint32_t line = 0;
    while (t <= end) {
        const char *nl = memchr(t, '\n', (size_t)(end - t));
        const char *le = nl ? nl : end;
        uint64_t h;
        if (wn_lines_hash(t, (size_t)(le - t), &h)) {
            if (lh->n == lh->cap) {
                lh->cap = lh->cap ? lh->cap * 2 : 64;
                lh->v = wn_xrealloc(lh->v, lh->cap * sizeof *lh->v);
            }
            lh->v[lh->n++] = (wn_dedup_line_rec){h, uid, line, 1};
        }
        line++;
        if (!nl) break;
        t = nl + 1;
    }
    wn_stats_add(stats, "lines", (double)lh->n);
}

static void hash_write(void *p, wn_batch *b, wn_stats *stats)
{
    hash_state *s = p;
    (void)stats;
    for (size_t i = 0; i < b->n && !s->failed; i++) {
        if (b->docs[i].drop_reason) continue;
        line_hashes *lh = &s->per_doc[i];
        for (size_t k = 0; k < lh->n && !s->failed; k++)
            if (wn_extsort_add(s->sorter, &lh->v[k], s->err, sizeof s->err)) s->failed = 1;
    }
    size_t held = 0;
    for (size_t i = 0; i < s->cap; i++) {
        line_hashes *lh = &s->per_doc[i];
        if (wn_buf_oversized(lh->cap, lh->n, SLOT_KEEP_RECORDS)) {
            free(lh->v);
            *lh = (line_hashes){0};
        }
        held += lh->cap;
    }
    if (held > s->held_max) s->held_max = held;
}

/* Merge runs into one file, one record per (hash, input file) with its count. */
static int aggregate_runs(char **runs, size_t n_runs, const char *config, const char *out_path,
                          uint32_t shard_index, uint32_t shard_count, char *err, size_t errlen)
{
    wn_merge *m = wn_merge_open(runs, n_runs, WN_DEDUP_KIND_LINES, config,
                                sizeof(wn_dedup_line_rec), wn_lines_rec_cmp, err, errlen);
    if (!m) return -1;
    wn_dedup_file *out = wn_dedup_file_create(out_path, WN_DEDUP_KIND_LINES, config,
                                              sizeof(wn_dedup_line_rec), shard_index,
                                              shard_count, err, errlen);
    if (!out) { wn_merge_close(m); return -1; }
    const wn_dedup_line_rec *r;
    wn_dedup_line_rec cur = {0};
    bool have = false;
    int rc = 0;
    while ((r = wn_merge_next(m)) != NULL && rc == 0) {
        if (have && r->hash == cur.hash && WN_DEDUP_UID_FILE(r->uid) == WN_DEDUP_UID_FILE(cur.uid)) {
            cur.count += r->count;
            continue;
        }
        if (have) rc = wn_dedup_file_write(out, &cur, sizeof cur, 1);
        cur = *r;
        have = true;
    }
    if (have && rc == 0) rc = wn_dedup_file_write(out, &cur, sizeof cur, 1);
    if (rc == 0 && wn_merge_error(m)) {
        snprintf(err, errlen, "%s", wn_merge_error(m));
        rc = -1;
    }
    wn_merge_close(m);
    if (rc) { wn_dedup_file_abort(out); return -1; }
    return wn_dedup_file_commit(out, err, errlen);
}

int wn_lines_hash_shard(const wn_lines_hash_opts *o, wn_stats *stats, char *err, size_t errlen)
{
    if (wn_mkdirs(o->outdir)) {
        snprintf(err, errlen, "cannot create directory '%s'", o->outdir);
        return -1;
    }
    hash_state s = {0};
    wn_dedup_uids_init(&s.uids, o->all_inputs, o->n_all_inputs, o->jsonl, 0);
    wn_buf prefix = WN_BUF_INIT, out = WN_BUF_INIT, files = WN_BUF_INIT;
    wn_buf_appendf(&prefix, "%s/lineruns-s%05u", o->outdir, o->shard_index);
    wn_buf_appendf(&out, "%s/lines-%05u.wlh", o->outdir, o->shard_index);
    wn_buf_appendf(&files, "%s/files-%05u.wfl", o->outdir, o->shard_index);
    wn_extsort_opts so = {.rec_size = sizeof(wn_dedup_line_rec), .cmp = wn_lines_rec_cmp,
                          .n_parts = 1, .mem_bytes = o->mem_bytes ? o->mem_bytes : 1u << 30,
                          .prefix = prefix.data, .suffix = ".wlh", .kind = WN_DEDUP_KIND_LINES,
                          .config = o->config, .shard_index = o->shard_index,
                          .shard_count = o->shard_count};
    s.sorter = wn_extsort_new(&so);

    wn_common_opts common;
    wn_common_init(&common);
    common.quiet = true;
    common.shard.index = o->shard_index;
    common.shard.count = o->shard_count;
    common.inputs = wn_xcalloc(o->n_all_inputs + 1, sizeof *common.inputs);
    for (size_t k = o->shard_index; k < o->n_all_inputs; k += o->shard_count)
        common.inputs[common.n_inputs++] = o->all_inputs[k];
    wn_stage hs = {.name = "dedup.line.hash", .state = &s, .process_doc = hash_doc,
                   .process_batch = hash_batch};
    wn_stage ws = {.name = "dedup.line.write", .state = &s, .process_batch = hash_write};
    wn_stage *stages[] = {&hs, &ws};
    wn_run_opts ro = {.command = "dedup-line-hash", .common = &common,
                      .open = wn_dedup_uid_source_open, .open_ctx = &s.uids, .stages = stages,
                      .n_stages = 2, .no_output = true};
    wn_run_result res;
    int rc = 0;
    if (wn_run(&ro, &res)) {
        snprintf(err, errlen, "reading the inputs of shard %u/%u failed", o->shard_index,
                 o->shard_count);
        rc = -1;
    } else if (s.failed) {
        snprintf(err, errlen, "%s", s.err);
        rc = -1;
    }
    if (stats) wn_stats_merge(stats, &res.stages[0]);
    wn_run_result_release(&res);
    free(common.inputs);
    char **runs = NULL;
    size_t n_runs = 0;
    if (rc == 0) rc = wn_extsort_finish(s.sorter, &runs, &n_runs, err, errlen);
    else wn_extsort_abort(s.sorter);
    if (rc == 0)
        rc = aggregate_runs(runs, n_runs, o->config, out.data, o->shard_index, o->shard_count,
                            err, errlen);
    for (size_t i = 0; i < n_runs; i++) remove(runs[i]);
    wn_free_strv(runs, n_runs);
    if (rc == 0) {
        wn_dedup_file *ff = wn_dedup_file_create(files.data, WN_DEDUP_KIND_FILES, o->config,
                                                 sizeof(wn_dedup_files_rec), o->shard_index,
                                                 o->shard_count, err, errlen);
        if (!ff) rc = -1;
        for (size_t k = o->shard_index; rc == 0 && k < o->n_all_inputs; k += o->shard_count) {
            wn_dedup_files_rec fr = {k, s.uids.file_docs[k]};
            rc = wn_dedup_file_write(ff, &fr, sizeof fr, 1);
        }
        if (ff) rc = rc == 0 ? wn_dedup_file_commit(ff, err, errlen) : (wn_dedup_file_abort(ff), -1);
    }
    if (rc == 0)
        rc = wn_dedup_fprint_write(o->outdir, o->all_inputs, o->n_all_inputs, o->shard_index,
                                   o->shard_count, o->config, err, errlen);
    if (o->held_records_max) *o->held_records_max = s.held_max;
    for (size_t i = 0; i < s.cap; i++) free(s.per_doc[i].v);
    free(s.per_doc);
    wn_dedup_uids_release(&s.uids);
    wn_buf_release(&prefix); wn_buf_release(&out); wn_buf_release(&files);
    return rc;
}
