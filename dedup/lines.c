/* lines.c: line-level dedup (Llama 3 / CCNet) - hash, count, apply (spec: lines.h). */
#include "dedup/lines.h"

#include "core/args.h"
#include "core/buf.h"
#include "core/io.h"
#include "core/runner.h"
#include "dedup/extsort.h"
#include "dedup/uidsource.h"

#include <omp.h>
#include <stdlib.h>
#include <string.h>
#define XXH_STATIC_LINKING_ONLY /* XXH3_state_t on the stack */
#include <xxhash.h>

void wn_lines_config_default(wn_lines_config *c)
{
    c->bucket_docs = 30000000; /* Llama 3: buckets of 30M documents */
    c->max_repeats = 6;        /* Llama 3: lines seen more than 6 times */
    c->ccnet = false;
}

void wn_lines_config_text(const wn_lines_config *c, char *out, size_t n)
{
    if (c->ccnet)
        snprintf(out, n, "lines v1 bucket=%llu mode=ccnet", (unsigned long long)c->bucket_docs);
    else
        snprintf(out, n, "lines v1 bucket=%llu max=%u mode=llama3",
                 (unsigned long long)c->bucket_docs, c->max_repeats);
}

static bool is_ws(unsigned char c)
{
    return c == ' ' || (c >= '\t' && c <= '\r');
}

bool wn_lines_hash(const char *line, size_t len, uint64_t *hash)
{
    XXH3_state_t st;
    XXH3_64bits_reset(&st);
    char buf[512];
    size_t bl = 0, i = 0;
    bool any = false;
    while (i < len) {
        while (i < len && is_ws((unsigned char)line[i])) i++;
        if (i >= len) break;
        if (any) buf[bl++] = ' ';
        while (i < len && !is_ws((unsigned char)line[i])) {
            unsigned char c = (unsigned char)line[i++];
            buf[bl++] = (char)(c >= 'A' && c <= 'Z' ? c + 32 : c);
            if (bl >= sizeof buf - 1) {
                XXH3_64bits_update(&st, buf, bl);
                bl = 0;
            }
        }
        any = true;
    }
    if (bl) XXH3_64bits_update(&st, buf, bl);
    *hash = XXH3_64bits_digest(&st);
    return any;
}

static int line_rec_cmp(const void *pa, const void *pb)
{
    const wn_dedup_line_rec *a = pa, *b = pb;
    if (a->hash != b->hash) return a->hash < b->hash ? -1 : 1;
    if (a->uid != b->uid) return a->uid < b->uid ? -1 : 1;
    return a->line < b->line ? -1 : a->line > b->line;
}

/* ---- phase 1: hash ---- */

typedef struct line_hashes {
    wn_dedup_line_rec *v;
    size_t n, cap;
} line_hashes;

typedef struct hash_state {
    wn_dedup_uids uids;
    const wn_doc *base;
    line_hashes *per_doc;
    size_t cap;
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
}

/* Merge runs into one file, one record per (hash, input file) with its count. */
static int aggregate_runs(char **runs, size_t n_runs, const char *config, const char *out_path,
                          uint32_t shard_index, uint32_t shard_count, char *err, size_t errlen)
{
    wn_merge *m = wn_merge_open(runs, n_runs, WN_DEDUP_KIND_LINES, config,
                                sizeof(wn_dedup_line_rec), line_rec_cmp, err, errlen);
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
    wn_extsort_opts so = {.rec_size = sizeof(wn_dedup_line_rec), .cmp = line_rec_cmp,
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
    wn_stage hs = {"dedup.line.hash", &s, hash_doc, hash_batch, NULL, NULL};
    wn_stage ws = {"dedup.line.write", &s, NULL, hash_write, NULL, NULL};
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
    for (size_t i = 0; i < s.cap; i++) free(s.per_doc[i].v);
    free(s.per_doc);
    wn_dedup_uids_release(&s.uids);
    wn_buf_release(&prefix); wn_buf_release(&out); wn_buf_release(&files);
    return rc;
}

/* ---- phase 2: count ---- */

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
                                sizeof(wn_dedup_line_rec), line_rec_cmp, err, errlen);
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

