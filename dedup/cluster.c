/* cluster.c: phase 4 - union-find over candidate edges, the keep rule, the removal set. */
#include "dedup/extsort.h"
#include "dedup/minhash.h"

#include "core/buf.h"
#include "core/io.h"

#include <stdlib.h>
#include <string.h>

static uint32_t uf_find(uint32_t *parent, uint32_t x)
{
    while (parent[x] != x) {
        parent[x] = parent[parent[x]]; /* path halving */
        x = parent[x];
    }
    return x;
}

/* Reads every edge of every file, calling fn(a, b). */
static int for_each_edge(char **files, size_t n, const char *config,
                         void (*fn)(void *ctx, uint64_t a, uint64_t b), void *ctx, char *err,
                         size_t errlen)
{
    enum { BLOCK = 4096 };
    wn_dedup_edge_rec *block = wn_xmalloc(BLOCK * sizeof *block);
    int rc = 0;
    for (size_t i = 0; i < n && rc == 0; i++) {
        wn_dedup_file *f = wn_dedup_file_open(files[i], WN_DEDUP_KIND_EDGES, config, err, errlen);
        if (!f) { rc = -1; break; }
        long got;
        while ((got = wn_dedup_file_read(f, block, BLOCK)) > 0)
            for (long k = 0; k < got; k++) fn(ctx, block[k].a, block[k].b);
        if (got < 0) {
            snprintf(err, errlen, "%s", wn_dedup_file_error(f));
            rc = -1;
        }
        wn_dedup_file_close(f);
    }
    free(block);
    return rc;
}

typedef struct collect_ctx {
    uint64_t *v;
    size_t n, cap, sorted; /* v[0..sorted) is sorted and unique */
} collect_ctx;

static void collect_edge(void *p, uint64_t a, uint64_t b)
{
    collect_ctx *c = p;
    if (c->n + 2 > c->cap) {
        /* compact before growing: keeps memory near 8 bytes per distinct uid */
        c->n = wn_u64_sort_unique(c->v, c->n);
        if (c->n + 2 > c->cap / 2) {
            c->cap = c->cap ? c->cap * 2 : 1 << 16;
            c->v = wn_xrealloc(c->v, c->cap * sizeof *c->v);
        }
    }
    c->v[c->n++] = a;
    c->v[c->n++] = b;
}

typedef struct union_ctx {
    const uint64_t *nodes;
    size_t n;
    uint32_t *parent;
} union_ctx;

static void union_edge(void *p, uint64_t a, uint64_t b)
{
    union_ctx *u = p;
    uint32_t ra = uf_find(u->parent, (uint32_t)wn_u64_find(u->nodes, u->n, a));
    uint32_t rb = uf_find(u->parent, (uint32_t)wn_u64_find(u->nodes, u->n, b));
    /* union by smallest index = smallest uid: the root names the cluster, whatever the
     * order the edges came in */
    if (ra < rb) u->parent[rb] = ra;
    else if (rb < ra) u->parent[ra] = rb;
}

/* Per clustered document: what the keep rule and the TSV need. */
typedef struct member {
    char *id, *date;
    uint64_t text_bytes;
} member;

/* Is a a better keeper than b? (total order, see minhash.h) */
static bool keeps_before(wn_dedup_keep rule, uint64_t ua, const member *a, uint64_t ub,
                         const member *b)
{
    bool ia = ua & WN_DEDUP_UID_INDEX, ib = ub & WN_DEDUP_UID_INDEX;
    if (ia != ib) return ia;
    if (rule != WN_KEEP_FIRST) {
        const char *da = a->date ? a->date : "", *db = b->date ? b->date : "";
        if (*da && !*db) return true;
        if (!*da && *db) return false;
        int c = strcmp(da, db);
        if (c) return rule == WN_KEEP_EARLIEST ? c < 0 : c > 0;
        const char *xa = a->id ? a->id : "", *xb = b->id ? b->id : "";
        c = strcmp(xa, xb);
        if (c) return c < 0;
    }
    return ua < ub;
}

static unsigned log2_bin(uint64_t size)
{
    unsigned k = 0;
    while (size >>= 1) k++;
    return k > 16 ? 16 : k;
}

