/* lines_count.c: line-level dedup phase 2 - buckets, counts, the set of lines to remove,
 * and the saved index of line counts (spec: lines.h). */
#include "dedup/lines.h"

#include "core/args.h"
#include "core/buf.h"
#include "core/io.h"
#include "core/jsonl.h"
#include "dedup/extsort.h"

#include <stdlib.h>
#include <string.h>

int wn_lines_buckets(char **files_tables, size_t n, const char *config, uint64_t bucket_docs,
                     uint32_t **bucket_of, size_t *n_files, char *err, size_t errlen)
{
    uint64_t *docs = NULL;
    size_t nf = 0;
    for (size_t t = 0; t < n; t++) {
        wn_dedup_file *f = wn_dedup_file_open(files_tables[t], WN_DEDUP_KIND_FILES, config, err,
                                              errlen);
        if (!f) { free(docs); return -1; }
        wn_dedup_files_rec r;
        long got;
        while ((got = wn_dedup_file_read(f, &r, 1)) == 1) {
            if (r.file >= nf) {
                size_t nn = (size_t)r.file + 1;
                docs = wn_xrealloc(docs, nn * sizeof *docs);
                memset(docs + nf, 0, (nn - nf) * sizeof *docs);
                nf = nn;
            }
            docs[r.file] = r.docs;
        }
        wn_dedup_file_close(f);
        if (got < 0) {
            snprintf(err, errlen, "'%s' is corrupt", files_tables[t]);
            free(docs);
            return -1;
        }
    }
    /* consecutive whole files, at least bucket_docs documents per bucket */
    uint32_t *b = wn_xcalloc(nf ? nf : 1, sizeof *b);
    uint32_t bucket = 0;
    uint64_t in_bucket = 0;
    for (size_t i = 0; i < nf; i++) {
        b[i] = bucket;
        in_bucket += docs[i];
        if (in_bucket >= bucket_docs) { bucket++; in_bucket = 0; }
    }
    free(docs);
    *bucket_of = b;
    *n_files = nf;
    return 0;
}

static void top_offer(wn_dedup_lineset_rec *top, size_t n_top, size_t *n_have,
                      const wn_dedup_lineset_rec *r)
{
    if (!top || !n_top) return;
    /* keep the n_top largest by (count desc, hash asc), sorted */
    size_t pos = *n_have;
    while (pos > 0 && (top[pos - 1].count < r->count ||
                       (top[pos - 1].count == r->count && top[pos - 1].hash > r->hash)))
        pos--;
    if (pos >= n_top) return;
    size_t last = *n_have < n_top ? *n_have : n_top - 1;
    memmove(top + pos + 1, top + pos, (last - pos) * sizeof *top);
    top[pos] = *r;
    if (*n_have < n_top) (*n_have)++;
}

/* Merge of line-hash files, plus the saved index of `index_dir` when not NULL. */
static wn_merge *merge_with_index(char **line_files, size_t n_line_files, const char *index_dir,
                                  const char *config, char *err, size_t errlen)
{
    char **files = NULL;
    size_t n_files = 0;
    for (size_t i = 0; i < n_line_files; i++) wn_strv_push(&files, &n_files, line_files[i]);
    if (index_dir) {
        wn_buf ip = WN_BUF_INIT;
        wn_buf_appendf(&ip, "%s/lines-index.wlh", index_dir);
        wn_strv_push(&files, &n_files, ip.data);
        wn_buf_release(&ip);
    }
    wn_merge *m = wn_merge_open(files, n_files, WN_DEDUP_KIND_LINES, config,
                                sizeof(wn_dedup_line_rec), wn_lines_rec_cmp, err, errlen);
    wn_free_strv(files, n_files);
    return m;
}

/* The lines of one hash: an entry per bucket (first occurrence, count) and the count in
 * a saved index (old corpus), decided together when the hash ends. */
typedef struct hash_group {
    uint64_t hash;
    bool active;
    wn_dedup_lineset_rec *v;
    size_t n, cap;
    uint64_t index_count;
} hash_group;

static int flush_group(hash_group *g, const wn_lines_config *cfg, wn_dedup_file *out,
                       wn_lines_count_result *res, wn_dedup_lineset_rec *top, size_t n_top,
                       size_t *n_top_have)
{
    uint64_t limit = cfg->ccnet ? 1 : cfg->max_repeats;
    int rc = 0;
    for (size_t i = 0; i < g->n; i++) {
        wn_dedup_lineset_rec r = g->v[i];
        uint64_t new_count = r.count;
        r.count += g->index_count;
        if (r.count <= limit) continue;
        if (cfg->ccnet && g->index_count) {
            /* first seen in the old corpus: every new occurrence is a repeat */
            r.first_uid = WN_DEDUP_UID_INDEX;
            r.first_line = 0;
        }
        rc |= wn_dedup_file_write(out, &r, sizeof r, 1);
        res->removable_lines++;
        res->removable_occurrences += cfg->ccnet && !g->index_count ? new_count - 1 : new_count;
        top_offer(top, n_top, n_top_have, &r);
    }
    g->n = 0;
    g->index_count = 0;
    g->active = false;
    return rc;
}

int wn_lines_count(char **line_files, size_t n_line_files, char **files_tables,
                   size_t n_files_tables, const wn_lines_config *cfg, const char *config,
                   const char *lineset_path, wn_lines_count_result *res,
                   wn_dedup_lineset_rec *top, size_t n_top, char *err, size_t errlen)
{
    return wn_lines_count_index(line_files, n_line_files, files_tables, n_files_tables, NULL,
                                cfg, config, lineset_path, res, top, n_top, err, errlen);
}