/* ---- phase 3: apply ---- */

typedef struct top_line {
    uint64_t hash, count;
    uint32_t bucket;
    uint64_t sample_uid;
    uint32_t sample_line;
    char *text;
} top_line;

typedef struct apply_state {
    wn_dedup_uids *uids;
    wn_dedup_lineset_rec *recs;
    size_t n_recs;
    uint32_t *table;   /* open addressing: index+1 into recs, 0 = empty */
    size_t mask;
    uint32_t *bucket_of;
    size_t n_files;
    bool ccnet;
    top_line top[20];
    size_t n_top;
    char *report_path;
} apply_state;

static uint64_t mix_key(uint64_t hash, uint32_t bucket)
{
    uint64_t k = hash ^ ((uint64_t)bucket * 0x9e3779b97f4a7c15ull);
    return k ^ (k >> 29);
}

static const wn_dedup_lineset_rec *lookup(const apply_state *s, uint64_t hash, uint32_t bucket)
{
    size_t i = (size_t)mix_key(hash, bucket) & s->mask;
    while (s->table[i]) {
        const wn_dedup_lineset_rec *r = &s->recs[s->table[i] - 1];
        if (r->hash == hash && r->bucket == bucket) return r;
        i = (i + 1) & s->mask;
    }
    return NULL;
}

static void apply_doc(void *p, wn_doc *d, wn_stats *stats)
{
    apply_state *s = p;
    uint64_t uid = wn_dedup_uid_of(s->uids, d);
    uint32_t file = WN_DEDUP_UID_FILE(uid);
    uint32_t bucket = file < s->n_files ? s->bucket_of[file] : 0;
    const char *t = d->text.ptr, *end = t + d->text.len;
    wn_buf kept = WN_BUF_INIT;
    uint32_t line = 0, removed = 0, content_left = 0;
    uint64_t removed_bytes = 0;
    bool first_out = true;
    while (t <= end) {
        const char *nl = memchr(t, '\n', (size_t)(end - t));
        const char *le = nl ? nl : end;
        uint64_t h;
        bool drop = false;
        if (wn_lines_hash(t, (size_t)(le - t), &h)) {
            const wn_dedup_lineset_rec *r = lookup(s, h, bucket);
            if (r && !(s->ccnet && r->first_uid == uid && r->first_line == line)) drop = true;
            if (r) {
                for (size_t k = 0; k < s->n_top; k++) {
                    top_line *tl = &s->top[k];
                    if (tl->hash != h || tl->bucket != bucket) continue;
#pragma omp critical(wn_lines_top)
                    if (!tl->text || uid < tl->sample_uid ||
                        (uid == tl->sample_uid && line < tl->sample_line)) {
                        free(tl->text);
                        tl->text = wn_xstrndup(t, (size_t)(le - t));
                        tl->sample_uid = uid;
                        tl->sample_line = line;
                    }
                }
            }
            if (!drop) content_left++;
        }
        if (drop) {
            removed++;
            removed_bytes += (uint64_t)(le - t) + (nl ? 1 : 0);
        } else {
            if (!first_out) wn_buf_appendc(&kept, '\n');
            wn_buf_append(&kept, t, (size_t)(le - t));
            first_out = false;
        }
        line++;
        if (!nl) break;
        t = nl + 1;
    }
    if (removed) {
        wn_stats_add(stats, "lines_removed", removed);
        wn_stats_add(stats, "line_bytes_removed", (double)removed_bytes);
        wn_stats_hist(stats, "lines_removed_per_doc", 0, 64, 64, removed);
        wn_doc_attr_set(d, "dedup_line_removed", json_integer(removed));
        if (content_left == 0) {
            d->drop_reason = "dedup.line.empty";
            wn_buf_release(&kept);
            return;
        }
        size_t len;
        char *txt = wn_buf_detach(&kept, &len);
        if (!txt) txt = wn_xstrdup(""), len = 0;
        wn_str_take(&d->text, txt, len);
    }
    wn_buf_release(&kept);
}

