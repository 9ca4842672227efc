/* ft_predict.c: supervised prediction as fastText computes it (FastText::predict,
 * Model::predict, Loss::predict/findKBest, HierarchicalSoftmaxLoss::dfs in
 * facebookresearch/fastText src/), including the order of equal scores: the top-k heap
 * below follows libstdc++'s push_heap/pop_heap/sort_heap step by step, so ties come out
 * in the order the CLI prints them. */
#include "classify/ft_internal.h"

#include "core/buf.h"

#include <math.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

enum { SIGMOID_TABLE = 512, MAX_SIGMOID = 8 };

typedef struct scored {
    float score; /* log(p + 1e-5) */
    int32_t id;
} scored;

/* fastText's comparePairs: a > b by score; as a heap order it keeps the smallest on top. */
static inline bool heap_less(const scored *a, const scored *b)
{
    return a->score > b->score;
}

static void sift_up(scored *h, size_t hole, size_t top, scored v)
{
    while (hole > top) {
        size_t parent = (hole - 1) / 2;
        if (!heap_less(&h[parent], &v))
            break;
        h[hole] = h[parent];
        hole = parent;
    }
    h[hole] = v;
}

static void adjust_heap(scored *h, size_t hole, size_t len, scored v)
{
    size_t top = hole, child = hole;
    while (len > 2 && child < (len - 1) / 2) {
        child = 2 * (child + 1);
        if (heap_less(&h[child], &h[child - 1]))
            child--;
        h[hole] = h[child];
        hole = child;
    }
    if ((len & 1) == 0 && len >= 2 && child == (len - 2) / 2) {
        child = 2 * (child + 1);
        h[hole] = h[child - 1];
        hole = child - 1;
    }
    sift_up(h, hole, top, v);
}

/* pop_heap on h[0..len): moves the top to h[len-1]. */
static void pop_heap(scored *h, size_t len)
{
    if (len < 2)
        return;
    scored v = h[len - 1];
    h[len - 1] = h[0];
    adjust_heap(h, 0, len - 1, v);
}

/* Push (score, id) into a heap of at most k, dropping the smallest when full. */
static void heap_offer(scored *h, size_t *n, size_t k, float score, int32_t id)
{
    h[*n] = (scored){ score, id };
    (*n)++;
    sift_up(h, *n - 1, 0, h[*n - 1]);
    if (*n > k) {
        pop_heap(h, *n);
        (*n)--;
    }
}

static void sort_heap(scored *h, size_t n)
{
    for (; n > 1; n--)
        pop_heap(h, n);
}

static inline float std_log(float x)
{
    return (float)log((double)x + 1e-5);
}

static atomic_uint_fast64_t serials;

void wn_ft_model_changed(wn_ft_model *m)
{
    m->serial = atomic_fetch_add(&serials, 1) + 1;
    free(m->input.decoded);
    m->input.decoded = NULL;
    wn_ft_matrix_decode(&m->input);
}

void wn_ft_model_prepare(wn_ft_model *m)
{
    wn_ft_model_changed(m);
    for (int i = 0; i <= SIGMOID_TABLE; i++) {
        float x = (float)(i * 2 * MAX_SIGMOID) / SIGMOID_TABLE - MAX_SIGMOID;
        m->sigmoid_table[i] = (float)(1.0 / (1.0 + (double)expf(-x)));
    }
    if (m->args.loss != WN_FT_LOSS_HS)
        return;
    /* HierarchicalSoftmaxLoss::buildTree: Huffman tree over label counts (sorted
     * descending), leaves 0..osz-1, internal nodes osz..2*osz-2. */
    int32_t osz = m->dict.nlabels, nodes = 2 * osz - 1;
    int64_t *count = wn_xmalloc((size_t)nodes * sizeof *count);
    m->tree_left = wn_xmalloc((size_t)nodes * sizeof *m->tree_left);
    m->tree_right = wn_xmalloc((size_t)nodes * sizeof *m->tree_right);
    m->tree_parent = wn_xmalloc((size_t)nodes * sizeof *m->tree_parent);
    m->tree_binary = wn_xcalloc((size_t)nodes, sizeof *m->tree_binary);
    for (int32_t i = 0; i < nodes; i++) {
        m->tree_left[i] = m->tree_right[i] = m->tree_parent[i] = -1;
        count[i] = i < osz ? m->dict.counts[m->dict.nwords + i] : (int64_t)1e15;
    }
    int32_t leaf = osz - 1, node = osz;
    for (int32_t i = osz; i < nodes; i++) {
        int32_t mini[2];
        for (int j = 0; j < 2; j++) {
            if (leaf >= 0 && count[leaf] < count[node])
                mini[j] = leaf--;
            else
                mini[j] = node++;
        }
        m->tree_left[i] = mini[0];
        m->tree_right[i] = mini[1];
        m->tree_parent[mini[0]] = m->tree_parent[mini[1]] = i;
        m->tree_binary[mini[1]] = 1;
        count[i] = count[mini[0]] + count[mini[1]];
    }
    free(count);
}

