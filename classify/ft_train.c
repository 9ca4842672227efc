/* ft_train.c: supervised training as `fasttext supervised` does it
 * (facebookresearch/fastText src/fasttext.cc train/trainThread/supervised, model.cc update,
 * loss.cc SoftmaxLoss/OneVsAllLoss forward, dictionary.cc readFromFile/threshold):
 * a bag of word, word n-gram and char n-gram rows averaged into a hidden vector, a linear
 * output layer, SGD with the learning rate decaying linearly to 0 over epoch * ntokens
 * tokens, Hogwild updates from several threads without locks.
 *
 * One difference of method, not of result: each line is tokenized and hashed once, and
 * the epochs run over the encoded rows (spooled to a temporary file, ft_examples.c), where
 * fastText re-reads and re-hashes the text every epoch. */
#include "classify/ft_internal.h"

#include "core/buf.h"

#include <errno.h>
#include <math.h>
#include <omp.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

void wn_ft_train_defaults(wn_ft_train_opts *o)
{
    memset(o, 0, sizeof *o);
    o->lr = 0.1;
    o->lr_update_rate = 100;
    o->dim = 100;
    o->ws = 5;
    o->epoch = 5;
    o->min_count = 1;
    o->min_count_label = 0;
    o->neg = 5;
    o->word_ngrams = 1;
    o->loss = WN_FT_LOSS_SOFTMAX;
    o->bucket = 2000000;
    o->minn = 0;
    o->maxn = 0;
    o->threads = 12;
    o->t = 1e-4;
    o->verbose = 2;
}

/* ---- pass 1: the vocabulary (Dictionary::readFromFile + threshold) ---- */

typedef struct vocab {
    wn_ft_dict d;     /* entries in first-seen order while counting */
    int32_t cap;
} vocab;

static void vocab_reindex(vocab *v)
{
    wn_ft_dict *d = &v->d;
    free(d->index);
    free(d->index_hash);
    uint32_t cap = 1024;
    while (cap < (uint32_t)d->size * 2u + 2u)
        cap *= 2;
    d->index_mask = cap - 1;
    d->index = wn_xmalloc(cap * sizeof *d->index);
    d->index_hash = wn_xmalloc(cap * sizeof *d->index_hash);
    memset(d->index, 0xff, cap * sizeof *d->index);
    for (int32_t id = 0; id < d->size; id++)
        wn_ft_dict_index_put(d, id);
}

static void vocab_add(vocab *v, const char *w, size_t n)
{
    wn_ft_dict *d = &v->d;
    uint32_t h = wn_ft_hash(w, n);
    int32_t id = wn_ft_dict_find(d, w, n, h);
    if (id < 0) {
        if (d->size == v->cap) {
            v->cap = v->cap ? v->cap * 2 : 4096;
            d->words = wn_xrealloc(d->words, (size_t)v->cap * sizeof *d->words);
            d->lens = wn_xrealloc(d->lens, (size_t)v->cap * sizeof *d->lens);
            d->hashes = wn_xrealloc(d->hashes, (size_t)v->cap * sizeof *d->hashes);
            d->counts = wn_xrealloc(d->counts, (size_t)v->cap * sizeof *d->counts);
            d->types = wn_xrealloc(d->types, (size_t)v->cap * sizeof *d->types);
        }
        id = d->size++;
        d->words[id] = wn_xstrndup(w, n);
        d->lens[id] = (uint32_t)n;
        d->hashes[id] = h;
        d->counts[id] = 0;
        size_t pl = sizeof WN_FT_LABEL_PREFIX - 1;
        d->types[id] = n >= pl && !memcmp(w, WN_FT_LABEL_PREFIX, pl) ? WN_FT_LABEL : WN_FT_WORD;
        if ((uint32_t)d->size * 2u > d->index_mask)
            vocab_reindex(v);
        else
            wn_ft_dict_index_put(d, id);
    }
    d->counts[id]++;
    d->ntokens++;
}

