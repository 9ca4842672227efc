/* semantic.c: SemDeDup's in-memory core - spherical k-means, in-cluster selection - and its
 * configuration. The phases that stream files are in sem_embed.c and sem_cluster.c. */
#include "dedup/semantic.h"
#include "dedup/sem_files.h"

#include "core/buf.h"

#include <math.h>
#include <omp.h>
#include <stdlib.h>
#include <string.h>
#include <xxhash.h>


float wn_sem_dot(const float *a, const float *b, unsigned d)
{
    float s = 0;
    for (unsigned i = 0; i < d; i++) s += a[i] * b[i];
    return s;
}

void wn_sem_normalise(float *v, unsigned d)
{
    double norm = 0;
    for (unsigned j = 0; j < d; j++) norm += (double)v[j] * v[j];
    if (norm > 0) {
        float inv = (float)(1.0 / sqrt(norm));
        for (unsigned j = 0; j < d; j++) v[j] *= inv;
    }
}

uint32_t wn_sem_nearest(const float *v, const float *centroids, unsigned k, unsigned d)
{
    uint32_t best = 0;
    float bs = -INFINITY;
    for (unsigned c = 0; c < k; c++) {
        float s = wn_sem_dot(v, centroids + (size_t)c * d, d);
        if (s > bs) { bs = s; best = c; } /* ties: lowest cluster */
    }
    return best;
}

/* Seeded choice of k distinct rows as initial centroids (partial Fisher-Yates). */
static void init_centroids(const float *x, size_t n, unsigned d, unsigned k, uint64_t seed,
                           float *cent)
{
    size_t *idx = wn_xmalloc(n * sizeof *idx);
    for (size_t i = 0; i < n; i++) idx[i] = i;
    for (unsigned c = 0; c < k; c++) {
        uint64_t key[2] = {seed, c};
        size_t r = c + (size_t)(XXH3_64bits(key, sizeof key) % (n - c));
        size_t t = idx[c]; idx[c] = idx[r]; idx[r] = t;
        memcpy(cent + (size_t)c * d, x + idx[c] * d, d * sizeof *cent);
    }
    free(idx);
}

/* New centroids: normalised sums of members, summed in row order so that the result is the
 * same at any thread count. An empty cluster keeps its centroid. */
static void update_centroids(const float *x, size_t n, unsigned d, unsigned k,
                             const uint32_t *assign, double *sum, float *cent)
{
    memset(sum, 0, (size_t)k * d * sizeof *sum);
    for (size_t i = 0; i < n; i++)
        for (unsigned j = 0; j < d; j++) sum[(size_t)assign[i] * d + j] += x[i * d + j];
    for (unsigned c = 0; c < k; c++) {
        double norm = 0;
        for (unsigned j = 0; j < d; j++) norm += sum[(size_t)c * d + j] * sum[(size_t)c * d + j];
        if (norm <= 0) continue;
        double inv = 1.0 / sqrt(norm);
        for (unsigned j = 0; j < d; j++)
            cent[(size_t)c * d + j] = (float)(sum[(size_t)c * d + j] * inv);
    }
}

void wn_sem_kmeans(const float *x, size_t n, unsigned d, unsigned k, unsigned iterations,
                   uint64_t seed, uint32_t *assign, float *centroids)
{
    if (n == 0 || k == 0) return;
    if (k > n) k = (unsigned)n;
    float *cent = wn_xmalloc((size_t)k * d * sizeof *cent);
    init_centroids(x, n, d, k, seed, cent);
    double *sum = wn_xmalloc((size_t)k * d * sizeof *sum);
    /* at least one assignment, so that assign and the returned centroids always agree */
    for (unsigned it = 0;; it++) {
        size_t changed = 0;
#pragma omp parallel for schedule(static) reduction(+ : changed)
        for (size_t i = 0; i < n; i++) {
            uint32_t best = wn_sem_nearest(x + i * d, cent, k, d);
            if (it == 0 || assign[i] != best) changed++;
            assign[i] = best;
        }
        /* stop before updating: the centroids handed back are the ones assign used (an
         * update after convergence would reproduce them anyway) */
        if (changed == 0 || it + 1 >= iterations) break;
        update_centroids(x, n, d, k, assign, sum, cent);
    }
    if (centroids) memcpy(centroids, cent, (size_t)k * d * sizeof *cent);
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
                    if (wn_sem_dot(x + i * d, x + kept[q] * d, d) > thr) {
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

unsigned wn_sem_resolve_k(const wn_sem_config *c, uint64_t n)
{
    uint64_t k = c->k ? c->k : (uint64_t)(sqrt((double)n) + 0.5);
    if (k > n) k = n;
    return k < 1 ? 1 : (unsigned)k;
}

uint64_t wn_sem_resolve_sample(const wn_sem_config *c, uint64_t n, unsigned dim,
                               uint64_t mem_bytes)
{
    if (c->sample) return c->sample;
    /* FAISS samples 256 points per centroid: more adds time, not quality */
    uint64_t s = 256ull * wn_sem_resolve_k(c, n);
    uint64_t fit = mem_bytes / 2 / wn_sem_row_bytes(dim);
    if (s > fit) s = fit;
    return s < 1 ? 1 : s;
}

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
    snprintf(out, n, "semantic v2 k=%u eps=%g iter=%u seed=%llu dim=%u emb=%s sample=%llu",
             c->k, c->eps, c->iterations, (unsigned long long)c->seed, c->dim,
             c->embeddings ? "file" : "builtin", (unsigned long long)c->sample);
}

char *wn_sem_path(const wn_sem_state *st, const char *name)
{
    wn_buf b = WN_BUF_INIT;
    wn_buf_appendf(&b, "%s/%s", st->dir, name);
    return wn_buf_detach(&b, NULL);
}

int wn_sem_run(const wn_sem_config *c, const wn_sem_state *st, char **all_inputs, size_t n_all,
               const wn_jsonl_opts *jsonl, const char *clusters_tsv, char *err, size_t errlen)
{
    if (wn_sem_embed_phase(c, st, all_inputs, n_all, jsonl, err, errlen) ||
        wn_sem_kmeans_phase(c, st, err, errlen) || wn_sem_assign_phase(c, st, err, errlen) ||
        wn_sem_select_phase(c, st, clusters_tsv, err, errlen))
        return -1;
    return 0;
}