/* HierarchicalSoftmaxLoss::dfs. `min_score` is std_log(threshold), which fastText computes
 * again at every node: the same float, taken once. */
static void hs_dfs(const wn_ft_model *m, size_t k, float min_score, int32_t node, float score,
                   scored *heap, size_t *n, const float *hidden)
{
    if (score < min_score)
        return;
    if (*n == k && score < heap[0].score)
        return;
    int32_t osz = m->dict.nlabels;
    if (m->tree_left[node] == -1 && m->tree_right[node] == -1) {
        heap_offer(heap, n, k, score, node);
        return;
    }
    float f = wn_ft_matrix_dot_row(&m->output, node - osz, hidden);
    f = (float)(1. / (double)(1 + expf(-f)));
    hs_dfs(m, k, min_score, m->tree_left[node], score + std_log((float)(1.0 - f)), heap, n,
           hidden);
    hs_dfs(m, k, min_score, m->tree_right[node], score + std_log(f), heap, n, hidden);
}

int wn_ft_predict_rows(const wn_ft_model *m, const wn_ft_ivec *rows, int k, float threshold,
                       float *hidden, float *output, wn_ft_prediction *out)
{
    int32_t dim = m->args.dim, osz = m->dict.nlabels;
    if (rows->n == 0 || k == 0)
        return 0; /* FastText::predict returns nothing for a line without input rows */
    size_t kk = k < 0 || k > osz ? (size_t)osz : (size_t)k;
    memset(hidden, 0, (size_t)dim * sizeof *hidden);
    wn_ft_matrix_add_rows(&m->input, rows->v, rows->n, hidden);
    float inv = (float)(1.0 / (double)rows->n);
    for (int32_t j = 0; j < dim; j++)
        hidden[j] *= inv;

    scored stack_heap[64];
    scored *heap = kk + 1 <= 64 ? stack_heap : wn_xmalloc((kk + 1) * sizeof *heap);
    size_t n = 0;
    if (m->args.loss == WN_FT_LOSS_HS) {
        hs_dfs(m, kk, std_log(threshold), 2 * osz - 2, 0.0f, heap, &n, hidden);
    } else {
        for (int32_t i = 0; i < osz; i++)
            output[i] = wn_ft_matrix_dot_row(&m->output, i, hidden);
        if (m->args.loss == WN_FT_LOSS_SOFTMAX) {
            float max = output[0], z = 0.0f;
            for (int32_t i = 0; i < osz; i++)
                max = output[i] > max ? output[i] : max;
            for (int32_t i = 0; i < osz; i++) {
                output[i] = (float)exp((double)(output[i] - max));
                z += output[i];
            }
            for (int32_t i = 0; i < osz; i++)
                output[i] /= z;
        } else {
            for (int32_t i = 0; i < osz; i++)
                output[i] = wn_ft_sigmoid(m, output[i]);
        }
        for (int32_t i = 0; i < osz; i++) {
            if (output[i] < threshold)
                continue;
            float s = std_log(output[i]);
            if (n == kk && s < heap[0].score)
                continue;
            heap_offer(heap, &n, kk, s, i);
        }
    }
    sort_heap(heap, n);
    for (size_t i = 0; i < n; i++) {
        out[i].label = m->dict.words[m->dict.nwords + heap[i].id];
        out[i].prob = expf(heap[i].score);
    }
    if (heap != stack_heap)
        free(heap);
    return (int)n;
}

int wn_ft_predict(const wn_ft_model *m, const char *text, size_t len, int k, float threshold,
                  wn_ft_prediction *out)
{
    if (!m || !out || k == 0)
        return 0;
    /* room for a document's rows plus the cached reader's batch (128 tokens of 8 lanes kept
     * free ahead, ft_line.c): with 1,024 most prose documents (~190 tokens) moved their rows
     * to the heap at their second batch, a malloc and free per document (language ID alone
     * on prose -2.5%) */
    enum { STACK_ROWS = 4096, STACK_HASHES = 512, STACK_VEC = 512 };
    int32_t rows_mem[STACK_ROWS], hash_mem[STACK_HASHES], label_mem[16];
    float vec_mem[STACK_VEC];
    wn_ft_line l;
    wn_ft_line_init(&l);
    wn_ft_ivec_init(&l.rows, rows_mem, STACK_ROWS);
    wn_ft_ivec_init(&l.hashes, hash_mem, STACK_HASHES);
    wn_ft_ivec_init(&l.labels, label_mem, 16);
    wn_ft_read_line_cached(m, text ? text : "", text ? len : 0, true, &l);
    size_t need = (size_t)m->args.dim + (size_t)m->dict.nlabels;
    float *vec = need <= STACK_VEC ? vec_mem : wn_xmalloc(need * sizeof *vec);
    int n = wn_ft_predict_rows(m, &l.rows, k, threshold, vec, vec + m->args.dim, out);
    if (vec != vec_mem)
        free(vec);
    wn_ft_line_release(&l);
    return n;
}
