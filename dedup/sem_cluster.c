/* sem_cluster.c: SemDeDup phases 2-4 (kmeans, assign, select) over the state files of
 * phase 1 (semantic.h, sem_files.h). Each phase reads and writes headered files, so it can
 * run alone (--phase) and refuses files of another config. */
#include "dedup/semantic.h"

#include "core/args.h"
#include "core/buf.h"
#include "core/io.h"
#include "dedup/extsort.h"
#include "dedup/format.h"
#include "dedup/sem_files.h"

#include <jansson.h>
#include <omp.h>
#include <stdlib.h>
#include <string.h>

/* Opens a row file (.wse) and gives its dimension (from the record size). */
static wn_dedup_file *rows_open(const wn_sem_state *st, const char *name, const char *config,
                                unsigned *d, char *err, size_t errlen)
{
    char *path = wn_sem_path(st, name);
    wn_dedup_file *f = wn_dedup_file_open(path, WN_DEDUP_KIND_SEM_ROWS, config, err, errlen);
    free(path);
    if (f) *d = (wn_dedup_file_header(f)->record_size - 8) / 4;
    return f;
}

static uint64_t rows_in(const wn_sem_state *st, const char *config, char *err, size_t errlen,
                        unsigned *d)
{
    wn_dedup_file *f = rows_open(st, WN_SEM_EMB, config, d, err, errlen);
    if (!f) return UINT64_MAX;
    uint64_t n = wn_dedup_file_header(f)->count;
    wn_dedup_file_close(f);
    return n;
}

/* Reads the vectors of n rows of a .wse into x[n*d]. */
static int read_rows(wn_dedup_file *f, unsigned d, size_t n, float *x, char *err, size_t errlen)
{
    enum { CHUNK = 256 };
    size_t rb = wn_sem_row_bytes(d);
    unsigned char *buf = wn_xmalloc(CHUNK * rb);
    size_t done = 0;
    while (done < n) {
        size_t want = n - done < CHUNK ? n - done : CHUNK;
        if (wn_dedup_file_read(f, buf, want) != (long)want) {
            snprintf(err, errlen, "%s", wn_dedup_file_error(f));
            free(buf);
            return -1;
        }
        for (size_t i = 0; i < want; i++)
            memcpy(x + (done + i) * d, buf + i * rb + 8, (size_t)d * 4);
        done += want;
    }
    free(buf);
    return 0;
}

/* ---- phase 2: k-means on the sample ---- */

int wn_sem_kmeans_phase(const wn_sem_config *c, const wn_sem_state *st, char *err,
                        size_t errlen)
{
    char config[WN_DEDUP_CONFIG_MAX + 1];
    wn_sem_config_text(c, config, sizeof config);
    unsigned d;
    uint64_t n = rows_in(st, config, err, errlen, &d);
    if (n == UINT64_MAX) return -1;
    wn_dedup_file *f = rows_open(st, WN_SEM_SAMPLE, config, &d, err, errlen);
    if (!f) return -1;
    size_t ns = (size_t)wn_dedup_file_header(f)->count;
    unsigned k = wn_sem_resolve_k(c, n);
    if (k > ns) k = ns ? (unsigned)ns : 1; /* a sample smaller than k: k-means can do no more */
    float *x = wn_xmalloc((ns ? ns : 1) * d * sizeof *x);
    float *cent = wn_xcalloc((size_t)k * d, sizeof *cent);
    uint32_t *assign = wn_xmalloc((ns ? ns : 1) * sizeof *assign);
    int rc = read_rows(f, d, ns, x, err, errlen);
    wn_dedup_file_close(f);
    if (rc == 0) wn_sem_kmeans(x, ns, d, k, c->iterations, c->seed, assign, cent);
    char *path = wn_sem_path(st, WN_SEM_CENTROIDS);
    wn_dedup_file *out = rc ? NULL : wn_dedup_file_create(path, WN_DEDUP_KIND_SEM_CENTROIDS,
                                                          config, d * 4, 0, 1, err, errlen);
    if (out) {
        if (wn_dedup_file_write(out, cent, (size_t)k * d * 4, k)) {
            snprintf(err, errlen, "cannot write '%s'", path);
            wn_dedup_file_abort(out);
            rc = -1;
        } else {
            rc = wn_dedup_file_commit(out, err, errlen);
        }
    } else {
        rc = -1;
    }
    free(path);
    free(x);
    free(cent);
    free(assign);
    return rc;
}

