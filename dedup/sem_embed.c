/* sem_embed.c: SemDeDup phase 1 (embed). Streams the inputs and writes one unit row per
 * document - the built-in embedding, or rows read a batch at a time from the user's .npy /
 * raw float32 file - plus a seeded bounded sample for k-means and the document ids for the
 * reports. Memory: the sample, one batch of rows and (built-in) the 4 MB df table. */
#include "dedup/semantic.h"

#include "core/args.h"
#include "core/buf.h"
#include "core/runner.h"
#include "dedup/format.h"
#include "dedup/minhash.h"
#include "dedup/sem_files.h"
#include "dedup/uidsource.h"

#include <errno.h>
#include <math.h>
#include <omp.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <xxhash.h>

#define FEATURE_BITS 20
#define N_FEATURES (1u << FEATURE_BITS)

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
    wn_sem_normalise(out, dim);
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

/* ---- the user's embedding file, read a batch of rows at a time ---- */

typedef struct emb_file {
    const char *path;
    FILE *fp;
    uint64_t rows; /* rows the file holds */
    unsigned d;
} emb_file;

/* The value of `key` in a .npy header dict ("'descr': '<f4'" -> "'<f4'"; a tuple whole);
 * "" when absent. */
static void npy_field(const char *hdr, const char *key, char *out, size_t n)
{
    out[0] = 0;
    const char *p = strstr(hdr, key);
    if (!p) return;
    p += strlen(key);
    while (*p == ' ' || *p == ':') p++;
    const char *end = *p == '(' ? strchr(p, ')') : p + strcspn(p, ",}");
    if (!end) return;
    if (*p == '(') end++;
    size_t len = (size_t)(end - p) < n - 1 ? (size_t)(end - p) : n - 1;
    memcpy(out, p, len);
    out[len] = 0;
}

/* Reads and checks a .npy header: float32 little-endian, C order, 2-D. */
static int npy_header(emb_file *e, uint64_t size, uint64_t *data_off, char *err, size_t errlen)
{
    unsigned char pre[12];
    if (fread(pre, 1, 10, e->fp) != 10) goto short_file;
    size_t at = 10, hlen = pre[8] | (size_t)pre[9] << 8;
    if (pre[6] >= 2) {
        if (fread(pre + 10, 1, 2, e->fp) != 2) goto short_file;
        hlen |= (size_t)pre[10] << 16 | (size_t)pre[11] << 24;
        at = 12;
    }
    if (hlen > 1u << 20 || at + hlen > size) goto short_file;
    char *hdr = wn_xcalloc(hlen + 1, 1);
    if (fread(hdr, 1, hlen, e->fp) != hlen) { free(hdr); goto short_file; }
    char descr[64], order[64], shape[128];
    npy_field(hdr, "'descr'", descr, sizeof descr);
    npy_field(hdr, "'fortran_order'", order, sizeof order);
    npy_field(hdr, "'shape'", shape, sizeof shape);
    free(hdr);
    unsigned long long r = 0, d = 0;
    int used = 0;
    if (strcmp(descr, "'<f4'")) {
        snprintf(err, errlen, "'%s' holds dtype %s: expected little-endian float32 ('<f4')",
                 e->path, descr[0] ? descr : "(none)");
        return -1;
    }
    if (strcmp(order, "False")) {
        snprintf(err, errlen, "'%s' is in Fortran order: expected C order", e->path);
        return -1;
    }
    if (sscanf(shape, "(%llu, %llu)%n", &r, &d, &used) != 2 || shape[used] || d == 0 ||
        d > 65536) {
        snprintf(err, errlen, "'%s' has shape %s: expected 2-D (documents, dim) with dim 1 to "
                 "65536", e->path, shape[0] ? shape : "(none)");
        return -1;
    }
    e->rows = r;
    e->d = (unsigned)d;
    *data_off = at + hlen;
    return 0;
short_file:
    snprintf(err, errlen, "'%s': truncated .npy header", e->path);
    return -1;
}

