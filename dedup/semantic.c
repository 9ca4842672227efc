/* semantic.c: SemDeDup - embeddings, spherical k-means, in-cluster selection. */
#include "dedup/semantic.h"

#include "core/args.h"
#include "core/buf.h"
#include "core/io.h"
#include "core/runner.h"
#include "dedup/format.h"
#include "dedup/minhash.h"
#include "dedup/uidsource.h"

#include <math.h>
#include <omp.h>
#include <stdlib.h>
#include <string.h>
#include <xxhash.h>

#define FEATURE_BITS 20
#define N_FEATURES (1u << FEATURE_BITS)

void wn_sem_config_default(wn_sem_config *c)
{
    memset(c, 0, sizeof *c);
    c->dim = 256;
    c->eps = 0.05;
    c->iterations = 20;
    c->seed = 1;
}

void wn_sem_config_text(const wn_sem_config *c, char *out, size_t n)
{
    snprintf(out, n, "semantic v1 k=%u eps=%g iter=%u seed=%llu dim=%u emb=%s", c->k, c->eps,
             c->iterations, (unsigned long long)c->seed, c->dim,
             c->embeddings ? "file" : "builtin");
}

/* Distinct features of a text (word and bigram hashes) with their counts. */
typedef struct feats {
    uint64_t *words;
    size_t wcap;
    uint32_t *f;
    size_t n, cap;
} feats;

static int u32_cmp(const void *pa, const void *pb)
{
    uint32_t a = *(const uint32_t *)pa, b = *(const uint32_t *)pb;
    return a < b ? -1 : a > b;
}

static size_t text_features(const char *text, size_t len, feats *ft)
{
    size_t nw = wn_dedup_word_hashes(text, len, &ft->words, &ft->wcap);
    size_t need = nw ? 2 * nw - 1 : 0;
    if (need > ft->cap) {
        ft->cap = need;
        ft->f = wn_xrealloc(ft->f, ft->cap * sizeof *ft->f);
    }
    ft->n = 0;
    for (size_t i = 0; i < nw; i++) {
        ft->f[ft->n++] = (uint32_t)(ft->words[i] & (N_FEATURES - 1));
        if (i + 1 < nw) {
            uint64_t b = (ft->words[i] * 0x9e3779b97f4a7c15ull) ^ ft->words[i + 1];
            b ^= b >> 31;
            ft->f[ft->n++] = (uint32_t)((b * 0xbf58476d1ce4e5b9ull) >> (64 - FEATURE_BITS));
        }
    }
    qsort(ft->f, ft->n, sizeof *ft->f, u32_cmp);
    return ft->n;
}

static void embed_features(const feats *ft, const uint32_t *df, uint64_t n_docs, unsigned dim,
                           uint64_t seed, float *out)
{
    memset(out, 0, dim * sizeof *out);
    for (size_t i = 0; i < ft->n;) {
        size_t j = i;
        while (j < ft->n && ft->f[j] == ft->f[i]) j++;
        uint32_t f = ft->f[i];
        double idf = log((double)(n_docs + 1) / (double)(df[f] + 1)) + 1.0;
        float w = (float)((1.0 + log((double)(j - i))) * idf);
        for (unsigned c = 0; c < dim; c += 64) {
            uint64_t key[2] = {f, c};
            uint64_t bits = XXH3_64bits_withSeed(key, sizeof key, seed);
            unsigned lim = dim - c < 64 ? dim - c : 64;
            for (unsigned b = 0; b < lim; b++) out[c + b] += (bits >> b & 1) ? w : -w;
        }
        i = j;
    }
    double norm = 0;
    for (unsigned k = 0; k < dim; k++) norm += (double)out[k] * out[k];
    if (norm > 0) {
        float inv = (float)(1.0 / sqrt(norm));
        for (unsigned k = 0; k < dim; k++) out[k] *= inv;
    }
}