/* Calls fn for each line of f (without '\n'; `eol` tells whether it had one). */
typedef void (*line_fn)(void *ctx, const char *s, size_t n, bool eol);
static int for_each_line(FILE *f, line_fn fn, void *ctx)
{
    char *line = NULL;
    size_t cap = 0;
    ssize_t n;
    errno = 0;
    while ((n = getline(&line, &cap, f)) > 0) {
        bool eol = line[n - 1] == '\n';
        fn(ctx, line, (size_t)(eol ? n - 1 : n), eol);
    }
    free(line);
    return ferror(f) ? -1 : 0;
}

static void count_line(void *ctx, const char *s, size_t n, bool eol)
{
    vocab *v = ctx;
    for (size_t i = 0; i < n;) {
        while (i < n && wn_ft_is_space((unsigned char)s[i]))
            i++;
        size_t start = i;
        while (i < n && !wn_ft_is_space((unsigned char)s[i]))
            i++;
        if (i > start)
            vocab_add(v, s + start, i - start);
    }
    if (eol)
        vocab_add(v, WN_FT_EOS, 4);
}

/* Words before labels, then by count descending; first-seen order breaks ties. */
static int cmp_entries(const void *a, const void *b, void *ctx)
{
    int32_t x = *(const int32_t *)a, y = *(const int32_t *)b;
    const wn_ft_dict *d = ctx;
    if (d->types[x] != d->types[y])
        return d->types[x] - d->types[y];
    if (d->counts[x] != d->counts[y])
        return d->counts[x] > d->counts[y] ? -1 : 1;
    return x - y;
}

/* Keeps words seen >= min_count times and labels >= min_count_label, sorted. */
static void vocab_threshold(vocab *v, const wn_ft_train_opts *o, wn_ft_dict *out)
{
    wn_ft_dict *d = &v->d;
    int32_t *order = wn_xmalloc(((size_t)d->size + 1) * sizeof *order), n = 0;
    for (int32_t i = 0; i < d->size; i++) {
        int64_t min = d->types[i] == WN_FT_WORD ? o->min_count : o->min_count_label;
        if (d->counts[i] >= min)
            order[n++] = i;
    }
    qsort_r(order, (size_t)n, sizeof *order, cmp_entries, d);
    memset(out, 0, sizeof *out);
    out->size = n;
    out->ntokens = d->ntokens;
    out->prune_size = -1;
    out->words = wn_xmalloc(((size_t)n + 1) * sizeof *out->words);
    out->lens = wn_xmalloc(((size_t)n + 1) * sizeof *out->lens);
    out->counts = wn_xmalloc(((size_t)n + 1) * sizeof *out->counts);
    out->types = wn_xmalloc(((size_t)n + 1) * sizeof *out->types);
    for (int32_t k = 0; k < n; k++) {
        int32_t i = order[k];
        out->words[k] = d->words[i];
        d->words[i] = NULL;
        out->lens[k] = d->lens[i];
        out->counts[k] = d->counts[i];
        out->types[k] = d->types[i];
        if (d->types[i] == WN_FT_WORD)
            out->nwords++;
        else
            out->nlabels++;
    }
    free(order);
}

/* ---- pass 2: every line encoded as input rows and label ids (ft_examples.c) ---- */

typedef struct encoder {
    const wn_ft_model *m;
    wn_ft_line line;
    wn_ft_examples *ex;
    int failed;
} encoder;

/* Each example of the line (a word "</s>" inside it ends one, as in fastText's getLine; an
 * example without labels is kept for its tokens, which move the learning rate, and skipped
 * by SGD as fastText skips it). */
