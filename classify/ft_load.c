/* ft_load.c: reads fastText .bin / .ftz files (FastText::loadModel in
 * facebookresearch/fastText src/fasttext.cc; layout in ../shared/FORMATS.md (g)).
 *
 * Every size is checked against the bytes left in the file before anything is allocated,
 * so a truncated or foreign file gets a message naming it, never a crash or a huge
 * allocation. */
#include "classify/ft_internal.h"

#include "core/buf.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

typedef struct reader {
    FILE *f;
    const char *path;
    uint64_t off, size;
    char *err;
    size_t errlen;
    bool failed;
} reader;

static void fail(reader *r, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void fail(reader *r, const char *fmt, ...)
{
    if (r->failed)
        return;
    r->failed = true;
    char msg[200];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    if (r->err && r->errlen)
        snprintf(r->err, r->errlen, "cannot load '%s': %s", r->path, msg);
}

static uint64_t left(const reader *r)
{
    return r->off <= r->size ? r->size - r->off : 0;
}

static bool rd(reader *r, void *p, size_t n, const char *what)
{
    if (r->failed)
        return false;
    if (n > left(r) || fread(p, 1, n, r->f) != n) {
        fail(r, "truncated file: cannot read %s at offset %llu", what,
             (unsigned long long)r->off);
        return false;
    }
    r->off += n;
    return true;
}

static int32_t rd_i32(reader *r, const char *what)
{
    int32_t v = 0;
    rd(r, &v, 4, what);
    return v;
}

static int64_t rd_i64(reader *r, const char *what)
{
    int64_t v = 0;
    rd(r, &v, 8, what);
    return v;
}

static bool rd_bool(reader *r, const char *what)
{
    uint8_t v = 0;
    rd(r, &v, 1, what);
    return v != 0;
}

/* Allocates and reads count elements of size sz, after checking they fit in the file. */
static void *rd_array(reader *r, uint64_t count, size_t sz, const char *what)
{
    if (r->failed)
        return NULL;
    if (count > left(r) / sz) {
        fail(r, "sizes do not match: %s needs %llu bytes at offset %llu, file has %llu left",
             what, (unsigned long long)(count * sz), (unsigned long long)r->off,
             (unsigned long long)left(r));
        return NULL;
    }
    void *p = wn_xmalloc(count ? count * sz : 1);
    if (!rd(r, p, count * sz, what)) {
        free(p);
        return NULL;
    }
    return p;
}

static void read_args(reader *r, wn_ft_args *a)
{
    int32_t v[12];
    for (int i = 0; i < 12; i++)
        v[i] = rd_i32(r, "arguments");
    a->dim = v[0], a->ws = v[1], a->epoch = v[2], a->min_count = v[3], a->neg = v[4];
    a->word_ngrams = v[5], a->loss = v[6], a->model = v[7], a->bucket = v[8];
    a->minn = v[9], a->maxn = v[10], a->lr_update_rate = v[11];
    rd(r, &a->t, 8, "arguments");
    if (r->failed)
        return;
    if (a->model != WN_FT_MODEL_SUP)
        fail(r, "not a supervised model (model type %d); only classifiers can predict",
             a->model);
    else if (a->loss < WN_FT_LOSS_HS || a->loss > WN_FT_LOSS_OVA)
        fail(r, "unknown loss %d", a->loss);
    else if (a->dim <= 0 || a->dim > 1 << 16)
        fail(r, "bad dimension %d", a->dim);
    else if (a->bucket < 0 || a->word_ngrams < 0 || a->maxn > 64 || a->minn < 0)
        fail(r, "bad arguments (bucket %d, wordNgrams %d, minn %d, maxn %d)", a->bucket,
             a->word_ngrams, a->minn, a->maxn);
}

static void read_dict(reader *r, wn_ft_dict *d, int32_t m_bucket)
{
    d->size = rd_i32(r, "dictionary size");
    d->nwords = rd_i32(r, "dictionary size");
    d->nlabels = rd_i32(r, "dictionary size");
    d->ntokens = rd_i64(r, "dictionary size");
    d->prune_size = rd_i64(r, "dictionary size");
    if (r->failed)
        return;
    if (d->size < 0 || d->nwords < 0 || d->nlabels <= 0 ||
        (int64_t)d->nwords + d->nlabels != d->size || (uint64_t)d->size > left(r) / 10 ||
        d->prune_size < -1 || (d->prune_size > 0 && (uint64_t)d->prune_size > left(r) / 8)) {
        fail(r, "sizes do not match: dictionary of %d entries (%d words, %d labels, prune %lld)",
             d->size, d->nwords, d->nlabels, (long long)d->prune_size);
        d->size = 0;
        return;
    }
    d->words = wn_xcalloc((size_t)d->size, sizeof *d->words);
    d->lens = wn_xmalloc((size_t)d->size * sizeof *d->lens);
    d->counts = wn_xmalloc((size_t)d->size * sizeof *d->counts);
    d->types = wn_xmalloc((size_t)d->size * sizeof *d->types);
    wn_buf w = WN_BUF_INIT;
    for (int32_t i = 0; i < d->size && !r->failed; i++) {
        wn_buf_reset(&w);
        int c;
        while ((c = getc(r->f)) != EOF && c != 0)
            wn_buf_appendc(&w, (char)c);
        r->off += w.len + (c == 0);
        if (c == EOF || r->off > r->size) {
            fail(r, "truncated file: dictionary entry %d at offset %llu", i,
                 (unsigned long long)r->off);
            break;
        }
        d->lens[i] = (uint32_t)w.len;
        d->words[i] = wn_xstrndup(w.data ? w.data : "", w.len);
        d->counts[i] = rd_i64(r, "dictionary entry");
        rd(r, &d->types[i], 1, "dictionary entry");
        int8_t want = i < d->nwords ? WN_FT_WORD : WN_FT_LABEL;
        if (!r->failed && d->types[i] != want)
            fail(r, "sizes do not match: entry %d ('%.40s') has type %d, expected %d", i,
                 d->words[i], d->types[i], want);
    }
    wn_buf_release(&w);
    if (r->failed || d->prune_size <= 0)
        return;
    uint32_t cap = 16;
    while (cap < (uint64_t)d->prune_size * 2)
        cap *= 2;
    d->prune_mask = cap - 1;
    d->prune = wn_xmalloc(cap * sizeof *d->prune);
    memset(d->prune, 0xff, cap * sizeof *d->prune);
    d->prune_bits = wn_xcalloc((size_t)m_bucket / 64 + 1, sizeof *d->prune_bits);
    for (int64_t k = 0; k < d->prune_size && !r->failed; k++) {
        int32_t from = rd_i32(r, "prune map"), to = rd_i32(r, "prune map");
        if (from < 0 || to < 0 || from >= m_bucket) {
            fail(r, "bad prune map entry %lld (%d -> %d)", (long long)k, from, to);
            break;
        }
        uint32_t i = ((uint32_t)from * 2654435761u) & d->prune_mask;
        while (d->prune[i].key >= 0 && d->prune[i].key != from)
            i = (i + 1) & d->prune_mask;
        d->prune[i].key = from; /* a repeated key keeps the last value, as std::map= */
        d->prune[i].val = to;
        d->prune_bits[(uint32_t)from >> 6] |= 1ull << (from & 63);
    }
}

static void read_pq(reader *r, wn_ft_pq *pq, const char *what)
{
    pq->dim = rd_i32(r, what);
    pq->nsubq = rd_i32(r, what);
    pq->dsub = rd_i32(r, what);
    pq->lastdsub = rd_i32(r, what);
    if (r->failed)
        return;
    if (pq->dim <= 0 || pq->nsubq <= 0 || pq->dsub <= 0 || pq->lastdsub <= 0 ||
        (int64_t)(pq->nsubq - 1) * pq->dsub + pq->lastdsub != pq->dim ||
        pq->lastdsub > pq->dsub) {
        fail(r, "sizes do not match: %s has dim %d, %d sub-quantizers of %d (last %d)", what,
             pq->dim, pq->nsubq, pq->dsub, pq->lastdsub);
        return;
    }
    pq->centroids = rd_array(r, (uint64_t)pq->dim * 256, sizeof(float), what);
}

static void read_matrix(reader *r, wn_ft_matrix *mx, bool quant, const char *what)
{
    mx->quant = quant;
    if (quant)
        mx->qnorm = rd_bool(r, what);
    mx->m = rd_i64(r, what);
    mx->n = rd_i64(r, what);
    if (r->failed)
        return;
    if (mx->m < 0 || mx->n <= 0 || mx->n > 1 << 16) {
        fail(r, "sizes do not match: %s is %lld x %lld", what, (long long)mx->m,
             (long long)mx->n);
        return;
    }
    if (!quant) {
        if ((uint64_t)mx->m > left(r) / ((uint64_t)mx->n * 4)) {
            fail(r, "sizes do not match: %s of %lld x %lld floats needs more than the %llu "
                 "bytes left", what, (long long)mx->m, (long long)mx->n,
                 (unsigned long long)left(r));
            return;
        }
        size_t count = (size_t)mx->m * (size_t)mx->n;
        mx->data = wn_ft_alloc_floats(count);
        rd(r, mx->data, count * sizeof(float), what);
        return;
    }
    int32_t codesize = rd_i32(r, what);
    if (r->failed)
        return;
    mx->codes = rd_array(r, codesize < 0 ? UINT64_MAX / 2 : (uint64_t)codesize, 1, what);
    read_pq(r, &mx->pq, what);
    if (r->failed)
        return;
    if (mx->pq.dim != mx->n || (int64_t)codesize != mx->m * mx->pq.nsubq) {
        fail(r, "sizes do not match: %s is %lld x %lld with %d codes, quantizer dim %d x %d",
             what, (long long)mx->m, (long long)mx->n, codesize, mx->pq.dim, mx->pq.nsubq);
        return;
    }
    if (mx->qnorm) {
        mx->norm_codes = rd_array(r, (uint64_t)mx->m, 1, what);
        read_pq(r, &mx->npq, what);
        if (!r->failed && mx->npq.dim != 1)
            fail(r, "sizes do not match: %s norm quantizer has dim %d", what, mx->npq.dim);
    }
}

static void check_shapes(reader *r, const wn_ft_model *m)
{
    const wn_ft_dict *d = &m->dict;
    int64_t in_rows = (int64_t)d->nwords + (d->prune_size >= 0 ? d->prune_size : m->args.bucket);
    if (m->input.n != m->args.dim || m->output.n != m->args.dim)
        fail(r, "sizes do not match: matrices have %lld and %lld columns, dim is %d",
             (long long)m->input.n, (long long)m->output.n, m->args.dim);
    else if (m->input.m != in_rows && !(d->prune_size > 0 && m->input.m >= d->nwords))
        fail(r, "sizes do not match: input matrix has %lld rows, expected %lld",
             (long long)m->input.m, (long long)in_rows);
    else if (m->output.m != d->nlabels)
        fail(r, "sizes do not match: output matrix has %lld rows for %d labels",
             (long long)m->output.m, d->nlabels);
    else if (d->prune_size > 0) {
        for (uint32_t i = 0; i <= d->prune_mask; i++) {
            if (d->prune[i].key >= 0 && d->nwords + (int64_t)d->prune[i].val >= m->input.m) {
                fail(r, "sizes do not match: prune map points past the input matrix");
                break;
            }
        }
    }
    if (!r->failed && left(r) != 0)
        fail(r, "sizes do not match: %llu bytes after the output matrix",
             (unsigned long long)left(r));
}

wn_ft_model *wn_ft_load(const char *path, char *err, size_t errlen)
{
    reader r = { .path = path, .err = err, .errlen = errlen };
    if (err && errlen)
        err[0] = '\0';
    r.f = fopen(path, "rb");
    struct stat st;
    if (!r.f || fstat(fileno(r.f), &st) != 0) {
        r.failed = true;
        if (err && errlen)
            snprintf(err, errlen, "cannot open '%s': %s", path, strerror(errno));
        if (r.f)
            fclose(r.f);
        return NULL;
    }
    r.size = (uint64_t)st.st_size;
    wn_ft_model *m = wn_xcalloc(1, sizeof *m);
    int32_t magic = rd_i32(&r, "magic");
    if (!r.failed && magic != WN_FT_MAGIC)
        fail(&r, "not a fastText model (wrong magic 0x%08x)", (unsigned)magic);
    m->version = rd_i32(&r, "version");
    if (!r.failed && (m->version > WN_FT_VERSION || m->version < 11))
        fail(&r, "unsupported fastText model version %d (supported: 11, 12)", m->version);
    read_args(&r, &m->args);
    if (!r.failed && m->version == 11)
        m->args.maxn = 0; /* version 11 supervised models had no char n-grams */
    read_dict(&r, &m->dict, m->args.bucket);
    bool quant_input = rd_bool(&r, "quantization flag");
    read_matrix(&r, &m->input, quant_input, "input matrix");
    if (!r.failed && !quant_input && m->dict.prune_size > 0)
        fail(&r, "pruned dictionary with a dense input matrix (an old model file)");
    bool qout = rd_bool(&r, "quantization flag");
    read_matrix(&r, &m->output, quant_input && qout, "output matrix");
    if (!r.failed)
        check_shapes(&r, m);
    fclose(r.f);
    if (r.failed) {
        wn_ft_free(m);
        return NULL;
    }
    wn_ft_dict_finish(&m->dict, &m->args);
    wn_ft_model_prepare(m);
    return m;
}

void wn_ft_free(wn_ft_model *m)
{
    if (!m)
        return;
    wn_ft_dict_release(&m->dict);
    wn_ft_matrix_release(&m->input);
    wn_ft_matrix_release(&m->output);
    free(m->tree_left);
    free(m->tree_right);
    free(m->tree_parent);
    free(m->tree_binary);
    free(m);
}

int wn_ft_nlabels(const wn_ft_model *m)
{
    return m->dict.nlabels;
}

const char *wn_ft_label(const wn_ft_model *m, int i)
{
    if (i < 0 || i >= m->dict.nlabels)
        return NULL;
    return m->dict.words[m->dict.nwords + i];
}