/* ---- phase 3: nearest centroid for every row; rows sorted by (cluster, uid) ---- */

static int crow_cmp(const void *a, const void *b)
{
    uint32_t ca, cb;
    uint64_t ua, ub;
    memcpy(&ca, a, 4); memcpy(&cb, b, 4);
    if (ca != cb) return ca < cb ? -1 : 1;
    memcpy(&ua, (const char *)a + 8, 8); memcpy(&ub, (const char *)b + 8, 8);
    return ua < ub ? -1 : ua > ub;
}

static void glob_state(const wn_sem_state *st, const char *pattern, char ***out, size_t *n)
{
    char *pat = wn_sem_path(st, pattern);
    wn_dedup_glob(pat, out, n);
    free(pat);
}

static void remove_state(const wn_sem_state *st, const char *pattern)
{
    char *pat = wn_sem_path(st, pattern);
    wn_dedup_remove_glob(pat);
    free(pat);
}

static float *load_centroids(const wn_sem_state *st, const char *config, unsigned d,
                             unsigned *k, char *err, size_t errlen)
{
    char *path = wn_sem_path(st, WN_SEM_CENTROIDS);
    wn_dedup_file *f = wn_dedup_file_open(path, WN_DEDUP_KIND_SEM_CENTROIDS, config, err, errlen);
    float *cent = NULL;
    if (f && wn_dedup_file_header(f)->record_size != d * 4) {
        snprintf(err, errlen, "'%s' has centroids of dimension %u, the rows have %u", path,
                 wn_dedup_file_header(f)->record_size / 4, d);
    } else if (f) {
        *k = (unsigned)wn_dedup_file_header(f)->count;
        cent = wn_xmalloc(((size_t)*k * d + 1) * sizeof *cent);
        if (wn_dedup_file_read(f, cent, *k) != (long)*k) {
            snprintf(err, errlen, "%s", wn_dedup_file_error(f));
            free(cent);
            cent = NULL;
        }
    }
    wn_dedup_file_close(f);
    free(path);
    return cent;
}

/* Assigns one chunk of rows (in parallel: each row alone) and hands them on in order. */
static int assign_chunk(const unsigned char *buf, size_t n, unsigned d, const float *cent,
                        unsigned k, uint32_t *cl, unsigned char *crow, wn_extsort *sorter,
                        wn_dedup_file *assign, char *err, size_t errlen)
{
    size_t rb = wn_sem_row_bytes(d);
#pragma omp parallel for schedule(static)
    for (long i = 0; i < (long)n; i++)
        cl[i] = wn_sem_nearest((const float *)(buf + (size_t)i * rb + 8), cent, k, d);
    for (size_t i = 0; i < n; i++) {
        wn_sem_assign_rec a = {0, cl[i], 0};
        memcpy(&a.uid, buf + i * rb, 8);
        memcpy(crow, &cl[i], 4); /* bytes 4..7 stay zero (calloc) */
        memcpy(crow + 8, buf + i * rb, rb); /* uid, then the row */
        if (wn_extsort_add(sorter, crow, err, errlen)) return -1;
        if (wn_dedup_file_write(assign, &a, sizeof a, 1)) {
            snprintf(err, errlen, "cannot write the cluster assignment (disk full?)");
            return -1;
        }
    }
    return 0;
}