static void encode_line(void *ctx, const char *line, size_t len, bool line_eol)
{
    encoder *e = ctx;
    wn_ft_examples_of_line ex = {line, len, 0, line_eol, false};
    const char *s;
    size_t n;
    bool eol;
    while (wn_ft_next_example(&ex, &s, &n, &eol)) {
        int64_t ntok = wn_ft_read_line(e->m, s, n, eol, &e->line);
        if (!e->failed &&
            wn_ft_examples_add(e->ex, (int32_t)ntok, &e->line.rows, &e->line.labels))
            e->failed = 1;
    }
}

/* ---- SGD ---- */

typedef struct trainer {
    wn_ft_model *m;
    const wn_ft_examples *ex;
    const wn_ft_train_opts *o;
    _Atomic int64_t tokens;
    int64_t target;
    double *neg_cdf; /* ns: cumulative sqrt(label count) */
} trainer;

typedef struct thread_state {
    float *hidden, *grad, *output;
    double loss;
    int64_t nexamples;
    uint64_t rng;
} thread_state;

static inline uint64_t rng_next(uint64_t *s)
{
    /* splitmix64: small, fast, and good enough for init and label choice */
    uint64_t z = (*s += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}


/* Training need not follow fastText's summation order (prediction does), so the inner
 * loops run four lanes wide. */
typedef float v4 __attribute__((vector_size(16)));

static inline float dot(const float *a, const float *b, int32_t n)
{
    v4 acc = { 0, 0, 0, 0 };
    int32_t j = 0;
    for (; j + 4 <= n; j += 4) {
        v4 x, y;
        memcpy(&x, a + j, sizeof x);
        memcpy(&y, b + j, sizeof y);
        acc += x * y;
    }
    float s = (acc[0] + acc[1]) + (acc[2] + acc[3]);
    for (; j < n; j++)
        s += a[j] * b[j];
    return s;
}

static inline void axpy(float *y, float a, const float *x, int32_t n)
{
    v4 av = { a, a, a, a };
    int32_t j = 0;
    for (; j + 4 <= n; j += 4) {
        v4 xv, yv;
        memcpy(&xv, x + j, sizeof xv);
        memcpy(&yv, y + j, sizeof yv);
        yv += av * xv;
        memcpy(y + j, &yv, sizeof yv);
    }
    for (; j < n; j++)
        y[j] += a * x[j];
}

/* BinaryLogisticLoss::binaryLogistic: one sigmoid output row against a 0/1 target. */
static float binary_logistic(const trainer *tr, thread_state *st, int32_t row, bool positive,
                             float lr)
{
    int32_t dim = tr->m->args.dim;
    float *w = tr->m->output.data + (size_t)row * dim;
    float score = wn_ft_sigmoid(tr->m, dot(w, st->hidden, dim));
    float alpha = lr * ((positive ? 1.0f : 0.0f) - score);
    axpy(st->grad, alpha, w, dim);
    axpy(w, alpha, st->hidden, dim);
    return -logf((positive ? score : 1.0f - score) + 1e-5f);
}

static float softmax_forward(const trainer *tr, thread_state *st, int32_t target, float lr)
{
    int32_t dim = tr->m->args.dim, osz = tr->m->dict.nlabels;
    float *wo = tr->m->output.data, *out = st->output;
    for (int32_t i = 0; i < osz; i++)
        out[i] = dot(wo + (size_t)i * dim, st->hidden, dim);
    float max = out[0], z = 0.0f;
    for (int32_t i = 0; i < osz; i++)
        max = out[i] > max ? out[i] : max;
    for (int32_t i = 0; i < osz; i++) {
        out[i] = expf(out[i] - max);
        z += out[i];
    }
    for (int32_t i = 0; i < osz; i++) {
        out[i] /= z;
        float alpha = lr * ((i == target ? 1.0f : 0.0f) - out[i]);
        axpy(st->grad, alpha, wo + (size_t)i * dim, dim);
        axpy(wo + (size_t)i * dim, alpha, st->hidden, dim);
    }
    return -logf(out[target] + 1e-5f);
}

/* A label drawn with probability proportional to sqrt(count), as fastText's negatives
 * table, never the target (there is none to draw with a single label). */
static int32_t negative_label(const trainer *tr, thread_state *st, int32_t target)
{
    int32_t osz = tr->m->dict.nlabels;
    for (;;) {
        double u = (double)(rng_next(&st->rng) >> 11) * (1.0 / 9007199254740992.0) *
                   tr->neg_cdf[osz - 1];
        int32_t lo = 0, hi = osz - 1;
        while (lo < hi) {
            int32_t mid = (lo + hi) / 2;
            if (tr->neg_cdf[mid] > u)
                hi = mid;
            else
                lo = mid + 1;
        }
        if (lo != target)
            return lo;
    }
}

/* Model::update and the loss's forward with backprop, for one example. */
static void update(const trainer *tr, thread_state *st, const int32_t *rows, size_t nrows,
                   const int32_t *labels, size_t nlabels, float lr)
{
    wn_ft_model *m = tr->m;
    int32_t dim = m->args.dim, osz = m->dict.nlabels;
    float *wi = m->input.data, *hidden = st->hidden, *grad = st->grad;
    memset(hidden, 0, (size_t)dim * sizeof *hidden);
    for (size_t r = 0; r < nrows; r++)
        axpy(hidden, 1.0f, wi + (size_t)rows[r] * dim, dim);
    float inv = (float)(1.0 / (double)nrows);
    for (int32_t j = 0; j < dim; j++)
        hidden[j] *= inv;
    memset(grad, 0, (size_t)dim * sizeof *grad);

    /* every loss but ova trains on one of the line's labels, drawn uniformly */
    int32_t target = labels[nlabels == 1 ? 0 : rng_next(&st->rng) % nlabels];
    double loss = 0;
    switch (m->args.loss) {
    case WN_FT_LOSS_SOFTMAX:
        loss = softmax_forward(tr, st, target, lr);
        break;
    case WN_FT_LOSS_OVA:
        for (int32_t i = 0; i < osz; i++) {
            bool pos = false;
            for (size_t l = 0; l < nlabels; l++)
                pos |= labels[l] == i;
            loss += binary_logistic(tr, st, i, pos, lr);
        }
        break;
    case WN_FT_LOSS_HS: /* the path from the target's leaf up to the root */
        for (int32_t j = target; m->tree_parent[j] != -1; j = m->tree_parent[j])
            loss += binary_logistic(tr, st, m->tree_parent[j] - osz, m->tree_binary[j], lr);
        break;
    case WN_FT_LOSS_NS:
        loss = binary_logistic(tr, st, target, true, lr);
        for (int32_t n = 0; n < m->args.neg && osz > 1; n++)
            loss += binary_logistic(tr, st, negative_label(tr, st, target), false, lr);
        break;
    }
    st->loss += loss;
    st->nexamples++;
    for (int32_t j = 0; j < dim; j++)
        grad[j] *= inv;
    for (size_t r = 0; r < nrows; r++)
        axpy(wi + (size_t)rows[r] * dim, 1.0f, grad, dim);
}

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + ts.tv_nsec * 1e-9;
}