void wn_sem_embed(const char *text, size_t len, const uint32_t *df, uint64_t n_docs,
                  unsigned dim, uint64_t seed, float *out)
{
    feats ft = {0};
    text_features(text, len, &ft);
    embed_features(&ft, df, n_docs, dim, seed, out);
    free(ft.words);
    free(ft.f);
}

static float dot(const float *a, const float *b, unsigned d)
{
    float s = 0;
    for (unsigned i = 0; i < d; i++) s += a[i] * b[i];
    return s;
}

void wn_sem_kmeans(const float *x, size_t n, unsigned d, unsigned k, unsigned iterations,
                   uint64_t seed, uint32_t *assign)
{
    if (n == 0 || k == 0) return;
    if (k > n) k = (unsigned)n;
    float *cent = wn_xmalloc((size_t)k * d * sizeof *cent);
    /* seeded choice of k distinct rows (partial Fisher-Yates on indices) */
    size_t *idx = wn_xmalloc(n * sizeof *idx);
    for (size_t i = 0; i < n; i++) idx[i] = i;
    for (unsigned c = 0; c < k; c++) {
        uint64_t key[2] = {seed, c};
        size_t r = c + (size_t)(XXH3_64bits(key, sizeof key) % (n - c));
        size_t t = idx[c]; idx[c] = idx[r]; idx[r] = t;
        memcpy(cent + (size_t)c * d, x + idx[c] * d, d * sizeof *cent);
    }
    free(idx);
    double *sum = wn_xmalloc((size_t)k * d * sizeof *sum);
    for (unsigned it = 0; it < iterations; it++) {
        size_t changed = 0;
#pragma omp parallel for schedule(static) reduction(+ : changed)
        for (size_t i = 0; i < n; i++) {
            uint32_t best = 0;
            float bs = -INFINITY;
            for (unsigned c = 0; c < k; c++) {
                float s = dot(x + i * d, cent + (size_t)c * d, d);
                if (s > bs) { bs = s; best = c; } /* ties: lowest cluster */
            }
            if (it == 0 || assign[i] != best) changed++;
            assign[i] = best;
        }
        /* centroid sums in row order: the same result at any thread count */
        memset(sum, 0, (size_t)k * d * sizeof *sum);
        for (size_t i = 0; i < n; i++)
            for (unsigned j = 0; j < d; j++) sum[(size_t)assign[i] * d + j] += x[i * d + j];
        for (unsigned c = 0; c < k; c++) {
            double norm = 0;
            for (unsigned j = 0; j < d; j++) norm += sum[(size_t)c * d + j] * sum[(size_t)c * d + j];
            if (norm <= 0) continue; /* empty cluster keeps its centroid */
            double inv = 1.0 / sqrt(norm);
            for (unsigned j = 0; j < d; j++)
                cent[(size_t)c * d + j] = (float)(sum[(size_t)c * d + j] * inv);
        }
        if (changed == 0) break;
    }
    free(sum);
    free(cent);
}

void wn_sem_select(const float *x, size_t n, unsigned d, const uint32_t *assign, unsigned k,
                   double eps, uint8_t *keep, size_t *kept_of)
{
    /* members of each cluster, in row order (counting sort) */
    size_t *start = wn_xcalloc((size_t)k + 1, sizeof *start);
    for (size_t i = 0; i < n; i++) start[assign[i] + 1]++;
    for (unsigned c = 0; c < k; c++) start[c + 1] += start[c];
    size_t *pos = wn_xmalloc(((size_t)k + 1) * sizeof *pos);
    memcpy(pos, start, ((size_t)k + 1) * sizeof *pos);
    size_t *members = wn_xmalloc((n ? n : 1) * sizeof *members);
    for (size_t i = 0; i < n; i++) members[pos[assign[i]]++] = i;
    float thr = (float)(1.0 - eps);
#pragma omp parallel
    {
        size_t *kept = wn_xmalloc((n ? n : 1) * sizeof *kept);
#pragma omp for schedule(dynamic, 1)
        for (long c = 0; c < (long)k; c++) {
            size_t nk = 0;
            for (size_t m = start[c]; m < start[c + 1]; m++) {
                size_t i = members[m];
                keep[i] = 1;
                kept_of[i] = i;
                for (size_t q = 0; q < nk; q++) {
                    if (dot(x + i * d, x + kept[q] * d, d) > thr) {
                        keep[i] = 0;
                        kept_of[i] = kept[q];
                        break;
                    }
                }
                if (keep[i]) kept[nk++] = i;
            }
        }
        free(kept);
    }
    free(start);
    free(pos);
    free(members);
}

