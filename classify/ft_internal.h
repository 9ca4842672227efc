/* ft_internal.h: the in-memory fastText model shared by the reader, the predictor, the
 * trainer and the writer of classify/. Not a public API: other stages use fasttext.h.
 *
 * Field meanings and the file layout follow facebookresearch/fastText src/args.h,
 * dictionary.h, densematrix.h, quantmatrix.h and productquantizer.h (../shared/FORMATS.md
 * (g)). The model owns every array below; wn_ft_free releases them.
 */
#ifndef WN_FT_INTERNAL_H
#define WN_FT_INTERNAL_H

#include "classify/fasttext.h"
#include "classify/ft_tool.h"

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

enum { WN_FT_MAGIC = 793712314, WN_FT_VERSION = 12 };
enum { WN_FT_LOSS_HS = 1, WN_FT_LOSS_NS = 2, WN_FT_LOSS_SOFTMAX = 3, WN_FT_LOSS_OVA = 4 };
enum { WN_FT_MODEL_CBOW = 1, WN_FT_MODEL_SG = 2, WN_FT_MODEL_SUP = 3 };
enum { WN_FT_WORD = 0, WN_FT_LABEL = 1 };

#define WN_FT_EOS "</s>"
#define WN_FT_LABEL_PREFIX "__label__"

/* Args as stored in the file (fastText Args::save order). */
typedef struct wn_ft_args {
    int32_t dim, ws, epoch, min_count, neg, word_ngrams, loss, model, bucket, minn, maxn,
        lr_update_rate;
    double t;
} wn_ft_args;

/* A product quantizer: `nsubq` sub-vectors of `dsub` floats (the last one `lastdsub`),
 * each coded by one byte into a table of 256 centroids. */
typedef struct wn_ft_pq {
    int32_t dim, nsubq, dsub, lastdsub;
    float *centroids; /* dim * 256 */
} wn_ft_pq;

/* A dense (data) or product-quantized (codes + pq [+ norms]) m x n matrix. */
typedef struct wn_ft_matrix {
    int64_t m, n;
    float *data;
    bool quant, qnorm;
    uint8_t *codes;      /* m * pq.nsubq */
    uint8_t *norm_codes; /* m, when qnorm */
    wn_ft_pq pq, npq;
    float *decoded;      /* quantized rows decoded (wn_ft_matrix_decode), or NULL */
} wn_ft_matrix;

/* The dictionary: entries words first then labels, a hash index over them, each word's
 * input rows ([id] + char n-gram rows) and the prune map of quantized models. */
typedef struct wn_ft_dict {
    int32_t size, nwords, nlabels;
    int64_t ntokens;
    int64_t prune_size;   /* -1: not pruned */
    char **words;         /* NUL-terminated */
    uint32_t *lens;
    uint32_t *hashes;     /* wn_ft_hash of each entry */
    int64_t *counts;
    int8_t *types;
    int32_t *index;       /* open addressing: entry id or -1 */
    uint32_t *index_hash; /* hash of the entry in each slot */
    uint32_t index_mask;
    int32_t *sub_start;   /* size + 1 offsets into sub_rows */
    int32_t *sub_rows;
    struct wn_ft_prune_slot { int32_t key, val; } *prune; /* open addressing; key -1 = empty */
    uint32_t prune_mask;
    uint64_t *prune_bits;  /* bit b set when bucket b is in the map: most n-grams are not */
    uint32_t *prune_rank;  /* per word of prune_bits: the buckets of the map before it */
    int32_t *prune_vals;   /* the map's values in bucket order (wn_ft_dict_finish) */
    uint64_t bucket_magic; /* for h % bucket without a division (Lemire's fastmod) */
    int32_t eos;          /* id of "</s>" or -1 */
} wn_ft_dict;

struct wn_ft_model {
    int32_t version;
    wn_ft_args args;
    wn_ft_dict dict;
    wn_ft_matrix input, output;
    /* hierarchical softmax: a Huffman tree of 2*nlabels-1 nodes, leaves first */
    int32_t *tree_left, *tree_right, *tree_parent;
    uint8_t *tree_binary; /* 1 for a right child */
    float sigmoid_table[513];
    uint64_t serial; /* unique per prepared model in this process (names it in caches) */
};

