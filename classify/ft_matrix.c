/* ft_matrix.c: rows of dense and product-quantized matrices, summed in the same float
 * order as fastText (densematrix.cc addRowToVector/dotRow, productquantizer.cc
 * addcode/mulcode), so that predictions agree to the last printed digit. */
#include "classify/ft_internal.h"

#include "core/buf.h"

#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

float *wn_ft_alloc_floats(size_t n)
{
    size_t bytes = n * sizeof(float);
    if (bytes < (8u << 20))
        return wn_xmalloc(bytes ? bytes : 1);
    /* A large matrix is read at random rows: 2 MB pages spare a TLB miss per row. */
    const size_t huge = 2u << 20;
    void *p = NULL;
    if (posix_memalign(&p, huge, bytes) != 0)
        return wn_xmalloc(bytes);
    madvise(p, bytes & ~(huge - 1), MADV_HUGEPAGE);
    return p;
}

typedef float v4 __attribute__((vector_size(16)));

/* x[j] += r[j] for j < n, four lanes at a time: each element is one float addition, as in
 * fastText's scalar loop, so the result is the same. */
static inline void add_floats(float *restrict x, const float *restrict r, int64_t n)
{
    int64_t j = 0;
    for (; j + 4 <= n; j += 4) {
        v4 a, b;
        memcpy(&a, x + j, sizeof a);
        memcpy(&b, r + j, sizeof b);
        a += b;
        memcpy(x + j, &a, sizeof a);
    }
    for (; j < n; j++)
        x[j] += r[j];
}

/* ProductQuantizer::get_centroids: the last sub-quantizer has its own width. */
static inline const float *centroid(const wn_ft_pq *pq, int32_t m, uint8_t code)
{
    if (m == pq->nsubq - 1)
        return pq->centroids + (size_t)m * 256 * pq->dsub + (size_t)code * pq->lastdsub;
    return pq->centroids + ((size_t)m * 256 + code) * pq->dsub;
}

static inline float row_norm(const wn_ft_matrix *mx, int64_t i)
{
    return mx->qnorm ? centroid(&mx->npq, 0, mx->norm_codes[i])[0] : 1.0f;
}

void wn_ft_matrix_prefetch_row(const wn_ft_matrix *mx, int64_t i)
{
    if (mx->quant && !mx->decoded) {
        __builtin_prefetch(mx->codes + (size_t)mx->pq.nsubq * (size_t)i);
        return;
    }
    const char *r = (const char *)((mx->quant ? mx->decoded : mx->data) + i * mx->n);
    for (size_t off = 0; off < (size_t)mx->n * sizeof(float); off += 64)
        __builtin_prefetch(r + off);
}

void wn_ft_matrix_add_row(const wn_ft_matrix *mx, int64_t i, float *x)
{
    if (!mx->quant) {
        add_floats(x, mx->data + i * mx->n, mx->n);
        return;
    }
    const wn_ft_pq *pq = &mx->pq;
    const uint8_t *code = mx->codes + (size_t)pq->nsubq * (size_t)i;
    float alpha = row_norm(mx, i);
    int32_t d = pq->dsub;
    for (int32_t m = 0; m < pq->nsubq; m++) {
        const float *c = centroid(pq, m, code[m]);
        if (m == pq->nsubq - 1)
            d = pq->lastdsub;
        float *xm = x + (size_t)m * pq->dsub;
        for (int32_t n = 0; n < d; n++)
            xm[n] += alpha * c[n];
    }
}

void wn_ft_matrix_decode(wn_ft_matrix *mx)
{
    if (!mx->quant || mx->decoded || (uint64_t)mx->m * (uint64_t)mx->n > (16u << 20))
        return;
    size_t n = (size_t)mx->m * (size_t)mx->n;
    void *p = NULL; /* cache-line aligned: a 16-float row is one line */
    if (posix_memalign(&p, 64, (n ? n : 1) * sizeof(float)) != 0)
        return;
    float *rows = p;
    memset(rows, 0, n * sizeof *rows);
    for (int64_t i = 0; i < mx->m; i++)
        wn_ft_matrix_add_row(mx, i, rows + (size_t)i * (size_t)mx->n); /* 0 + a*c = a*c */
    mx->decoded = rows;
}

/* The rows' floats: the dense data or the decoded quantized rows (NULL: neither). */
static inline const float *plain_rows(const wn_ft_matrix *mx)
{
    return mx->quant ? mx->decoded : mx->data;
}

/* dim 16 (lid.176): the sum stays in four registers instead of going through memory. */
/* The 3.2 MB of lid.176's rows do not stay in L2 beside the word cache: a row is asked for
 * 32 rows (~100 ns) ahead, enough for a read from L3 (8: ~1.5% slower). */
enum { ROW_AHEAD = 32 };

/* ADD(i) for rows[0..n) in order, the row ROW_AHEAD on asked for before each; the rows
 * with a row ROW_AHEAD after them in a loop of their own, so neither loop tests for it. */
#define FOR_ROWS_AHEAD(ADD)                                                                    \
    do {                                                                                       \
        size_t i_ = 0;                                                                         \
        _Pragma("GCC unroll 2") for (; i_ + ROW_AHEAD < n; i_++)                               \
        {                                                                                      \
            __builtin_prefetch(base + (size_t)rows[i_ + ROW_AHEAD] * 16);                      \
            ADD(i_);                                                                           \
        }                                                                                      \
        for (; i_ < n; i_++)                                                                   \
            ADD(i_);                                                                           \
    } while (0)