int wn_sem_assign_phase(const wn_sem_config *c, const wn_sem_state *st, char *err,
                        size_t errlen)
{
    enum { CHUNK = 1024 };
    char config[WN_DEDUP_CONFIG_MAX + 1];
    wn_sem_config_text(c, config, sizeof config);
    unsigned d, k = 0;
    wn_dedup_file *in = rows_open(st, WN_SEM_EMB, config, &d, err, errlen);
    if (!in) return -1;
    float *cent = load_centroids(st, config, d, &k, err, errlen);
    if (!cent) { wn_dedup_file_close(in); return -1; }
    remove_state(st, WN_SEM_ROWS "-*" WN_SEM_ROWS_SUFFIX); /* runs of an earlier try */
    char *prefix = wn_sem_path(st, WN_SEM_ROWS), *apath = wn_sem_path(st, WN_SEM_ASSIGN);
    wn_extsort_opts so = {.rec_size = wn_sem_crow_bytes(d), .cmp = crow_cmp, .n_parts = 1,
                          .mem_bytes = st->mem_bytes, .prefix = prefix,
                          .suffix = WN_SEM_ROWS_SUFFIX, .kind = WN_DEDUP_KIND_SEM_CLUSTER_ROWS,
                          .config = config, .shard_count = 1};
    wn_extsort *sorter = wn_extsort_new(&so);
    wn_dedup_file *assign = wn_dedup_file_create(apath, WN_DEDUP_KIND_SEM_ASSIGN, config,
                                                 sizeof(wn_sem_assign_rec), 0, 1, err, errlen);
    size_t rb = wn_sem_row_bytes(d);
    unsigned char *buf = wn_xmalloc(CHUNK * rb), *crow = wn_xcalloc(1, wn_sem_crow_bytes(d));
    uint32_t *cl = wn_xmalloc(CHUNK * sizeof *cl);
    int rc = assign ? 0 : -1;
    long got;
    while (rc == 0 && (got = wn_dedup_file_read(in, buf, CHUNK)) != 0) {
        if (got < 0) {
            snprintf(err, errlen, "%s", wn_dedup_file_error(in));
            rc = -1;
        } else {
            rc = assign_chunk(buf, (size_t)got, d, cent, k, cl, crow, sorter, assign, err, errlen);
        }
    }
    char **runs = NULL;
    size_t n_runs = 0;
    if (rc == 0) {
        rc = wn_extsort_finish(sorter, &runs, &n_runs, err, errlen);
        sorter = NULL;
    }
    if (rc == 0) rc = wn_dedup_file_commit(assign, err, errlen);
    else wn_dedup_file_abort(assign);
    wn_extsort_abort(sorter);
    wn_free_strv(runs, n_runs);
    wn_dedup_file_close(in);
    free(buf); free(crow); free(cl); free(cent); free(prefix); free(apath);
    return rc;
}

/* ---- phase 4: selection, cluster by cluster ---- */

typedef struct removals {
    wn_extsort *sorter; /* removals come in cluster order; the removal file is by uid */
    uint64_t n;
    char err[512];
} removals;

static int on_remove(void *ctx, uint64_t uid, uint64_t kept)
{
    removals *r = ctx;
    wn_dedup_remove_rec rec = {uid, kept};
    r->n++;
    return wn_extsort_add(r->sorter, &rec, r->err, sizeof r->err);
}

static int uid_cmp(const void *a, const void *b)
{
    uint64_t x, y;
    memcpy(&x, a, 8);
    memcpy(&y, b, 8);
    return x < y ? -1 : x > y;
}

/* Streams the sorted rows through the selector. */
static int select_rows(const wn_sem_config *c, const wn_sem_state *st, const char *config,
                       unsigned d, removals *rm, uint64_t *blocked, char *err, size_t errlen)
{
    char **runs;
    size_t n_runs;
    glob_state(st, WN_SEM_ROWS "-*" WN_SEM_ROWS_SUFFIX, &runs, &n_runs);
    wn_merge *m = wn_merge_open(runs, n_runs, WN_DEDUP_KIND_SEM_CLUSTER_ROWS, config,
                                wn_sem_crow_bytes(d), crow_cmp, err, errlen);
    wn_free_strv(runs, n_runs);
    if (!m) return -1;
    char *spill = wn_sem_path(st, WN_SEM_SPILL);
    /* 3/4 of the budget for rows; the rest for the removal sorter and the merge blocks */
    wn_sem_selector *s = wn_sem_selector_new(d, c->eps, st->mem_bytes / 4 * 3, spill, on_remove,
                                             rm);
    free(spill);
    const unsigned char *rec;
    int rc = 0;
    while (rc == 0 && (rec = wn_merge_next(m))) {
        uint32_t cl;
        uint64_t uid;
        memcpy(&cl, rec, 4);
        memcpy(&uid, rec + 8, 8);
        rc = wn_sem_selector_add(s, cl, uid, (const float *)(rec + 16), err, errlen);
    }
    if (rc == 0 && wn_merge_error(m)) {
        snprintf(err, errlen, "%s", wn_merge_error(m));
        rc = -1;
    }
    int frc = wn_sem_selector_finish(s, blocked, err, errlen);
    wn_merge_close(m);
    return rc ? rc : frc;
}