/* ---- reading the corpus ---- */

typedef struct sem_state {
    wn_dedup_uids uids;
    const wn_sem_config *cfg;
    int pass;                  /* 1: df, 2: embed (or 1 only: collect, when from a file) */
    uint32_t *df;
    uint64_t n_docs_df;
    /* per document, in uid order */
    uint64_t *uid;
    char **id;
    float *emb;
    size_t n, cap;
    size_t batch_base;
    const wn_doc *base;
    feats *ft;                 /* per thread */
} sem_state;

static void sem_batch(void *p, wn_batch *b, wn_stats *stats)
{
    sem_state *s = p;
    (void)stats;
    s->base = b->docs;
    s->batch_base = s->n;
    if (s->n + b->n > s->cap) {
        s->cap = (s->n + b->n) * 2;
        s->uid = wn_xrealloc(s->uid, s->cap * sizeof *s->uid);
        s->id = wn_xrealloc(s->id, s->cap * sizeof *s->id);
        if (s->pass == 2) s->emb = wn_xrealloc(s->emb, s->cap * s->cfg->dim * sizeof *s->emb);
    }
    for (size_t i = 0; i < b->n; i++) {
        s->uid[s->n + i] = wn_dedup_uid_of(&s->uids, &b->docs[i]);
        s->id[s->n + i] = wn_xstrndup(b->docs[i].id.ptr, b->docs[i].id.len);
    }
    s->n += b->n;
}

static void sem_doc(void *p, wn_doc *d, wn_stats *stats)
{
    sem_state *s = p;
    (void)stats;
    feats *ft = &s->ft[omp_get_thread_num()];
    if (s->pass == 1 && !s->cfg->embeddings) {
        size_t nf = text_features(d->text.ptr, d->text.len, ft);
        for (size_t i = 0; i < nf; i++) {
            if (i > 0 && ft->f[i] == ft->f[i - 1]) continue;
#pragma omp atomic
            s->df[ft->f[i]]++;
        }
    } else if (s->pass == 2) {
        size_t row = s->batch_base + (size_t)(d - s->base);
        text_features(d->text.ptr, d->text.len, ft);
        embed_features(ft, s->df, s->n_docs_df, s->cfg->dim, s->cfg->seed,
                       s->emb + row * s->cfg->dim);
    }
}

static void sem_reset(sem_state *s)
{
    for (size_t i = 0; i < s->n; i++) free(s->id[i]);
    s->n = 0;
}

static int sem_pass(sem_state *s, char **all, size_t n_all)
{
    wn_common_opts common;
    wn_common_init(&common);
    common.quiet = true;
    common.inputs = wn_xcalloc(n_all + 1, sizeof *common.inputs);
    for (size_t k = 0; k < n_all; k++) common.inputs[common.n_inputs++] = all[k];
    wn_stage st = {"dedup.semantic", s, sem_doc, sem_batch, NULL, NULL};
    wn_stage *stages[] = {&st};
    wn_run_opts ro = {.command = "dedup-semantic", .common = &common,
                      .open = wn_dedup_uid_source_open, .open_ctx = &s->uids, .stages = stages,
                      .n_stages = 1, .no_output = true};
    wn_run_result res;
    int rc = wn_run(&ro, &res);
    wn_run_result_release(&res);
    free(common.inputs);
    return rc ? -1 : 0;
}