int wn_dedup_cluster(char **edge_files, size_t n_edge_files, char **doc_files,
                     size_t n_doc_files, const char *config, wn_dedup_keep keep,
                     const char *clusters_path, const char *remove_path,
                     const char *clusters_tsv, wn_dedup_cluster_result *res, char *err,
                     size_t errlen)
{
    memset(res, 0, sizeof *res);
    collect_ctx cc = {0};
    if (for_each_edge(edge_files, n_edge_files, config, collect_edge, &cc, err, errlen)) {
        free(cc.v);
        return -1;
    }
    size_t n = wn_u64_sort_unique(cc.v, cc.n);
    uint64_t *nodes = cc.v;
    if (n >= UINT32_MAX) {
        snprintf(err, errlen, "too many clustered documents (%zu)", n);
        free(nodes);
        return -1;
    }
    uint32_t *parent = wn_xmalloc((n ? n : 1) * sizeof *parent);
    for (size_t i = 0; i < n; i++) parent[i] = (uint32_t)i;
    union_ctx uc = {nodes, n, parent};
    int rc = for_each_edge(edge_files, n_edge_files, config, union_edge, &uc, err, errlen);
    member *mem = wn_xcalloc(n ? n : 1, sizeof *mem);
    uint32_t *size = wn_xcalloc(n ? n : 1, sizeof *size);
    uint32_t *best = wn_xmalloc((n ? n : 1) * sizeof *best);
    for (size_t i = 0; i < n && rc == 0; i++) {
        parent[i] = uf_find(parent, (uint32_t)i);
        size[parent[i]]++;
    }
    /* The document tables: keep-rule keys of clustered documents, and totals. */
    for (size_t f = 0; f < n_doc_files && rc == 0; f++) {
        wn_dedup_file *df = wn_dedup_file_open(doc_files[f], WN_DEDUP_KIND_DOCS, config, err,
                                               errlen);
        if (!df) { rc = -1; break; }
        wn_dedup_doc_rec d;
        int r;
        while ((r = wn_dedup_doc_read(df, &d)) == 1) {
            res->docs++;
            size_t i = wn_u64_find(nodes, n, d.uid);
            if (i == SIZE_MAX) continue;
            mem[i].id = wn_xstrndup(d.id, d.id_len);
            mem[i].date = wn_xstrndup(d.date, d.date_len);
            mem[i].text_bytes = d.text_bytes;
        }
        if (r < 0) {
            snprintf(err, errlen, "%s", wn_dedup_file_error(df));
            rc = -1;
        }
        wn_dedup_file_close(df);
    }
    /* Keep rule: best member per root, in one pass in uid order. */
    for (size_t i = 0; i < n && rc == 0; i++) {
        uint32_t r = parent[i];
        if (r == i) best[r] = (uint32_t)i;
        else if (keeps_before(keep, nodes[i], &mem[i], nodes[best[r]], &mem[best[r]]))
            best[r] = (uint32_t)i;
    }
    wn_dedup_file *cf = NULL, *rf = NULL;
    wn_out *tsv = NULL;
    wn_buf line = WN_BUF_INIT;
    if (rc == 0) {
        cf = wn_dedup_file_create(clusters_path, WN_DEDUP_KIND_CLUSTERS, config,
                                  sizeof(wn_dedup_cluster_rec), 0, 1, err, errlen);
        rf = cf ? wn_dedup_file_create(remove_path, WN_DEDUP_KIND_REMOVE, config,
                                       sizeof(wn_dedup_remove_rec), 0, 1, err, errlen) : NULL;
        if (!cf || !rf) rc = -1;
    }
    if (rc == 0 && clusters_tsv) {
        tsv = wn_out_open(clusters_tsv, WN_COMP_AUTO, 0, err, errlen);
        if (!tsv) rc = -1;
    }
    /* Cluster numbers: rank of the root (smallest uid) among roots. */
    uint32_t *number = wn_xcalloc(n ? n : 1, sizeof *number);
    uint32_t next_number = 0;
    for (size_t i = 0; i < n && rc == 0; i++) {
        uint32_t r = parent[i];
        if (r == i) {
            number[i] = next_number++;
            res->clusters++;
            res->size_hist[log2_bin(size[i])]++;
        }
        res->clustered++;
        bool kept = best[r] == i;
        wn_dedup_cluster_rec c = {nodes[i], nodes[r], kept, size[r]};
        rc |= wn_dedup_file_write(cf, &c, sizeof c, 1);
        if (!kept && !(nodes[i] & WN_DEDUP_UID_INDEX)) {
            wn_dedup_remove_rec x = {nodes[i], nodes[best[r]]};
            rc |= wn_dedup_file_write(rf, &x, sizeof x, 1);
            res->removed++;
            res->removed_bytes += mem[i].text_bytes;
        }
        if (tsv) {
            wn_buf_reset(&line);
            if (mem[i].id) wn_buf_appends(&line, mem[i].id);
            else wn_buf_appendf(&line, "index:%llu",
                                (unsigned long long)(nodes[i] & ~WN_DEDUP_UID_INDEX));
            wn_buf_appendf(&line, "\t%u\n", number[r]);
            rc |= wn_out_write(tsv, line.data, line.len);
        }
        if (rc) snprintf(err, errlen, "cannot write '%s'", clusters_path);
    }
    wn_buf_release(&line);
    if (tsv) rc = rc == 0 ? wn_out_commit(tsv, err, errlen) : (wn_out_abort(tsv), -1);
    if (rc == 0) rc = wn_dedup_file_commit(cf, err, errlen);
    else wn_dedup_file_abort(cf);
    if (rc == 0) rc = wn_dedup_file_commit(rf, err, errlen);
    else wn_dedup_file_abort(rf);
    for (size_t i = 0; i < n; i++) {
        free(mem[i].id);
        free(mem[i].date);
    }
    free(mem); free(size); free(best); free(number); free(parent); free(nodes);
    return rc ? -1 : 0;
}

struct wn_dedup_removal {
    uint64_t *uids;
    size_t n;
};

wn_dedup_removal *wn_dedup_removal_load(const char *remove_path, const char *config,
                                        char *err, size_t errlen)
{
    wn_dedup_file *f = wn_dedup_file_open(remove_path, WN_DEDUP_KIND_REMOVE, config, err, errlen);
    if (!f) return NULL;
    wn_dedup_removal *r = wn_xcalloc(1, sizeof *r);
    uint64_t count = wn_dedup_file_header(f)->count;
    r->uids = wn_xmalloc((count ? count : 1) * sizeof *r->uids);
    wn_dedup_remove_rec block[1024];
    long got;
    while ((got = wn_dedup_file_read(f, block, 1024)) > 0)
        for (long i = 0; i < got; i++) r->uids[r->n++] = block[i].uid;
    if (got < 0) {
        snprintf(err, errlen, "%s", wn_dedup_file_error(f));
        wn_dedup_file_close(f);
        wn_dedup_removal_free(r);
        return NULL;
    }
    wn_dedup_file_close(f);
    return r;
}

bool wn_dedup_removal_has(const wn_dedup_removal *r, uint64_t uid)
{
    return wn_u64_find(r->uids, r->n, uid) != SIZE_MAX;
}

void wn_dedup_removal_free(wn_dedup_removal *r)
{
    if (!r) return;
    free(r->uids);
    free(r);
}