static void add_rows16(const float *base, const int32_t *rows, size_t n, float *x)
{
    /* four variables, not an array: GCC kept an array on the stack, so each addition
     * waited for the last one's store */
    v4 a0, a1, a2, a3;
    memcpy(&a0, x, sizeof a0);
    memcpy(&a1, x + 4, sizeof a1);
    memcpy(&a2, x + 8, sizeof a2);
    memcpy(&a3, x + 12, sizeof a3);
    /* rows are 64-byte aligned (wn_ft_matrix_decode): aligned vector reads let each
     * addition take its operand from memory, 15 instructions a row instead of 19 */
#define ADD_ROW16(i)                                                                           \
    do {                                                                                       \
        const v4 *r = (const v4 *)(const void *)(base + (size_t)rows[i] * 16);                 \
        a0 += r[0];                                                                            \
        a1 += r[1];                                                                            \
        a2 += r[2];                                                                            \
        a3 += r[3];                                                                            \
    } while (0)
    FOR_ROWS_AHEAD(ADD_ROW16);
#undef ADD_ROW16
    memcpy(x, &a0, sizeof a0);
    memcpy(x + 4, &a1, sizeof a1);
    memcpy(x + 8, &a2, sizeof a2);
    memcpy(x + 12, &a3, sizeof a3);
}

#if defined(__x86_64__) || defined(__i386__)
typedef float v8 __attribute__((vector_size(32)));

/* add_rows16 with the 16 floats in two 256-bit registers: two additions a row instead of
 * four, each element still one float addition in the same order (the same floats). AVX
 * (VEX) memory operands need no alignment. */
__attribute__((target("avx"))) static void add_rows16_avx(const float *base,
                                                          const int32_t *rows, size_t n,
                                                          float *x)
{
    v8 lo, hi;
    memcpy(&lo, x, sizeof lo);
    memcpy(&hi, x + 8, sizeof hi);
#define ADD_ROW16(i)                                                                           \
    do {                                                                                       \
        const float *r = base + (size_t)rows[i] * 16;                                          \
        v8 rlo, rhi;                                                                           \
        memcpy(&rlo, r, sizeof rlo);                                                           \
        memcpy(&rhi, r + 8, sizeof rhi);                                                       \
        lo += rlo;                                                                             \
        hi += rhi;                                                                             \
    } while (0)
    FOR_ROWS_AHEAD(ADD_ROW16);
#undef ADD_ROW16
    memcpy(x, &lo, sizeof lo);
    memcpy(x + 8, &hi, sizeof hi);
}
#endif
#undef FOR_ROWS_AHEAD

bool wn_ft_use_avx = true;

void wn_ft_matrix_add_rows(const wn_ft_matrix *mx, const int32_t *rows, size_t n, float *x)
{
    const float *base = plain_rows(mx);
    if (base && mx->n == 16 && ((uintptr_t)base & 15) == 0) { /* malloc'ed: aligned */
#if defined(__x86_64__) || defined(__i386__)
        if (wn_ft_use_avx && __builtin_cpu_supports("avx")) {
            add_rows16_avx(base, rows, n, x);
            return;
        }
#endif
        add_rows16(base, rows, n, x);
        return;
    }
    /* Rows of a large model are scattered over hundreds of MB: ask for the next rows
     * while adding this one, so their cache misses overlap instead of queueing. */
    enum { AHEAD = 6 };
    for (size_t i = 0; i < n && i < AHEAD; i++)
        wn_ft_matrix_prefetch_row(mx, rows[i]);
    for (size_t i = 0; i < n; i++) {
        if (i + AHEAD < n)
            wn_ft_matrix_prefetch_row(mx, rows[i + AHEAD]);
        if (base)
            add_floats(x, base + (size_t)rows[i] * (size_t)mx->n, mx->n);
        else
            wn_ft_matrix_add_row(mx, rows[i], x);
    }
}

float wn_ft_matrix_dot_row(const wn_ft_matrix *mx, int64_t i, const float *x)
{
    float res = 0.0f;
    if (!mx->quant) {
        const float *r = mx->data + i * mx->n;
        for (int64_t j = 0; j < mx->n; j++)
            res += r[j] * x[j];
        return res;
    }
    const wn_ft_pq *pq = &mx->pq;
    const uint8_t *code = mx->codes + (size_t)pq->nsubq * (size_t)i;
    float alpha = row_norm(mx, i);
    int32_t d = pq->dsub;
    for (int32_t m = 0; m < pq->nsubq; m++) {
        const float *c = centroid(pq, m, code[m]);
        if (m == pq->nsubq - 1)
            d = pq->lastdsub;
        const float *xm = x + (size_t)m * pq->dsub;
        for (int32_t n = 0; n < d; n++)
            res += xm[n] * c[n];
    }
    return res * alpha;
}

void wn_ft_matrix_release(wn_ft_matrix *mx)
{
    free(mx->data);
    free(mx->codes);
    free(mx->norm_codes);
    free(mx->pq.centroids);
    free(mx->npq.centroids);
    free(mx->decoded);
    memset(mx, 0, sizeof *mx);
}