/* Loads embeddings from a .npy (float32, C order, 2-D) or raw float32 rows. */
static float *load_embeddings(const wn_sem_config *c, size_t n_docs, unsigned *dim, char *err,
                              size_t errlen)
{
    size_t len;
    char rerr[256];
    char *data = wn_read_file(c->embeddings, &len, rerr, sizeof rerr);
    if (!data) {
        snprintf(err, errlen, "%s", rerr);
        return NULL;
    }
    size_t off = 0, rows = 0;
    unsigned d = c->dim;
    if (len >= 10 && !memcmp(data, "\x93NUMPY", 6)) {
        unsigned major = (unsigned char)data[6];
        size_t hlen = major >= 2 ? (size_t)(unsigned char)data[8] | (size_t)(unsigned char)data[9] << 8 |
                                       (size_t)(unsigned char)data[10] << 16 | (size_t)(unsigned char)data[11] << 24
                                 : (size_t)(unsigned char)data[8] | (size_t)(unsigned char)data[9] << 8;
        off = (major >= 2 ? 12 : 10) + hlen;
        char *hdr = wn_xstrndup(data + (major >= 2 ? 12 : 10), hlen);
        const char *shape = strstr(hdr, "'shape':");
        unsigned long long r = 0, dd = 0;
        bool ok = off <= len && strstr(hdr, "'<f4'") && strstr(hdr, "'fortran_order': False") &&
                  shape && sscanf(shape, "'shape': (%llu, %llu)", &r, &dd) == 2 && dd > 0;
        free(hdr);
        if (!ok) {
            snprintf(err, errlen, "'%s': expected a 2-D little-endian float32 C-order .npy",
                     c->embeddings);
            free(data);
            return NULL;
        }
        rows = (size_t)r;
        d = (unsigned)dd;
        if ((len - off) != rows * d * 4) {
            snprintf(err, errlen, "'%s' is truncated: shape (%zu, %u) needs %zu data bytes, "
                     "has %zu", c->embeddings, rows, d, rows * d * 4, len - off);
            free(data);
            return NULL;
        }
    } else {
        if (len % ((size_t)d * 4)) {
            snprintf(err, errlen, "'%s' has %zu bytes, not a whole number of float32 rows of "
                     "--dim %u", c->embeddings, len, d);
            free(data);
            return NULL;
        }
        rows = len / ((size_t)d * 4);
    }
    if (rows != n_docs) {
        snprintf(err, errlen, "'%s' has %zu embedding rows, the inputs have %zu documents",
                 c->embeddings, rows, n_docs);
        free(data);
        return NULL;
    }
    float *x = wn_xmalloc((rows ? rows : 1) * d * sizeof *x);
    memcpy(x, data + off, rows * d * sizeof *x);
    free(data);
    for (size_t i = 0; i < rows; i++) {
        double norm = 0;
        for (unsigned j = 0; j < d; j++) norm += (double)x[i * d + j] * x[i * d + j];
        if (norm > 0) {
            float inv = (float)(1.0 / sqrt(norm));
            for (unsigned j = 0; j < d; j++) x[i * d + j] *= inv;
        }
    }
    *dim = d;
    return x;
}