/* Opens the embeddings and checks that the data is a whole number of rows. */
static int emb_file_open(emb_file *e, const char *path, unsigned dim, char *err, size_t errlen)
{
    memset(e, 0, sizeof *e);
    e->path = path;
    struct stat sb;
    e->fp = fopen(path, "rb");
    if (!e->fp || fstat(fileno(e->fp), &sb)) {
        snprintf(err, errlen, "cannot open '%s': %s", path, strerror(errno));
        return -1;
    }
    uint64_t size = (uint64_t)sb.st_size, off = 0;
    unsigned char magic[6] = {0};
    size_t got = fread(magic, 1, 6, e->fp);
    rewind(e->fp);
    if (got == 6 && !memcmp(magic, "\x93NUMPY", 6)) {
        if (npy_header(e, size, &off, err, errlen)) return -1;
        if (size - off != e->rows * e->d * 4) {
            snprintf(err, errlen, "'%s' is truncated: shape (%llu, %u) needs %llu data bytes, "
                     "has %llu", path, (unsigned long long)e->rows, e->d,
                     (unsigned long long)(e->rows * e->d * 4), (unsigned long long)(size - off));
            return -1;
        }
    } else {
        e->d = dim;
        if (size % ((uint64_t)dim * 4)) {
            snprintf(err, errlen, "'%s' has %llu bytes, not a whole number of float32 rows of "
                     "--dim %u", path, (unsigned long long)size, dim);
            return -1;
        }
        e->rows = size / ((uint64_t)dim * 4);
    }
    if (fseeko(e->fp, (off_t)off, SEEK_SET)) {
        snprintf(err, errlen, "cannot read '%s': %s", path, strerror(errno));
        return -1;
    }
    return 0;
}

/* ---- the bounded sample: the `cap` rows with the smallest XXH3(uid, seed) ---- */

typedef struct sampler {
    size_t cap, n;
    unsigned d;
    uint64_t seed;
    uint64_t *prio, *uid; /* per slot */
    float *rows;          /* per slot */
    size_t *heap;         /* slots, a max-heap on (prio, uid): the root is evicted first */
} sampler;

static void sampler_init(sampler *s, size_t cap, unsigned d, uint64_t seed)
{
    memset(s, 0, sizeof *s);
    s->cap = cap ? cap : 1;
    s->d = d;
    s->seed = seed;
    s->prio = wn_xmalloc(s->cap * sizeof *s->prio);
    s->uid = wn_xmalloc(s->cap * sizeof *s->uid);
    s->rows = wn_xmalloc(s->cap * d * sizeof *s->rows);
    s->heap = wn_xmalloc(s->cap * sizeof *s->heap);
}

static void sampler_release(sampler *s)
{
    free(s->prio); free(s->uid); free(s->rows); free(s->heap);
}

static bool slot_above(const sampler *s, size_t a, size_t b)
{
    return s->prio[a] > s->prio[b] || (s->prio[a] == s->prio[b] && s->uid[a] > s->uid[b]);
}

static void heap_swap(size_t *h, size_t i, size_t j) { size_t t = h[i]; h[i] = h[j]; h[j] = t; }

static void sampler_sift_down(sampler *s, size_t i)
{
    for (;;) {
        size_t l = 2 * i + 1, r = l + 1, top = i;
        if (l < s->n && slot_above(s, s->heap[l], s->heap[top])) top = l;
        if (r < s->n && slot_above(s, s->heap[r], s->heap[top])) top = r;
        if (top == i) return;
        heap_swap(s->heap, i, top);
        i = top;
    }
}

/* A priority from the uid alone keeps the sample independent of threads and of the order
 * rows are offered in. */
static void sampler_offer(sampler *s, uint64_t uid, const float *v)
{
    uint64_t key[2] = {uid, s->seed};
    uint64_t prio = XXH3_64bits(key, sizeof key);
    size_t slot;
    if (s->n < s->cap) {
        slot = s->n;
        s->heap[s->n++] = slot;
        s->prio[slot] = prio;
        s->uid[slot] = uid;
        for (size_t i = s->n - 1; i > 0 && slot_above(s, s->heap[i], s->heap[(i - 1) / 2]);
             i = (i - 1) / 2)
            heap_swap(s->heap, i, (i - 1) / 2);
    } else {
        slot = s->heap[0];
        if (prio > s->prio[slot] || (prio == s->prio[slot] && uid > s->uid[slot])) return;
        s->prio[slot] = prio;
        s->uid[slot] = uid;
        sampler_sift_down(s, 0);
    }
    memcpy(s->rows + slot * s->d, v, s->d * sizeof *v);
}