/* Loss::sigmoid: the 512-entry table over [-8, 8] fastText uses for ova / ns. */
static inline float wn_ft_sigmoid(const struct wn_ft_model *m, float x)
{
    if (x < -8)
        return 0.0f;
    if (x > 8)
        return 1.0f;
    return m->sigmoid_table[(int64_t)((x + 8) * 512 / 8 / 2)];
}

/* FNV-1a over signed chars, as Dictionary::hash (deliberately sign-extends bytes). */
static inline uint32_t wn_ft_hash(const char *s, size_t n)
{
    uint32_t h = 2166136261u;
    for (size_t i = 0; i < n; i++) {
        h ^= (uint32_t)(int8_t)s[i];
        h *= 16777619u;
    }
    return h;
}

/* What splits words (Dictionary::readWord): ASCII whitespace and NUL. */
static inline bool wn_ft_is_space(unsigned char c)
{
    return c == ' ' || c == '\n' || c == '\r' || c == '\t' || c == '\v' || c == '\f' ||
           c == '\0';
}

/* The examples of one line of input s[0..n) (without its '\n'; eol: it had one), in turn:
 * fastText's getLine ends an example at the word "</s>" as at a newline. Start with
 * {s, n, 0, eol, false}; each wn_ft_next_example gives the next example's text and whether
 * it ends the input line (the tool then reads the '\n' as "</s>"), false when none is left. */
typedef struct wn_ft_examples_of_line {
    const char *s;
    size_t n, at; /* read up to `at` */
    bool eol, done;
} wn_ft_examples_of_line;

bool wn_ft_next_example(wn_ft_examples_of_line *e, const char **s, size_t *n, bool *eol);

/* A growable int32 vector that may start on caller-provided (stack) storage. */
typedef struct wn_ft_ivec {
    int32_t *v;
    size_t n, cap;
    bool heap;
} wn_ft_ivec;

void wn_ft_ivec_init(wn_ft_ivec *a, int32_t *stack, size_t cap);
void wn_ft_ivec_push(wn_ft_ivec *a, int32_t x);
/* Makes room for `extra` more values (a->cap - a->n >= extra afterwards). */
void wn_ft_ivec_reserve(wn_ft_ivec *a, size_t extra);
void wn_ft_ivec_release(wn_ft_ivec *a);

/* Scratch for reading one line: input rows, word hashes, labels and a word buffer. */
typedef struct wn_ft_line {
    wn_ft_ivec rows, hashes, labels;
    char *word;
    size_t word_cap;
} wn_ft_line;

void wn_ft_line_init(wn_ft_line *l);
void wn_ft_line_release(wn_ft_line *l);

/* Dictionary::getLine for supervised models: reads the words of text[0..len) (no '\n'
 * expected; a '\n' is read as a space), then "</s>" when add_eos, and fills l->rows (the
 * input rows in fastText's order: each word's rows, then word n-gram rows) and l->labels
 * (label ids found in the dictionary). Returns the number of tokens read. */
int64_t wn_ft_read_line(const wn_ft_model *m, const char *text, size_t len, bool add_eos,
                        wn_ft_line *l);
/* The same, for prediction with a prepared model: rows of words already seen by this
 * thread come from a per-thread cache (identical rows, same order). Not for training,
 * whose dictionary is not final. */
int64_t wn_ft_read_line_cached(const wn_ft_model *m, const char *text, size_t len,
                               bool add_eos, wn_ft_line *l);
/* Words this thread has read from the dictionary into a compact word cache (its misses, for
 * tests of the cache's placement). */
uint64_t wn_ft_cache_reads(void);
/* For tests: the sets of this thread's word cache for m (a compact one) whose count of words
 * living in their second set is not the number found there. */
size_t wn_ft_cache_check(const wn_ft_model *m);

/* Dictionary::getLine's loop body: appends the rows of token w[0..n) to l->rows (its
 * label to l->labels), and its hash to l->hashes unless it is an unknown label. */
