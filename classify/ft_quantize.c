/* ft_quantize.c: `fasttext quantize` (without -retrain): optionally the dictionary pruned to
 * the `cutoff` input rows of largest norm, then the input matrix (and with qout the output
 * matrix) replaced by product quantization, the model then written as a .ftz that fastText
 * reads (FORMATS.md (g): Dictionary prune map, QuantMatrix, ProductQuantizer).
 *
 * Pruning as FastText::selectEmbeddings and Dictionary::prune: rows ranked by L2 norm, the
 * end-of-line word "</s>" first (ties by row number: fastText's std::sort leaves them in an
 * unspecified order); the kept words keep their order and are renumbered, every label
 * stays, and the kept n-gram buckets map, in rank order, to the rows after the words.
 *
 * As fastText's ProductQuantizer: rows split into sub-vectors of `dsub` floats (the last
 * one what is left), each sub-quantizer a k-means of 256 centroids (25 iterations over at
 * most 65,536 sampled rows, an empty cluster takes half of a large one), each row coded by
 * its nearest centroid per sub-vector. With qnorm the rows are normalised first and their
 * norms quantized on their own (one dimension, 256 centroids). The random choices (the
 * sample, the initial centroids, which cluster an empty one splits) come from a fixed seed,
 * so a model quantizes to the same bytes every time; they are not fastText's own draws
 * (std::minstd_rand and libstdc++'s shuffle), so the centroids differ from what
 * `fasttext quantize` would pick while the file format and the predictions it implies are
 * exact (tests/cli/classify_quantize.sh). */
#include "classify/ft_internal.h"

#include "core/buf.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define KSUB 256
#define NITER 25
#define MAX_POINTS (256 * KSUB) /* fastText: max_points_per_cluster * ksub */
#define EPS 1e-7f
#define SEED 1234