/* Merges the sorted removal runs into the removal file (kind 6, by uid). */
static int write_removals(const wn_sem_state *st, const char *config, removals *rm, char *err,
                          size_t errlen)
{
    char **runs = NULL;
    size_t n_runs = 0;
    int rc = wn_extsort_finish(rm->sorter, &runs, &n_runs, err, errlen);
    rm->sorter = NULL;
    wn_merge *m = rc ? NULL : wn_merge_open(runs, n_runs, WN_DEDUP_KIND_REMOVE, config,
                                            sizeof(wn_dedup_remove_rec), uid_cmp, err, errlen);
    char *path = wn_sem_path(st, WN_SEM_REMOVE);
    wn_dedup_file *f = m ? wn_dedup_file_create(path, WN_DEDUP_KIND_REMOVE, config,
                                                sizeof(wn_dedup_remove_rec), 0, 1, err, errlen)
                         : NULL;
    rc = f ? 0 : -1;
    const void *rec;
    while (rc == 0 && (rec = wn_merge_next(m)))
        rc = wn_dedup_file_write(f, rec, sizeof(wn_dedup_remove_rec), 1);
    if (rc == 0 && wn_merge_error(m)) {
        snprintf(err, errlen, "%s", wn_merge_error(m));
        rc = -1;
    }
    if (f) rc = rc == 0 ? wn_dedup_file_commit(f, err, errlen) : (wn_dedup_file_abort(f), -1);
    wn_merge_close(m);
    for (size_t i = 0; i < n_runs; i++) remove(runs[i]);
    wn_free_strv(runs, n_runs);
    free(path);
    return rc;
}

/* Documents, their clusters and the removal set, all by uid: read in step. */
typedef struct report_in {
    wn_dedup_file *docs, *assign, *remove;
    wn_dedup_remove_rec next_removed;
    bool have_removed;
} report_in;

static int report_open(report_in *in, const wn_sem_state *st, const char *config, char *err,
                       size_t errlen)
{
    memset(in, 0, sizeof *in);
    char *p[3] = {wn_sem_path(st, WN_SEM_DOCS), wn_sem_path(st, WN_SEM_ASSIGN),
                  wn_sem_path(st, WN_SEM_REMOVE)};
    in->docs = wn_dedup_file_open(p[0], WN_DEDUP_KIND_DOCS, config, err, errlen);
    if (in->docs) in->assign = wn_dedup_file_open(p[1], WN_DEDUP_KIND_SEM_ASSIGN, config, err, errlen);
    if (in->assign) in->remove = wn_dedup_file_open(p[2], WN_DEDUP_KIND_REMOVE, config, err, errlen);
    for (int i = 0; i < 3; i++) free(p[i]);
    if (in->remove) in->have_removed = wn_dedup_file_read(in->remove, &in->next_removed, 1) == 1;
    return in->remove ? 0 : -1;
}

static void report_close(report_in *in)
{
    wn_dedup_file_close(in->docs);
    wn_dedup_file_close(in->assign);
    wn_dedup_file_close(in->remove);
}