int wn_sem_run(const wn_sem_config *c, char **all_inputs, size_t n_all,
               const wn_jsonl_opts *jsonl, const char *remove_path, const char *report_path,
               const char *clusters_tsv, char *err, size_t errlen)
{
    sem_state s = {0};
    s.cfg = c;
    int nt = omp_get_max_threads();
    s.ft = wn_xcalloc((size_t)nt, sizeof *s.ft);
    wn_dedup_uids_init(&s.uids, all_inputs, n_all, jsonl, 0);
    int rc = 0;
    unsigned dim = c->dim;
    float *x = NULL;
    s.pass = 1;
    if (!c->embeddings) s.df = wn_xcalloc(N_FEATURES, sizeof *s.df);
    if (sem_pass(&s, all_inputs, n_all)) {
        snprintf(err, errlen, "cannot read the inputs");
        rc = -1;
    }
    if (rc == 0 && c->embeddings) {
        x = load_embeddings(c, s.n, &dim, err, errlen);
        if (!x) rc = -1;
    } else if (rc == 0) {
        s.n_docs_df = s.n;
        sem_reset(&s);
        s.pass = 2;
        s.cap = 0; /* re-grow with room for embeddings */
        if (sem_pass(&s, all_inputs, n_all)) {
            snprintf(err, errlen, "cannot read the inputs");
            rc = -1;
        }
        x = s.emb;
        s.emb = NULL;
    }
    size_t n = s.n;
    unsigned k = c->k ? c->k : (unsigned)(sqrt((double)n) + 0.5);
    if (k < 1) k = 1;
    if (k > n && n) k = (unsigned)n;
    uint32_t *assign = wn_xcalloc(n ? n : 1, sizeof *assign);
    uint8_t *keep = wn_xcalloc(n ? n : 1, 1);
    size_t *kept_of = wn_xcalloc(n ? n : 1, sizeof *kept_of);
    size_t removed = 0;
    if (rc == 0 && n) {
        wn_sem_kmeans(x, n, dim, k, c->iterations, c->seed, assign);
        wn_sem_select(x, n, dim, assign, k, c->eps, keep, kept_of);
    }
    char config[WN_DEDUP_CONFIG_MAX + 1];
    wn_sem_config_text(c, config, sizeof config);
    if (rc == 0) {
        wn_dedup_file *f = wn_dedup_file_create(remove_path, WN_DEDUP_KIND_REMOVE, config,
                                                sizeof(wn_dedup_remove_rec), 0, 1, err, errlen);
        if (!f) rc = -1;
        for (size_t i = 0; i < n && rc == 0; i++) {
            if (keep[i]) continue;
            wn_dedup_remove_rec r = {s.uid[i], s.uid[kept_of[i]]};
            rc = wn_dedup_file_write(f, &r, sizeof r, 1);
            removed++;
        }
        if (f) rc = rc == 0 ? wn_dedup_file_commit(f, err, errlen) : (wn_dedup_file_abort(f), -1);
    }
    if (rc == 0 && clusters_tsv) {
        wn_out *t = wn_out_open(clusters_tsv, WN_COMP_AUTO, 0, err, errlen);
        if (!t) rc = -1;
        wn_buf line = WN_BUF_INIT;
        for (size_t i = 0; i < n && rc == 0; i++) {
            wn_buf_reset(&line);
            wn_buf_appendf(&line, "%s\t%u\t%s\n", s.id[i], assign[i], keep[i] ? "kept" : "removed");
            rc = wn_out_write(t, line.data, line.len);
        }
        wn_buf_release(&line);
        if (t) rc = rc == 0 ? wn_out_commit(t, err, errlen) : (wn_out_abort(t), -1);
    }
    if (rc == 0 && report_path) {
        json_t *j = json_pack("{s:s,s:I,s:i,s:i,s:I,s:f}", "config", config, "documents",
                              (json_int_t)n, "k", (int)k, "dim", (int)dim, "removed",
                              (json_int_t)removed, "eps", c->eps);
        rc = wn_json_write_file(report_path, j, JSON_INDENT(1));
    }
    free(assign); free(keep); free(kept_of); free(x);
    sem_reset(&s);
    free(s.uid); free(s.id); free(s.df); free(s.emb);
    for (int t = 0; t < nt; t++) { free(s.ft[t].words); free(s.ft[t].f); }
    free(s.ft);
    wn_dedup_uids_release(&s.uids);
    return rc;
}