void wn_ft_add_token(const wn_ft_model *m, const char *w, size_t n, wn_ft_line *l);
/* addWordNgrams: appends the word n-gram rows of the hashes in l->hashes to l->rows. */
void wn_ft_word_ngrams(const wn_ft_model *m, wn_ft_line *l);

/* Training lines, encoded once and spooled to a temporary file read back through mmap
 * (ft_examples.c). Record i at map + off[i]: ntokens, nrows, nlabels, rows..., labels... */
typedef struct wn_ft_examples {
    FILE *spool;
    uint64_t *off; /* in int32 units */
    size_t n, cap;
    uint64_t bytes;
    const int32_t *map;
} wn_ft_examples;

int wn_ft_examples_open(wn_ft_examples *e, char *err, size_t errlen);
int wn_ft_examples_add(wn_ft_examples *e, int32_t ntokens, const wn_ft_ivec *rows,
                       const wn_ft_ivec *labels);
/* After the last add: maps the spool for reading. 0, or -1 with a message. */
int wn_ft_examples_seal(wn_ft_examples *e, char *err, size_t errlen);
void wn_ft_examples_release(wn_ft_examples *e);

/* Entry id of word (len bytes, hash h) or -1. */
int32_t wn_ft_dict_find(const wn_ft_dict *d, const char *w, size_t len, uint32_t h);
/* Adds entry id (its hash in d->hashes) to the index, which must have room. */
void wn_ft_dict_index_put(wn_ft_dict *d, int32_t id);
/* Builds the hash index, the subword rows and eos from the entries (after load or
 * training's dictionary). Needs args.minn/maxn/bucket and the prune map. */
void wn_ft_dict_finish(wn_ft_dict *d, const wn_ft_args *a);
void wn_ft_dict_release(wn_ft_dict *d);
/* Appends the char n-gram rows of `word` (BOW + word + EOW built by the caller) */
void wn_ft_char_ngrams(const wn_ft_dict *d, const wn_ft_args *a, const char *bw, size_t n,
                       wn_ft_ivec *rows);

/* Matrix rows: x += row i; returns row i . x (fastText's float summation order). */
void wn_ft_matrix_add_row(const wn_ft_matrix *mx, int64_t i, float *x);
float wn_ft_matrix_dot_row(const wn_ft_matrix *mx, int64_t i, const float *x);
/* x += rows[0], rows[1], ... in that order (the same floats as wn_ft_matrix_add_row on
 * each), fetching rows ahead of use. */
void wn_ft_matrix_add_rows(const wn_ft_matrix *mx, const int32_t *rows, size_t n, float *x);
/* Whether wn_ft_matrix_add_rows may take its AVX path on CPUs that have AVX (default true;
 * tests switch it off to check the plain path). */
extern bool wn_ft_use_avx;
/* Decode a small quantized matrix once (each value alpha * centroid, the float product
 * add_row computes), so that adding a row is a plain vector add. Does nothing for dense or
 * large (> 64 MB decoded) matrices. */
void wn_ft_matrix_decode(wn_ft_matrix *mx);
/* malloc for matrices: large ones are 2 MB aligned and asked to use huge pages. free()
 * releases them. */
float *wn_ft_alloc_floats(size_t n);
/* Hint the cache to fetch row i (no effect on results). */
void wn_ft_matrix_prefetch_row(const wn_ft_matrix *mx, int64_t i);
void wn_ft_matrix_release(wn_ft_matrix *mx);

/* Builds the tables predict needs (sigmoid, hs tree) once the model is filled. */
void wn_ft_model_prepare(wn_ft_model *m);
/* After a prepared model's dictionary or input matrix changed in place (quantize): a new
 * serial, so no thread's word cache serves the old rows, and the input decoded again. */
void wn_ft_model_changed(wn_ft_model *m);

/* Predicts from a line read with wn_ft_read_line. `hidden` and `output` hold dim and
 * nlabels floats. Returns the count, fills out sorted as fastText sorts. */
int wn_ft_predict_rows(const wn_ft_model *m, const wn_ft_ivec *rows, int k, float threshold,
                       float *hidden, float *output, wn_ft_prediction *out);

#endif