static int apply_finish(void *p, wn_stats *stats)
{
    apply_state *s = p;
    (void)stats;
    if (!s->report_path) return 0;
    json_t *arr = json_array();
    for (size_t k = 0; k < s->n_top; k++) {
        json_t *o = json_pack("{s:I,s:I,s:s?}", "count", (json_int_t)s->top[k].count, "bucket",
                              (json_int_t)s->top[k].bucket, "text", s->top[k].text);
        json_array_append_new(arr, o);
    }
    json_t *j = json_pack("{s:o}", "top_lines", arr);
    return wn_json_write_file(s->report_path, j, JSON_INDENT(1));
}

static void apply_release(void *p)
{
    apply_state *s = p;
    for (size_t k = 0; k < s->n_top; k++) free(s->top[k].text);
    free(s->recs);
    free(s->table);
    free(s->bucket_of);
    free(s->report_path);
    free(s);
}

wn_stage *wn_lines_stage_new(const char *lineset_path, char **files_tables, size_t n_tables,
                             const wn_lines_config *cfg, const char *config,
                             struct wn_dedup_uids *uids, const char *report_path, char *err,
                             size_t errlen)
{
    wn_dedup_file *f = wn_dedup_file_open(lineset_path, WN_DEDUP_KIND_LINESET, config, err, errlen);
    if (!f) return NULL;
    apply_state *s = wn_xcalloc(1, sizeof *s);
    s->uids = uids;
    s->ccnet = cfg->ccnet;
    uint64_t n = wn_dedup_file_header(f)->count;
    if (n >= UINT32_MAX) {
        snprintf(err, errlen, "'%s' holds too many lines (%llu)", lineset_path,
                 (unsigned long long)n);
        wn_dedup_file_close(f);
        free(s);
        return NULL;
    }
    s->recs = wn_xmalloc((n ? n : 1) * sizeof *s->recs);
    long got = n ? wn_dedup_file_read(f, s->recs, n) : 0;
    wn_dedup_file_close(f);
    if (got < 0 || (uint64_t)got != n) {
        snprintf(err, errlen, "'%s' is truncated", lineset_path);
        apply_release(s);
        return NULL;
    }
    s->n_recs = n;
    size_t size = 16;
    while (size < 2 * n) size <<= 1;
    s->mask = size - 1;
    s->table = wn_xcalloc(size, sizeof *s->table);
    for (size_t i = 0; i < n; i++) {
        size_t k = (size_t)mix_key(s->recs[i].hash, s->recs[i].bucket) & s->mask;
        while (s->table[k]) k = (k + 1) & s->mask;
        s->table[k] = (uint32_t)(i + 1);
        /* top lines: by count desc, then hash, bucket (a total order) */
        top_line cand = {s->recs[i].hash, s->recs[i].count, s->recs[i].bucket, 0, 0, NULL};
        size_t pos = s->n_top;
        while (pos > 0 && (s->top[pos - 1].count < cand.count ||
                           (s->top[pos - 1].count == cand.count &&
                            (s->top[pos - 1].hash > cand.hash ||
                             (s->top[pos - 1].hash == cand.hash &&
                              s->top[pos - 1].bucket > cand.bucket)))))
            pos--;
        if (pos < 20) {
            size_t last = s->n_top < 20 ? s->n_top : 19;
            memmove(s->top + pos + 1, s->top + pos, (last - pos) * sizeof *s->top);
            s->top[pos] = cand;
            if (s->n_top < 20) s->n_top++;
        }
    }
    size_t nf;
    if (wn_lines_buckets(files_tables, n_tables, config, cfg->bucket_docs, &s->bucket_of, &nf,
                         err, errlen)) {
        apply_release(s);
        return NULL;
    }
    s->n_files = nf;
    if (report_path) s->report_path = wn_xstrdup(report_path);
    wn_stage *st = wn_xcalloc(1, sizeof *st);
    st->name = "dedup.line";
    st->state = s;
    st->process_doc = apply_doc;
    st->finish = apply_finish;
    st->release = apply_release;
    return st;
}