int wn_lines_count_index(char **line_files, size_t n_line_files, char **files_tables,
                         size_t n_files_tables, const char *index_dir,
                         const wn_lines_config *cfg, const char *config,
                         const char *lineset_path, wn_lines_count_result *res,
                         wn_dedup_lineset_rec *top, size_t n_top, char *err, size_t errlen)
{
    memset(res, 0, sizeof *res);
    if (top) memset(top, 0, n_top * sizeof *top);
    uint32_t *bucket_of;
    size_t nf;
    if (wn_lines_buckets(files_tables, n_files_tables, config, cfg->bucket_docs, &bucket_of,
                         &nf, err, errlen))
        return -1;
    res->buckets = nf ? bucket_of[nf - 1] + 1 : 0;
    wn_merge *m = merge_with_index(line_files, n_line_files, index_dir, config, err, errlen);
    if (!m) { free(bucket_of); return -1; }
    wn_dedup_file *out = wn_dedup_file_create(lineset_path, WN_DEDUP_KIND_LINESET, config,
                                              sizeof(wn_dedup_lineset_rec), 0, 1, err, errlen);
    if (!out) { wn_merge_close(m); free(bucket_of); return -1; }
    hash_group g = {0};
    size_t n_top_have = 0;
    int rc = 0;
    const wn_dedup_line_rec *r;
    /* records come by (hash, uid, line): per hash, buckets in uid order (the first record
     * of a bucket is its first occurrence), index records (uid bit 63) last */
    while ((r = wn_merge_next(m)) != NULL) {
        if (g.active && r->hash != g.hash)
            rc |= flush_group(&g, cfg, out, res, top, n_top, &n_top_have);
        g.hash = r->hash;
        g.active = true;
        if (r->uid & WN_DEDUP_UID_INDEX) { /* the old corpus's count of this line */
            g.index_count += r->count;
            continue;
        }
        uint32_t file = WN_DEDUP_UID_FILE(r->uid);
        uint32_t bucket = file < nf ? bucket_of[file] : 0;
        if (g.n && g.v[g.n - 1].bucket == bucket) {
            g.v[g.n - 1].count += r->count;
            continue;
        }
        if (!g.n) res->distinct_lines++;
        if (g.n == g.cap) {
            g.cap = g.cap ? g.cap * 2 : 16;
            g.v = wn_xrealloc(g.v, g.cap * sizeof *g.v);
        }
        g.v[g.n++] = (wn_dedup_lineset_rec){r->hash, r->uid, r->line, bucket, r->count};
    }
    rc |= flush_group(&g, cfg, out, res, top, n_top, &n_top_have);
    free(g.v);
    if (rc == 0 && wn_merge_error(m)) {
        snprintf(err, errlen, "%s", wn_merge_error(m));
        rc = -1;
    } else if (rc) {
        snprintf(err, errlen, "cannot write '%s'", lineset_path);
    }
    wn_merge_close(m);
    free(bucket_of);
    if (rc) { wn_dedup_file_abort(out); return -1; }
    return wn_dedup_file_commit(out, err, errlen);
}

int wn_lines_index_save(const char *out_dir, const char *old_dir, char **line_files,
                        size_t n_line_files, const char *config, char *err, size_t errlen)
{
    if (wn_mkdirs(out_dir)) {
        snprintf(err, errlen, "cannot create directory '%s'", out_dir);
        return -1;
    }
    wn_merge *m = merge_with_index(line_files, n_line_files, old_dir, config, err, errlen);
    if (!m) return -1;
    wn_buf p = WN_BUF_INIT;
    wn_buf_appendf(&p, "%s/lines-index.wlh", out_dir);
    wn_dedup_file *out = wn_dedup_file_create(p.data, WN_DEDUP_KIND_LINES, config,
                                              sizeof(wn_dedup_line_rec), 0, 1, err, errlen);
    int rc = out ? 0 : -1;
    const wn_dedup_line_rec *r;
    wn_dedup_line_rec cur = {0};
    bool have = false;
    while (rc == 0 && (r = wn_merge_next(m)) != NULL) {
        if (have && r->hash == cur.hash) {
            uint64_t c = (uint64_t)cur.count + r->count;
            cur.count = c > UINT32_MAX ? UINT32_MAX : (uint32_t)c;
            continue;
        }
        if (have) rc = wn_dedup_file_write(out, &cur, sizeof cur, 1);
        cur = (wn_dedup_line_rec){r->hash, WN_DEDUP_UID_INDEX, 0, r->count};
        have = true;
    }
    if (rc == 0 && have) rc = wn_dedup_file_write(out, &cur, sizeof cur, 1);
    if (rc == 0 && wn_merge_error(m)) {
        snprintf(err, errlen, "%s", wn_merge_error(m));
        rc = -1;
    }
    wn_merge_close(m);
    if (out) rc = rc == 0 ? wn_dedup_file_commit(out, err, errlen) : (wn_dedup_file_abort(out), -1);
    if (rc == 0) {
        wn_buf_reset(&p);
        wn_buf_appendf(&p, "%s/index.json", out_dir);
        rc = wn_json_write_file(p.data, json_pack("{s:s,s:s}", "config", config, "kind", "lines"),
                                JSON_INDENT(1));
    }
    wn_buf_release(&p);
    return rc;
}