/* One pass over the documents: removed bytes, and the --clusters TSV when asked. */
static int report_pass(const wn_sem_state *st, const char *config, const char *tsv_path,
                       uint64_t *removed_bytes, char *err, size_t errlen)
{
    report_in in;
    int rc = report_open(&in, st, config, err, errlen);
    wn_out *tsv = rc == 0 && tsv_path ? wn_out_open(tsv_path, WN_COMP_AUTO, 0, err, errlen) : NULL;
    if (tsv_path && !tsv) rc = -1;
    wn_buf line = WN_BUF_INIT;
    wn_dedup_doc_rec dr;
    int got = 0;
    while (rc == 0 && (got = wn_dedup_doc_read(in.docs, &dr)) == 1) {
        wn_sem_assign_rec a;
        if (wn_dedup_file_read(in.assign, &a, 1) != 1 || a.uid != dr.uid) {
            snprintf(err, errlen, "'%s' and '%s' are out of step: run the phases again",
                     wn_dedup_file_path(in.docs), wn_dedup_file_path(in.assign));
            rc = -1;
            break;
        }
        bool removed = in.have_removed && in.next_removed.uid == dr.uid;
        if (removed) {
            *removed_bytes += dr.text_bytes;
            in.have_removed = wn_dedup_file_read(in.remove, &in.next_removed, 1) == 1;
        }
        if (!tsv) continue;
        wn_buf_reset(&line);
        wn_buf_appendf(&line, "%.*s\t%u\t%s\n", (int)dr.id_len, dr.id, a.cluster,
                       removed ? "removed" : "kept");
        rc = wn_out_write(tsv, line.data, line.len);
    }
    if (rc == 0 && got < 0) {
        snprintf(err, errlen, "%s", wn_dedup_file_error(in.docs));
        rc = -1;
    }
    wn_buf_release(&line);
    if (tsv) rc = rc == 0 ? wn_out_commit(tsv, err, errlen) : (wn_out_abort(tsv), -1);
    report_close(&in);
    return rc;
}

/* Sizes the report names: k (centroids), sample rows. */
static uint64_t file_count(const wn_sem_state *st, const char *name, wn_dedup_kind kind,
                           const char *config)
{
    char err[256], *path = wn_sem_path(st, name);
    wn_dedup_file *f = wn_dedup_file_open(path, kind, config, err, sizeof err);
    free(path);
    uint64_t n = f ? wn_dedup_file_header(f)->count : 0;
    wn_dedup_file_close(f);
    return n;
}

int wn_sem_select_phase(const wn_sem_config *c, const wn_sem_state *st,
                        const char *clusters_tsv, char *err, size_t errlen)
{
    char config[WN_DEDUP_CONFIG_MAX + 1];
    wn_sem_config_text(c, config, sizeof config);
    unsigned d;
    uint64_t n = rows_in(st, config, err, errlen, &d);
    if (n == UINT64_MAX) return -1;
    removals rm = {0};
    char *prefix = wn_sem_path(st, WN_SEM_REMOVE_RUNS);
    remove_state(st, WN_SEM_REMOVE_RUNS "-*");
    wn_extsort_opts so = {.rec_size = sizeof(wn_dedup_remove_rec), .cmp = uid_cmp, .n_parts = 1,
                          .mem_bytes = st->mem_bytes / 8, .prefix = prefix, .suffix = ".wrr",
                          .kind = WN_DEDUP_KIND_REMOVE, .config = config, .shard_count = 1};
    rm.sorter = wn_extsort_new(&so);
    free(prefix);
    uint64_t blocked = 0, removed_bytes = 0;
    int rc = select_rows(c, st, config, d, &rm, &blocked, err, errlen);
    if (rc && rm.err[0]) snprintf(err, errlen, "%s", rm.err);
    if (rc == 0) rc = write_removals(st, config, &rm, err, errlen);
    wn_extsort_abort(rm.sorter);
    if (rc == 0) rc = report_pass(st, config, clusters_tsv, &removed_bytes, err, errlen);
    if (rc) return -1;
    json_t *j = json_pack("{s:s,s:I,s:i,s:i,s:I,s:f,s:I,s:I,s:I}", "config", config,
                          "documents", (json_int_t)n, "k",
                          (int)file_count(st, WN_SEM_CENTROIDS, WN_DEDUP_KIND_SEM_CENTROIDS, config),
                          "dim", (int)d, "removed", (json_int_t)rm.n, "eps", c->eps,
                          "kmeans_sample",
                          (json_int_t)file_count(st, WN_SEM_SAMPLE, WN_DEDUP_KIND_SEM_ROWS, config),
                          "removed_bytes", (json_int_t)removed_bytes,
                          "clusters_in_blocks", (json_int_t)blocked);
    char *path = wn_sem_path(st, WN_SEM_REPORT);
    rc = wn_json_write_file(path, j, JSON_INDENT(1));
    free(path);
    return rc;
}