static void train_thread(trainer *tr, int tid, int nthreads, thread_state *st, double t0)
{
    const wn_ft_examples *ex = tr->ex;
    size_t i = ex->n * (size_t)tid / (size_t)nthreads;
    int64_t local = 0;
    double last_print = t0;
    float lr0 = (float)tr->o->lr;
    while (atomic_load_explicit(&tr->tokens, memory_order_relaxed) < tr->target) {
        float progress = (float)atomic_load_explicit(&tr->tokens, memory_order_relaxed) /
                         (float)tr->target;
        float lr = lr0 * (1.0f - progress);
        const int32_t *rec = ex->map + ex->off[i];
        size_t nrows = (size_t)rec[1], nlab = (size_t)rec[2];
        if (nrows && nlab)
            update(tr, st, rec + 3, nrows, rec + 3 + nrows, nlab, lr);
        local += rec[0];
        if (++i == ex->n)
            i = 0;
        if (local > tr->o->lr_update_rate) {
            atomic_fetch_add_explicit(&tr->tokens, local, memory_order_relaxed);
            local = 0;
            if (tid == 0 && tr->o->verbose > 1) {
                double t = now();
                if (t - last_print > 0.5) {
                    last_print = t;
                    int64_t done = atomic_load(&tr->tokens);
                    fprintf(stderr, "\rProgress: %5.1f%% words/sec/thread: %7.0f lr: %9.6f",
                            100.0 * (double)done / (double)tr->target,
                            (double)done / (t - t0) / nthreads, (double)lr);
                }
            }
        }
    }
}