typedef struct uid_slot {
    uint64_t uid;
    size_t slot;
} uid_slot;

static int uid_slot_cmp(const void *a, const void *b)
{
    uint64_t x = ((const uid_slot *)a)->uid, y = ((const uid_slot *)b)->uid;
    return x < y ? -1 : x > y;
}

/* Writes the sample in uid order: with every row sampled, k-means sees exactly the
 * corpus in input order. */
static int sampler_write(sampler *s, const char *path, const char *config, char *err,
                         size_t errlen)
{
    wn_dedup_file *f = wn_dedup_file_create(path, WN_DEDUP_KIND_SEM_ROWS, config,
                                            (uint32_t)wn_sem_row_bytes(s->d), 0, 1, err, errlen);
    if (!f) return -1;
    uid_slot *order = wn_xmalloc((s->n ? s->n : 1) * sizeof *order);
    for (size_t i = 0; i < s->n; i++) order[i] = (uid_slot){s->uid[i], i}; /* slots 0..n-1 */
    qsort(order, s->n, sizeof *order, uid_slot_cmp);
    int rc = 0;
    for (size_t i = 0; i < s->n && rc == 0; i++) {
        size_t slot = order[i].slot;
        rc = wn_dedup_file_write(f, &s->uid[slot], 8, 1) ||
             wn_dedup_file_write(f, s->rows + slot * s->d, s->d * sizeof(float), 0);
    }
    free(order);
    if (rc) {
        snprintf(err, errlen, "cannot write '%s'", path);
        wn_dedup_file_abort(f);
        return -1;
    }
    return wn_dedup_file_commit(f, err, errlen);
}

/* ---- the passes over the inputs ---- */

typedef struct embed_run {
    const wn_sem_config *cfg;
    wn_dedup_uids uids;
    int pass;              /* 1: count documents and df (built-in only); 2: rows */
    uint32_t *df;
    uint64_t n_docs;       /* pass 1's count, the N of idf */
    unsigned d;
    emb_file file;         /* when the rows come from a file */
    /* the current batch: rows are computed by the threads, written when the next batch
     * starts (or at the end), in order */
    uint64_t *uid;
    float *rows;
    size_t n, cap;
    const wn_doc *base;
    feats *ft;             /* per thread */
    wn_dedup_file *emb, *docs;
    sampler smp;
    uint64_t docs_seen, rows_read;
    bool failed;
    char err[512];
} embed_run;

static void fail(embed_run *r, const char *msg)
{
    if (!r->failed) snprintf(r->err, sizeof r->err, "%s", msg);
    r->failed = true;
}

/* Writes the finished batch: rows to sem-emb.wse, each offered to the sample. */
static void flush_batch(embed_run *r)
{
    for (size_t i = 0; i < r->n && !r->failed; i++) {
        const float *v = r->rows + i * r->d;
        if (wn_dedup_file_write(r->emb, &r->uid[i], 8, 1) ||
            wn_dedup_file_write(r->emb, v, r->d * sizeof *v, 0))
            fail(r, "cannot write the embedding rows (disk full?)");
        sampler_offer(&r->smp, r->uid[i], v);
    }
    r->n = 0;
}

/* Rows for this batch from the user's file; a file with too few rows is reported at the
 * end, with the document count. */
static void read_file_rows(embed_run *r, size_t n)
{
    uint64_t left = r->file.rows - r->rows_read;
    size_t want = n < left ? n : (size_t)left;
    if (fread(r->rows, (size_t)r->d * 4, want, r->file.fp) != want) {
        char msg[300];
        snprintf(msg, sizeof msg, "cannot read '%s': %s", r->file.path,
                 ferror(r->file.fp) ? strerror(errno) : "unexpected end of file");
        fail(r, msg);
        return;
    }
    r->rows_read += want;
    for (size_t i = 0; i < want; i++) wn_sem_normalise(r->rows + i * r->d, r->d);
}