/* splitmix64: a small, well-mixed generator with a fixed seed (reproducible output). */
static uint64_t next_random(uint64_t *s)
{
    uint64_t z = (*s += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}

static double uniform01(uint64_t *s)
{
    return (double)(next_random(s) >> 11) * (1.0 / 9007199254740992.0);
}

/* The first k entries of a random permutation of 0..n-1 (partial Fisher-Yates). */
static void sample(int32_t *perm, int32_t n, int32_t k, uint64_t *s)
{
    for (int32_t i = 0; i < n; i++)
        perm[i] = i;
    for (int32_t i = 0; i < k && i < n - 1; i++) {
        int32_t j = i + (int32_t)(next_random(s) % (uint64_t)(n - i));
        int32_t t = perm[i];
        perm[i] = perm[j];
        perm[j] = t;
    }
}

static float dist2(const float *a, const float *b, int32_t d)
{
    float s = 0.0f;
    for (int32_t j = 0; j < d; j++) {
        float t = a[j] - b[j];
        s += t * t;
    }
    return s;
}

static uint8_t nearest(const float *x, const float *c, int32_t d)
{
    float best = dist2(x, c, d);
    uint8_t code = 0;
    for (int32_t k = 1; k < KSUB; k++) {
        float v = dist2(x, c + (size_t)k * d, d);
        if (v < best) {
            best = v;
            code = (uint8_t)k;
        }
    }
    return code;
}

/* k-means of n points of dimension d (x, n x d) into c (KSUB x d), as ProductQuantizer's. */
static void kmeans(const float *x, float *c, int32_t n, int32_t d, uint64_t *s)
{
    int32_t *perm = wn_xmalloc((size_t)n * sizeof *perm);
    sample(perm, n, KSUB, s);
    for (int32_t k = 0; k < KSUB; k++)
        memcpy(c + (size_t)k * d, x + (size_t)perm[k] * d, (size_t)d * sizeof *c);
    free(perm);
    uint8_t *codes = wn_xmalloc((size_t)n);
    int32_t nelts[KSUB];
    for (int it = 0; it < NITER; it++) {
        for (int32_t i = 0; i < n; i++)
            codes[i] = nearest(x + (size_t)i * d, c, d);
        memset(c, 0, (size_t)KSUB * d * sizeof *c);
        memset(nelts, 0, sizeof nelts);
        for (int32_t i = 0; i < n; i++) {
            float *ck = c + (size_t)codes[i] * d;
            for (int32_t j = 0; j < d; j++)
                ck[j] += x[(size_t)i * d + j];
            nelts[codes[i]]++;
        }
        for (int32_t k = 0; k < KSUB; k++)
            if (nelts[k])
                for (int32_t j = 0; j < d; j++)
                    c[(size_t)k * d + j] /= (float)nelts[k];
        /* an empty cluster splits one chosen with odds growing with its size */
        for (int32_t k = 0; k < KSUB; k++) {
            if (nelts[k])
                continue;
            int32_t m = 0;
            while (uniform01(s) * (double)(n - KSUB) >= (double)(nelts[m] - 1))
                m = (m + 1) % KSUB;
            memcpy(c + (size_t)k * d, c + (size_t)m * d, (size_t)d * sizeof *c);
            for (int32_t j = 0; j < d; j++) {
                float sign = (float)((j % 2) * 2 - 1);
                c[(size_t)k * d + j] += sign * EPS;
                c[(size_t)m * d + j] -= sign * EPS;
            }
            nelts[k] = nelts[m] / 2;
            nelts[m] -= nelts[k];
        }
    }
    free(codes);
}

static float *centroids_of(wn_ft_pq *pq, int32_t m)
{
    return pq->centroids + (size_t)m * KSUB * pq->dsub;
}

static void pq_train(wn_ft_pq *pq, const float *x, int64_t rows, int32_t dim, int32_t dsub,
                     uint64_t *s)
{
    pq->dim = dim;
    pq->dsub = dsub;
    pq->nsubq = dim / dsub;
    pq->lastdsub = dim % dsub;
    if (pq->lastdsub == 0)
        pq->lastdsub = dsub;
    else
        pq->nsubq++;
    pq->centroids = wn_xcalloc((size_t)dim * KSUB, sizeof *pq->centroids);
    int32_t n = rows > MAX_POINTS ? MAX_POINTS : (int32_t)rows;
    int32_t *perm = wn_xmalloc((size_t)rows * sizeof *perm);
    float *slice = wn_xmalloc((size_t)n * dsub * sizeof *slice);
    for (int32_t m = 0; m < pq->nsubq; m++) {
        int32_t d = m == pq->nsubq - 1 ? pq->lastdsub : dsub;
        sample(perm, (int32_t)rows, n, s); /* the first n of a shuffle: the sample */
        for (int32_t j = 0; j < n; j++)
            memcpy(slice + (size_t)j * d, x + (size_t)perm[j] * dim + (size_t)m * dsub,
                   (size_t)d * sizeof *slice);
        kmeans(slice, centroids_of(pq, m), n, d, s);
    }
    free(slice);
    free(perm);
}

static void pq_codes(const wn_ft_pq *pq, const float *x, int64_t rows, uint8_t *codes)
{
#pragma omp parallel for schedule(static)
    for (int64_t i = 0; i < rows; i++)
        for (int32_t m = 0; m < pq->nsubq; m++) {
            int32_t d = m == pq->nsubq - 1 ? pq->lastdsub : pq->dsub;
            codes[i * pq->nsubq + m] =
                nearest(x + i * pq->dim + (size_t)m * pq->dsub,
                        pq->centroids + (size_t)m * KSUB * pq->dsub, d);
        }
}

static float l2_norm(const float *r, int32_t dim)
{
    double sum = 0.0;
    for (int32_t j = 0; j < dim; j++)
        sum += (double)r[j] * r[j];
    return (float)sqrt(sum);
}

/* QuantMatrix(DenseMatrix, dsub, qnorm): mx becomes quantized (its floats are freed). */
static int quantize_matrix(wn_ft_matrix *mx, int32_t dsub, bool qnorm, const char *what,
                           char *err, size_t errlen)
{
    if (mx->quant)
        return 0;
    if (mx->m < KSUB) {
        snprintf(err, errlen, "the %s matrix has %lld rows: quantization needs at least %d",
                 what, (long long)mx->m, KSUB);
        return -1;
    }
    uint64_t s = SEED;
    int32_t dim = (int32_t)mx->n;
    if (qnorm) {
        float *norms = wn_xmalloc((size_t)mx->m * sizeof *norms);
        for (int64_t i = 0; i < mx->m; i++) {
            float *r = mx->data + i * dim;
            norms[i] = l2_norm(r, dim);
            if (norms[i] > 0.0f)
                for (int32_t j = 0; j < dim; j++)
                    r[j] /= norms[i];
        }
        pq_train(&mx->npq, norms, mx->m, 1, 1, &s);
        mx->norm_codes = wn_xmalloc((size_t)mx->m);
        pq_codes(&mx->npq, norms, mx->m, mx->norm_codes);
        free(norms);
    }
    pq_train(&mx->pq, mx->data, mx->m, dim, dsub, &s);
    mx->codes = wn_xmalloc((size_t)mx->m * mx->pq.nsubq);
    pq_codes(&mx->pq, mx->data, mx->m, mx->codes);
    free(mx->data);
    mx->data = NULL;
    mx->quant = true;
    mx->qnorm = qnorm;
    return 0;
}

/* An input row in selectEmbeddings' order: "</s>" first, then by norm, largest first. */
typedef struct ranked_row {
    int32_t not_eos; /* 0 for "</s>" */
    float norm;
    int32_t row;
} ranked_row;

static int by_rank(const void *pa, const void *pb)
{
    const ranked_row *a = pa, *b = pb;
    if (a->not_eos != b->not_eos)
        return a->not_eos - b->not_eos;
    if (a->norm != b->norm)
        return a->norm > b->norm ? -1 : 1;
    return (a->row > b->row) - (a->row < b->row);
}

static int cmp_i32(const void *pa, const void *pb)
{
    int32_t a = *(const int32_t *)pa, b = *(const int32_t *)pb;
    return (a > b) - (a < b);
}

/* Keep the `cutoff` rows of largest norm, and rebuild the dictionary's lookup tables. */
static void prune(wn_ft_model *m, int64_t cutoff)
{
    wn_ft_dict *d = &m->dict;
    wn_ft_matrix *in = &m->input;
    int32_t rows = (int32_t)in->m, dim = (int32_t)in->n;
    ranked_row *rank = wn_xmalloc((size_t)rows * sizeof *rank);
    for (int32_t i = 0; i < rows; i++)
        rank[i] = (ranked_row){i != d->eos, l2_norm(in->data + (size_t)i * dim, dim), i};
    qsort(rank, (size_t)rows, sizeof *rank, by_rank);
    int32_t *idx = wn_xmalloc((size_t)rows * sizeof *idx);
    for (int32_t i = 0; i < rows; i++)
        idx[i] = rank[i].row;
    free(rank);
    int32_t kept = (int32_t)cutoff, n_words = 0;
    int32_t *words = wn_xmalloc((size_t)kept * sizeof *words);
    for (int32_t k = 0; k < kept; k++)
        if (idx[k] < d->nwords)
            words[n_words++] = idx[k];
    qsort(words, (size_t)n_words, sizeof *words, cmp_i32);

    /* the new input rows: kept words by id, then the kept buckets by rank */
    float *data = wn_xmalloc((size_t)kept * dim * sizeof *data);
    int32_t r = 0;
    for (int32_t k = 0; k < n_words; k++)
        memcpy(data + (size_t)r++ * dim, in->data + (size_t)words[k] * dim, (size_t)dim * sizeof *data);
    uint32_t cap = 16;
    while (cap < (uint32_t)(kept - n_words) * 2)
        cap *= 2;
    free(d->prune);
    free(d->prune_bits);
    d->prune = wn_xmalloc(cap * sizeof *d->prune);
    memset(d->prune, 0xff, cap * sizeof *d->prune);
    d->prune_mask = cap - 1;
    d->prune_bits = wn_xcalloc((size_t)m->args.bucket / 64 + 1, sizeof *d->prune_bits);
    d->prune_size = 0;
    for (int32_t k = 0; k < kept; k++) {
        if (idx[k] < d->nwords)
            continue;
        int32_t bucket = idx[k] - d->nwords;
        uint32_t i = ((uint32_t)bucket * 2654435761u) & d->prune_mask;
        while (d->prune[i].key >= 0)
            i = (i + 1) & d->prune_mask;
        d->prune[i].key = bucket;
        d->prune[i].val = (int32_t)d->prune_size++;
        d->prune_bits[(uint32_t)bucket >> 6] |= 1ull << (bucket & 63);
        memcpy(data + (size_t)r++ * dim, in->data + (size_t)idx[k] * dim, (size_t)dim * sizeof *data);
    }
    free(in->data);
    in->data = data;
    in->m = kept;

    /* the dictionary: the kept words in order, then every label */
    int32_t j = 0, w = 0;
    for (int32_t i = 0; i < d->size; i++) {
        bool keep = i >= d->nwords || (w < n_words && words[w] == i);
        if (i < d->nwords && keep)
            w++;
        if (!keep) {
            free(d->words[i]);
            continue;
        }
        d->words[j] = d->words[i];
        d->lens[j] = d->lens[i];
        d->counts[j] = d->counts[i];
        d->types[j] = d->types[i];
        j++;
    }
    for (int32_t i = j; i < d->size; i++)
        d->words[i] = NULL;
    d->nwords = n_words;
    d->size = j;
    free(d->sub_start);
    free(d->sub_rows);
    d->sub_rows = NULL;
    wn_ft_dict_finish(d, &m->args);
    free(words);
    free(idx);
}

int wn_ft_quantize(wn_ft_model *m, int32_t dsub, bool qnorm, bool qout, int64_t cutoff,
                   char *err, size_t errlen)
{
    if (dsub < 1 || dsub > m->args.dim) {
        snprintf(err, errlen, "-dsub %d: expected 1 to the dimension (%d)", dsub, m->args.dim);
        return -1;
    }
    if (cutoff > 0 && cutoff < m->input.m && !m->input.quant) {
        if (cutoff < KSUB) {
            snprintf(err, errlen, "-cutoff %lld: quantization needs at least %d rows",
                     (long long)cutoff, KSUB);
            return -1;
        }
        prune(m, cutoff);
    }
    if (quantize_matrix(&m->input, dsub, qnorm, "input", err, errlen))
        return -1;
    /* fastText quantizes the output with sub-vectors of 2 whatever -dsub says */
    if (qout && quantize_matrix(&m->output, 2, qnorm, "output", err, errlen))
        return -1;
    wn_ft_model_changed(m);
    return 0;
}