static void init_model(wn_ft_model *m, const wn_ft_train_opts *o, const wn_ft_dict *d)
{
    wn_ft_args *a = &m->args;
    a->dim = o->dim, a->ws = o->ws, a->epoch = o->epoch, a->min_count = o->min_count;
    a->neg = o->neg, a->word_ngrams = o->word_ngrams, a->loss = o->loss;
    a->model = WN_FT_MODEL_SUP, a->bucket = o->bucket, a->minn = o->minn, a->maxn = o->maxn;
    a->lr_update_rate = o->lr_update_rate, a->t = o->t;
    /* as args.cc: without word or char n-grams, no hashing buckets at all */
    if (o->word_ngrams <= 1 && o->maxn == 0)
        a->bucket = 0;
    m->version = WN_FT_VERSION;
    m->dict = *d;
}

static void init_matrices(wn_ft_model *m, uint64_t seed)
{
    int64_t dim = m->args.dim;
    m->input.m = m->dict.nwords + (int64_t)m->args.bucket;
    m->input.n = dim;
    m->input.data = wn_ft_alloc_floats((size_t)(m->input.m * dim));
    float bound = (float)(1.0 / (double)dim);
    uint64_t s = seed * 0x2545F4914F6CDD1Dull + 1;
    for (int64_t i = 0; i < m->input.m * dim; i++) {
        double u = (double)(rng_next(&s) >> 11) * (1.0 / 9007199254740992.0);
        m->input.data[i] = (float)(-bound + 2.0 * bound * u);
    }
    m->output.m = m->dict.nlabels;
    m->output.n = dim;
    m->output.data = wn_xcalloc((size_t)(m->output.m * dim), sizeof(float));
}

static const char *check_opts(const wn_ft_train_opts *o)
{
    if (!o->input)
        return "no input file (-input)";
    if (o->loss < WN_FT_LOSS_HS || o->loss > WN_FT_LOSS_OVA)
        return "unknown loss";
    if (o->dim <= 0 || o->dim > 4096)
        return "dim must be in 1..4096";
    if (o->epoch <= 0 || !(o->lr > 0) || o->lr_update_rate <= 0 || o->threads <= 0)
        return "epoch, lr, lrUpdateRate and thread must be positive";
    if (o->bucket < 0 || o->word_ngrams < 1 || o->minn < 0 || o->maxn < 0 || o->maxn > 64)
        return "bad bucket, wordNgrams, minn or maxn";
    if (o->maxn > 0 && o->minn > o->maxn)
        return "minn must not exceed maxn";
    if ((o->word_ngrams > 1 || o->maxn > 0) && o->bucket == 0)
        return "word or char n-grams need -bucket > 0";
    return NULL;
}