static void embed_batch(void *p, wn_batch *b, wn_stats *stats)
{
    embed_run *r = p;
    (void)stats;
    r->docs_seen += b->n;
    if (r->pass == 1) return;
    flush_batch(r);
    if (b->n > r->cap) {
        r->cap = b->n;
        r->uid = wn_xrealloc(r->uid, r->cap * sizeof *r->uid);
        r->rows = wn_xrealloc(r->rows, r->cap * r->d * sizeof *r->rows);
    }
    r->base = b->docs;
    r->n = b->n;
    for (size_t i = 0; i < b->n; i++) {
        const wn_doc *d = &b->docs[i];
        r->uid[i] = wn_dedup_uid_of(&r->uids, d);
        if (wn_dedup_doc_write(r->docs, r->uid[i], d->text.len, d->id.ptr, d->id.len, "", 0))
            fail(r, "cannot write the document table (disk full?)");
    }
    if (r->cfg->embeddings && !r->failed) read_file_rows(r, b->n);
    if (r->failed || r->docs_seen > (r->cfg->embeddings ? r->file.rows : r->n_docs))
        r->n = 0; /* more documents than rows (or than pass 1 saw): reported at the end */
}

static void embed_doc(void *p, wn_doc *d, wn_stats *stats)
{
    embed_run *r = p;
    (void)stats;
    if (r->cfg->embeddings) return;
    feats *ft = &r->ft[omp_get_thread_num()];
    if (r->pass == 1) {
        size_t nf = text_features(d->text.ptr, d->text.len, ft);
        for (size_t i = 0; i < nf; i++) {
            if (i > 0 && ft->f[i] == ft->f[i - 1]) continue;
#pragma omp atomic
            r->df[ft->f[i]]++;
        }
        return;
    }
    size_t row = (size_t)(d - r->base);
    if (row >= r->n) return;
    text_features(d->text.ptr, d->text.len, ft);
    embed_features(ft, r->df, r->n_docs, r->d, r->cfg->seed, r->rows + row * r->d);
}

static int embed_finish(void *p, wn_stats *stats)
{
    (void)stats;
    embed_run *r = p;
    if (r->pass == 2) flush_batch(r);
    return 0;
}

static int embed_pass(embed_run *r, char **all, size_t n_all)
{
    wn_common_opts common;
    wn_common_init(&common);
    common.quiet = true;
    common.inputs = wn_xcalloc(n_all + 1, sizeof *common.inputs);
    for (size_t k = 0; k < n_all; k++) common.inputs[common.n_inputs++] = all[k];
    r->docs_seen = 0;
    wn_stage st = {.name = "dedup.semantic", .state = r, .process_doc = embed_doc,
                   .process_batch = embed_batch, .finish = embed_finish};
    wn_stage *stages[] = {&st};
    wn_run_opts ro = {.command = "dedup-semantic", .common = &common,
                      .open = wn_dedup_uid_source_open, .open_ctx = &r->uids, .stages = stages,
                      .n_stages = 1, .no_output = true};
    wn_run_result res;
    int rc = wn_run(&ro, &res);
    wn_run_result_release(&res);
    free(common.inputs);
    return rc ? -1 : 0;
}

/* Creates the outputs of pass 2 and sizes the sample for n rows of dimension d. */
static int open_outputs(embed_run *r, const wn_sem_state *st, const char *config, uint64_t n,
                        char *err, size_t errlen)
{
    char *emb = wn_sem_path(st, WN_SEM_EMB), *docs = wn_sem_path(st, WN_SEM_DOCS);
    r->emb = wn_dedup_file_create(emb, WN_DEDUP_KIND_SEM_ROWS, config,
                                  (uint32_t)wn_sem_row_bytes(r->d), 0, 1, err, errlen);
    if (r->emb)
        r->docs = wn_dedup_file_create(docs, WN_DEDUP_KIND_DOCS, config, 0, 0, 1, err, errlen);
    free(emb);
    free(docs);
    uint64_t cap = wn_sem_resolve_sample(r->cfg, n, r->d, st->mem_bytes);
    sampler_init(&r->smp, (size_t)(cap < n ? cap : n), r->d, r->cfg->seed);
    return r->emb && r->docs ? 0 : -1;
}