wn_ft_model *wn_ft_train(const wn_ft_train_opts *o, char *err, size_t errlen)
{
    const char *bad = check_opts(o);
    if (bad) {
        snprintf(err, errlen, "%s", bad);
        return NULL;
    }
    FILE *f = fopen(o->input, "rb");
    if (!f) {
        snprintf(err, errlen, "cannot open '%s': %s", o->input, strerror(errno));
        return NULL;
    }
    vocab v = { 0 };
    vocab_reindex(&v);
    int rc = for_each_line(f, count_line, &v);
    wn_ft_dict d;
    vocab_threshold(&v, o, &d);
    wn_ft_dict_release(&v.d);
    if (rc || d.nlabels == 0) {
        snprintf(err, errlen, rc ? "cannot read '%s'" : "no labels in '%s' (lines like "
                 "'__label__x some words')", o->input);
        fclose(f);
        wn_ft_dict_release(&d);
        return NULL;
    }
    wn_ft_model *m = wn_xcalloc(1, sizeof *m);
    init_model(m, o, &d);
    wn_ft_dict_finish(&m->dict, &m->args);
    wn_ft_model_prepare(m);
    if (o->verbose > 0)
        fprintf(stderr, "Read %lldM words\nNumber of words:  %d\nNumber of labels: %d\n",
                (long long)(m->dict.ntokens / 1000000), m->dict.nwords, m->dict.nlabels);

    wn_ft_examples ex;
    encoder enc = { .m = m, .ex = &ex };
    if (wn_ft_examples_open(&ex, err, errlen)) {
        fclose(f);
        wn_ft_free(m);
        return NULL;
    }
    wn_ft_line_init(&enc.line);
    rewind(f);
    rc = for_each_line(f, encode_line, &enc);
    fclose(f);
    wn_ft_line_release(&enc.line);
    if (rc || enc.failed || wn_ft_examples_seal(&ex, err, errlen)) {
        if (rc)
            snprintf(err, errlen, "cannot read '%s'", o->input);
        else if (enc.failed)
            snprintf(err, errlen, "cannot write the temporary file of encoded lines");
        wn_ft_examples_release(&ex);
        wn_ft_free(m);
        return NULL;
    }
    init_matrices(m, o->seed);

    trainer tr = { .m = m, .ex = &ex, .o = o, .target = (int64_t)o->epoch * m->dict.ntokens };
    atomic_init(&tr.tokens, 0);
    tr.neg_cdf = wn_xmalloc((size_t)m->dict.nlabels * sizeof *tr.neg_cdf);
    for (int32_t i = 0; i < m->dict.nlabels; i++)
        tr.neg_cdf[i] = (i ? tr.neg_cdf[i - 1] : 0) + sqrt((double)m->dict.counts[m->dict.nwords + i]);
    int nthreads = o->threads;
    thread_state *st = wn_xcalloc((size_t)nthreads, sizeof *st);
    double t0 = now();
#pragma omp parallel num_threads(nthreads)
    {
        int tid = omp_get_thread_num(), nt = omp_get_num_threads();
        thread_state *s = &st[tid];
        s->hidden = wn_xmalloc((size_t)m->args.dim * sizeof(float));
        s->grad = wn_xmalloc((size_t)m->args.dim * sizeof(float));
        s->output = wn_xmalloc((size_t)m->dict.nlabels * sizeof(float));
        s->rng = o->seed + 1 + (uint64_t)tid;
        train_thread(&tr, tid, nt, s, t0);
    }
    double secs = now() - t0, loss = 0;
    int64_t nexamples = 0;
    for (int t = 0; t < nthreads; t++) {
        loss += st[t].loss;
        nexamples += st[t].nexamples;
        free(st[t].hidden);
        free(st[t].grad);
        free(st[t].output);
    }
    free(st);
    free(tr.neg_cdf);
    if (o->verbose > 0)
        fprintf(stderr, "%sProgress: 100.0%% words/sec/thread: %7.0f lr:  0.000000 "
                "avg.loss: %10.6f ETA:   0h 0m 0s\n", o->verbose > 1 ? "\r" : "",
                (double)tr.target / (secs > 0 ? secs : 1e-9) / nthreads,
                nexamples ? loss / (double)nexamples : 0.0);
    wn_ft_examples_release(&ex);
    return m;
}