/* Pass 2 read exactly one row per document, or says what differs. */
static int check_counts(const embed_run *r, char *err, size_t errlen)
{
    if (r->cfg->embeddings && r->docs_seen != r->file.rows) {
        snprintf(err, errlen, "'%s' has %llu embedding rows, the inputs have %llu documents",
                 r->file.path, (unsigned long long)r->file.rows,
                 (unsigned long long)r->docs_seen);
        return -1;
    }
    if (!r->cfg->embeddings && r->docs_seen != r->n_docs) {
        snprintf(err, errlen, "the inputs changed between two passes (%llu, then %llu "
                 "documents)", (unsigned long long)r->n_docs, (unsigned long long)r->docs_seen);
        return -1;
    }
    return 0;
}

static int commit_outputs(embed_run *r, const wn_sem_state *st, const char *config, char *err,
                          size_t errlen)
{
    int rc = wn_dedup_file_commit(r->emb, err, errlen);
    r->emb = NULL;
    if (rc == 0) rc = wn_dedup_file_commit(r->docs, err, errlen);
    else wn_dedup_file_abort(r->docs);
    r->docs = NULL;
    char *sample = wn_sem_path(st, WN_SEM_SAMPLE);
    if (rc == 0) rc = sampler_write(&r->smp, sample, config, err, errlen);
    free(sample);
    return rc;
}

static void embed_release(embed_run *r, int nt)
{
    wn_dedup_file_abort(r->emb);
    wn_dedup_file_abort(r->docs);
    if (r->file.fp) fclose(r->file.fp);
    sampler_release(&r->smp);
    free(r->uid);
    free(r->rows);
    free(r->df);
    for (int t = 0; t < nt; t++) { free(r->ft[t].words); free(r->ft[t].f); }
    free(r->ft);
    wn_dedup_uids_release(&r->uids);
}

int wn_sem_embed_phase(const wn_sem_config *c, const wn_sem_state *st, char **all_inputs,
                       size_t n_all, const wn_jsonl_opts *jsonl, char *err, size_t errlen)
{
    char config[WN_DEDUP_CONFIG_MAX + 1];
    wn_sem_config_text(c, config, sizeof config);
    embed_run r = {0};
    r.cfg = c;
    r.d = c->dim;
    int nt = omp_get_max_threads();
    r.ft = wn_xcalloc((size_t)nt, sizeof *r.ft);
    wn_dedup_uids_init(&r.uids, all_inputs, n_all, jsonl, 0);
    int rc = 0;
    uint64_t n = 0;
    if (c->embeddings) { /* the file says how many rows; no counting pass */
        rc = emb_file_open(&r.file, c->embeddings, c->dim, err, errlen);
        r.d = r.file.d;
        n = r.file.rows;
    } else {
        r.pass = 1;
        r.df = wn_xcalloc(N_FEATURES, sizeof *r.df);
        if (embed_pass(&r, all_inputs, n_all)) {
            snprintf(err, errlen, "cannot read the inputs");
            rc = -1;
        }
        n = r.n_docs = r.docs_seen;
    }
    if (rc == 0) rc = open_outputs(&r, st, config, n, err, errlen);
    r.pass = 2;
    if (rc == 0 && embed_pass(&r, all_inputs, n_all)) {
        snprintf(err, errlen, "cannot read the inputs");
        rc = -1;
    }
    if (rc == 0 && r.failed) {
        snprintf(err, errlen, "%s", r.err);
        rc = -1;
    }
    if (rc == 0) rc = check_counts(&r, err, errlen);
    if (rc == 0) rc = commit_outputs(&r, st, config, err, errlen);
    embed_release(&r, nt);
    return rc;
}
