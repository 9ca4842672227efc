/* ft_dict.c: fastText's dictionary at prediction and training time: word lookup, a token's
 * rows, char n-grams, word n-grams and the prune map (Dictionary::getLine's loop body,
 * computeSubwords, addWordNgrams, pushHash in facebookresearch/fastText src/dictionary.cc;
 * ft_line.c splits the text into tokens). */
#include "classify/ft_internal.h"

#include "core/buf.h"

#include <stdlib.h>
#include <string.h>

void wn_ft_ivec_init(wn_ft_ivec *a, int32_t *stack, size_t cap)
{
    a->v = stack;
    a->n = 0;
    a->cap = stack ? cap : 0;
    a->heap = false;
}

void wn_ft_ivec_push(wn_ft_ivec *a, int32_t x)
{
    if (a->n == a->cap)
        wn_ft_ivec_reserve(a, 1);
    a->v[a->n++] = x;
}

void wn_ft_ivec_reserve(wn_ft_ivec *a, size_t extra)
{
    if (a->cap - a->n >= extra)
        return;
    size_t cap = a->cap ? a->cap : 64;
    while (cap - a->n < extra)
        cap *= 2;
    if (a->heap) {
        a->v = wn_xrealloc(a->v, cap * sizeof *a->v);
    } else {
        int32_t *v = wn_xmalloc(cap * sizeof *v);
        if (a->n)
            memcpy(v, a->v, a->n * sizeof *v);
        a->v = v;
        a->heap = true;
    }
    a->cap = cap;
}

void wn_ft_ivec_release(wn_ft_ivec *a)
{
    if (a->heap)
        free(a->v);
    wn_ft_ivec_init(a, NULL, 0);
}

void wn_ft_line_init(wn_ft_line *l)
{
    wn_ft_ivec_init(&l->rows, NULL, 0);
    wn_ft_ivec_init(&l->hashes, NULL, 0);
    wn_ft_ivec_init(&l->labels, NULL, 0);
    l->word = NULL;
    l->word_cap = 0;
}

void wn_ft_line_release(wn_ft_line *l)
{
    wn_ft_ivec_release(&l->rows);
    wn_ft_ivec_release(&l->hashes);
    wn_ft_ivec_release(&l->labels);
    free(l->word);
    l->word = NULL;
    l->word_cap = 0;
}

int32_t wn_ft_dict_find(const wn_ft_dict *d, const char *w, size_t len, uint32_t h)
{
    if (!d->index)
        return -1;
    for (uint32_t i = h & d->index_mask;; i = (i + 1) & d->index_mask) {
        int32_t id = d->index[i];
        if (id < 0)
            return -1;
        /* the slot's hash first: most probes end here without touching the entry */
        if (d->index_hash[i] == h && d->lens[id] == len && memcmp(d->words[id], w, len) == 0)
            return id;
    }
}

/* h % d for 32-bit h and d, with magic = UINT64_MAX / d + 1 (Lemire, Kaser, Kurz 2019):
 * the n-gram loop does one per n-gram, and a division costs more than the hashing. */
static inline uint32_t fastmod(uint32_t h, uint64_t magic, uint32_t d)
{
    uint64_t low = magic * h;
    return (uint32_t)(((__uint128_t)low * d) >> 64);
}

/* The number of buckets below b in the prune map (b's place in prune_vals). */
static inline uint32_t prune_rank(const wn_ft_dict *d, uint32_t b)
{
    uint64_t below = d->prune_bits[b >> 6] & ((1ull << (b & 63)) - 1);
    return d->prune_rank[b >> 6] + (uint32_t)__builtin_popcountll(below);
}

/* The prune map again as a rank over prune_bits: prune_rank counts the kept buckets before
 * each 64-bit word of it, prune_vals holds the values in bucket order. A kept bucket's row
 * is then two reads in 300 KB (lid.176) where the map's probe was a read in 1 MB, at the
 * end of most char n-gram lists of a new word. */
static void build_prune_rank(wn_ft_dict *d, const wn_ft_args *a)
{
    free(d->prune_rank);
    free(d->prune_vals);
    d->prune_rank = NULL;
    d->prune_vals = NULL;
    if (d->prune_size <= 0 || !d->prune_bits)
        return;
    size_t words = (size_t)a->bucket / 64 + 1; /* as prune_bits */
    d->prune_rank = wn_xmalloc(words * sizeof *d->prune_rank);
    uint32_t kept = 0;
    for (size_t w = 0; w < words; w++) {
        d->prune_rank[w] = kept;
        kept += (uint32_t)__builtin_popcountll(d->prune_bits[w]);
    }
    d->prune_vals = wn_xmalloc((kept ? kept : 1) * sizeof *d->prune_vals);
    for (uint32_t i = 0; i <= d->prune_mask; i++)
        if (d->prune[i].key >= 0)
            d->prune_vals[prune_rank(d, (uint32_t)d->prune[i].key)] = d->prune[i].val;
}

/* pushHash: with a prune map, keep only the buckets it lists, renumbered. */
static void push_bucket(const wn_ft_dict *d, int32_t bucket, wn_ft_ivec *rows)
{
    if (d->prune_size == 0 || bucket < 0)
        return;
    if (d->prune_size > 0) {
        uint64_t bits = d->prune_bits[(uint32_t)bucket >> 6];
        if (!(bits >> (bucket & 63) & 1))
            return;
        bucket = d->prune_vals[prune_rank(d, (uint32_t)bucket)];
    }
    wn_ft_ivec_push(rows, d->nwords + bucket);
}

/* A group of a word's n-gram starts lists its kept buckets (at most NGRAM_GROUP), then they
 * are pushed: the hashing loops hold no call, so GCC keeps the hash and the model's numbers
 * in registers (with the list emptied inside the loop, each byte's hash step waited for a
 * store and a load). */
enum { NGRAM_GROUP = 128 };

/* The char n-grams of bw[0..n) one by one, as computeSubwords: for models with maxn over
 * NGRAM_GROUP (only one trained so), where a start alone could fill a group's list. */
static void plain_ngrams(const wn_ft_dict *d, const wn_ft_args *a, const char *bw, size_t n,
                         wn_ft_ivec *rows)
{
    for (size_t i = 0; i < n; i++) {
        if (((unsigned char)bw[i] & 0xC0) == 0x80)
            continue; /* not a character start */
        uint32_t h = 2166136261u;
        size_t j = i;
        for (int32_t chars = 1; j < n && chars <= a->maxn; chars++) {
            do {
                h = (h ^ (uint32_t)(int8_t)bw[j]) * 16777619u;
                j++;
            } while (j < n && ((unsigned char)bw[j] & 0xC0) == 0x80);
            /* the lone "<" and ">" are not n-grams */
            if (chars >= a->minn && !(chars == 1 && (i == 0 || j == n)))
                push_bucket(d, (int32_t)fastmod(h, d->bucket_magic, (uint32_t)a->bucket), rows);
        }
    }
}

/* Lists bucket b of hash h when the prune map keeps it (every bucket without a map), without
 * a branch: with a map, whether a bucket is kept is a coin toss the predictor loses (~1 in
 * 20 is kept on prose), and the bit reads of a word overlap. */
static inline int list_bucket(int32_t *kept, int nk, uint32_t h, uint64_t magic,
                              uint32_t nbuckets, const uint64_t *bits)
{
    uint32_t b = fastmod(h, magic, nbuckets);
    kept[nk] = (int32_t)b;
    return nk + (bits ? (int)(bits[b >> 6] >> (b & 63) & 1) : 1);
}

/* ascii_ngrams' body for the n-gram lengths lo .. maxn and a pruned model or not: inlined
 * with constants for the common lengths, so that a start's n-grams are hashed and listed
 * in straight code (no tests of the length, of the map, or of the lone "<"), about 13
 * instructions an n-gram where the general loop took ~31. */
static inline __attribute__((always_inline)) void
ascii_ngrams_of(const wn_ft_dict *d, const char *bw, size_t n, wn_ft_ivec *rows,
                const size_t lo, const size_t maxn, uint32_t nbuckets, const bool pruned)
{
    int32_t kept[NGRAM_GROUP];
    const uint64_t magic = d->bucket_magic, *bits = pruned ? d->prune_bits : NULL;
    const size_t per_group = NGRAM_GROUP / maxn;
    for (size_t first = 0; first < n; first += per_group) {
        const size_t last = n - first > per_group ? first + per_group : n;
        int nk = 0;
        for (size_t i = first; i < last; i++) {
            const size_t stop = n - i < maxn ? n - i : maxn; /* the longest n-gram's length */
            if (stop < lo)
                break; /* so are the later starts' */
            uint32_t h = 2166136261u;
            size_t c = 0;
            for (; c + 1 < lo; c++) /* the bytes of the shortest n-gram but its last */
                h = (h ^ (uint32_t)(int8_t)bw[i + c]) * 16777619u;
            if (lo >= 2 && stop == maxn) { /* whole: maxn - lo + 1 n-grams */
#pragma GCC unroll 8
                for (; c < maxn; c++) {
                    h = (h ^ (uint32_t)(int8_t)bw[i + c]) * 16777619u;
                    nk = list_bucket(kept, nk, h, magic, nbuckets, bits);
                }
                continue;
            }
            for (; c < stop; c++) {
                h = (h ^ (uint32_t)(int8_t)bw[i + c]) * 16777619u;
                if (c == 0 && (i == 0 || i + 1 == n))
                    continue; /* the lone "<" and ">" are not n-grams (only when minn <= 1) */
                nk = list_bucket(kept, nk, h, magic, nbuckets, bits);
            }
        }
        for (int k = 0; k < nk; k++)
            push_bucket(d, kept[k], rows);
    }
}

/* The char n-grams of a word of ASCII bytes (each byte a character), the common case on
 * English text: start i's n-grams are bw[i .. i + c) for c = max(minn, 1) .. min(maxn,
 * n - i), hashed as they grow. lid.176's lengths (2 to 4, pruned) get their own copy. */
static void ascii_ngrams(const wn_ft_dict *d, const wn_ft_args *a, const char *bw, size_t n,
                         wn_ft_ivec *rows)
{
    const size_t lo = a->minn > 1 ? (size_t)a->minn : 1;
    if (lo == 2 && a->maxn == 4 && d->prune_bits)
        ascii_ngrams_of(d, bw, n, rows, 2, 4, (uint32_t)a->bucket, true);
    else
        ascii_ngrams_of(d, bw, n, rows, lo, (size_t)a->maxn, (uint32_t)a->bucket,
                        d->prune_bits != NULL);
}

/* The char n-grams of a word with UTF-8 (or any byte >= 0x80): a character is a byte that is
 * not a continuation (10xxxxxx) and the continuations after it. A group's character bounds
 * are found once, then each start's n-grams hash the bytes of 1 .. maxn characters: where
 * plain_ngrams tested every byte of every n-gram for a continuation, ~110 instructions per
 * n-gram on CJK runs (whole sentences are one token there, read again at every pass). */
static void utf8_ngrams(const wn_ft_dict *d, const wn_ft_args *a, const char *bw, size_t n,
                        wn_ft_ivec *rows)
{
    int32_t kept[NGRAM_GROUP];
    size_t bound[2 * NGRAM_GROUP + 2]; /* the group's character starts, then their ends */
    const size_t maxn = (size_t)a->maxn, minn = (size_t)a->minn;
    const uint32_t nbuckets = (uint32_t)a->bucket;
    const uint64_t magic = d->bucket_magic, *bits = d->prune_bits;
    const size_t per_group = NGRAM_GROUP / maxn;
    size_t at = 0;
    while (at < n && ((unsigned char)bw[at] & 0xC0) == 0x80)
        at++; /* continuations before any character start no n-gram */
    while (at < n) {
        /* bounds of the group's starts and of the maxn characters after the last one */
        size_t nb = 0, j = at;
        bound[nb++] = j;
        while (nb < per_group + maxn + 1 && j < n) {
            j++;
            while (j < n && ((unsigned char)bw[j] & 0xC0) == 0x80)
                j++;
            bound[nb++] = j;
        }
        const size_t starts = nb - 1 < per_group ? nb - 1 : per_group;
        int nk = 0;
        for (size_t s = 0; s < starts; s++) {
            uint32_t h = 2166136261u;
            for (size_t c = 1; c <= maxn && s + c < nb; c++) {
                for (size_t k = bound[s + c - 1]; k < bound[s + c]; k++)
                    h = (h ^ (uint32_t)(int8_t)bw[k]) * 16777619u;
                /* the lone "<" and ">" are not n-grams */
                if (c < minn || (c == 1 && (bound[s] == 0 || bound[s + 1] == n)))
                    continue;
                nk = list_bucket(kept, nk, h, magic, nbuckets, bits);
            }
        }
        for (int k = 0; k < nk; k++)
            push_bucket(d, kept[k], rows);
        at = bound[starts];
    }
}

void wn_ft_char_ngrams(const wn_ft_dict *d, const wn_ft_args *a, const char *bw, size_t n,
                       wn_ft_ivec *rows)
{
    if (a->maxn <= 0 || a->bucket <= 0)
        return;
    if (a->maxn > NGRAM_GROUP) {
        plain_ngrams(d, a, bw, n, rows);
        return;
    }
    uint64_t high = 0, w;
    size_t i = 0;
    for (; i + 8 <= n; i += 8) {
        memcpy(&w, bw + i, 8);
        high |= w;
    }
    for (; i < n; i++)
        high |= (unsigned char)bw[i];
    if (high & 0x8080808080808080ull)
        utf8_ngrams(d, a, bw, n, rows);
    else
        ascii_ngrams(d, a, bw, n, rows);
}

static void grow_word(wn_ft_line *l, size_t need)
{
    if (need <= l->word_cap)
        return;
    size_t cap = l->word_cap ? l->word_cap : 256;
    while (cap < need)
        cap *= 2;
    free(l->word);
    l->word = wn_xmalloc(cap);
    l->word_cap = cap;
}

void wn_ft_add_token(const wn_ft_model *m, const char *w, size_t n, wn_ft_line *l)
{
    const wn_ft_dict *d = &m->dict;
    uint32_t h = wn_ft_hash(w, n);
    int32_t id = wn_ft_dict_find(d, w, n, h);
    if (id >= 0) {
        if (d->types[id] == WN_FT_LABEL) {
            wn_ft_ivec_push(&l->labels, id - d->nwords);
            return;
        }
        if (m->args.maxn <= 0) {
            wn_ft_ivec_push(&l->rows, id);
        } else {
            for (int32_t r = d->sub_start[id]; r < d->sub_start[id + 1]; r++)
                wn_ft_ivec_push(&l->rows, d->sub_rows[r]);
        }
    } else {
        size_t pl = sizeof WN_FT_LABEL_PREFIX - 1;
        if (n >= pl && memcmp(w, WN_FT_LABEL_PREFIX, pl) == 0)
            return; /* an unknown label: not a word */
        bool eos = n == 4 && memcmp(w, WN_FT_EOS, 4) == 0;
        if (!eos && m->args.maxn > 0) {
            grow_word(l, n + 2);
            l->word[0] = '<';
            memcpy(l->word + 1, w, n);
            l->word[n + 1] = '>';
            wn_ft_char_ngrams(d, &m->args, l->word, n + 2, &l->rows);
        }
    }
    wn_ft_ivec_push(&l->hashes, (int32_t)h);
}

void wn_ft_word_ngrams(const wn_ft_model *m, wn_ft_line *l)
{
    /* addWordNgrams: sign-extended hashes combined in uint64 */
    int32_t ngrams = m->args.word_ngrams;
    if (ngrams <= 1 || m->args.bucket <= 0)
        return;
    const int32_t *hs = l->hashes.v;
    size_t nh = l->hashes.n;
    for (size_t a = 0; a < nh; a++) {
        uint64_t h = (uint64_t)(int64_t)hs[a];
        for (size_t b = a + 1; b < nh && b < a + (size_t)ngrams; b++) {
            h = h * 116049371u + (uint64_t)(int64_t)hs[b];
            push_bucket(&m->dict, (int32_t)(h % (uint64_t)m->args.bucket), &l->rows);
        }
    }
}

void wn_ft_dict_index_put(wn_ft_dict *d, int32_t id)
{
    uint32_t i = d->hashes[id] & d->index_mask;
    while (d->index[i] >= 0)
        i = (i + 1) & d->index_mask;
    d->index[i] = id;
    d->index_hash[i] = d->hashes[id];
}

static uint32_t pow2_above(uint64_t n)
{
    uint32_t c = 16;
    while (c < n * 2)
        c *= 2;
    return c;
}

void wn_ft_dict_finish(wn_ft_dict *d, const wn_ft_args *a)
{
    d->bucket_magic = a->bucket > 0 ? UINT64_MAX / (uint32_t)a->bucket + 1 : 0;
    build_prune_rank(d, a); /* before the words' char n-grams below */
    d->index_mask = pow2_above((uint64_t)d->size) - 1;
    free(d->index);
    free(d->index_hash);
    d->index = wn_xmalloc(((size_t)d->index_mask + 1) * sizeof *d->index);
    d->index_hash = wn_xmalloc(((size_t)d->index_mask + 1) * sizeof *d->index_hash);
    memset(d->index, 0xff, ((size_t)d->index_mask + 1) * sizeof *d->index);
    if (!d->hashes)
        d->hashes = wn_xmalloc((size_t)(d->size ? d->size : 1) * sizeof *d->hashes);
    d->eos = -1;
    for (int32_t id = 0; id < d->size; id++) {
        d->hashes[id] = wn_ft_hash(d->words[id], d->lens[id]);
        wn_ft_dict_index_put(d, id);
        if (d->lens[id] == 4 && memcmp(d->words[id], WN_FT_EOS, 4) == 0)
            d->eos = id;
    }
    /* initNgrams: each word's rows are [id] + char n-grams of "<word>" (none for EOS) */
    wn_ft_ivec rows;
    wn_ft_ivec_init(&rows, NULL, 0);
    d->sub_start = wn_xmalloc(((size_t)d->size + 1) * sizeof *d->sub_start);
    wn_buf w = WN_BUF_INIT;
    for (int32_t id = 0; id < d->size; id++) {
        d->sub_start[id] = (int32_t)rows.n;
        if (d->types[id] != WN_FT_WORD)
            continue;
        wn_ft_ivec_push(&rows, id);
        if (id == d->eos)
            continue;
        wn_buf_reset(&w);
        wn_buf_appendc(&w, '<');
        wn_buf_append(&w, d->words[id], d->lens[id]);
        wn_buf_appendc(&w, '>');
        wn_ft_char_ngrams(d, a, w.data, w.len, &rows);
    }
    d->sub_start[d->size] = (int32_t)rows.n;
    wn_buf_release(&w);
    d->sub_rows = rows.v; /* heap-owned (or NULL when empty) */
}

void wn_ft_dict_release(wn_ft_dict *d)
{
    if (d->words) {
        for (int32_t i = 0; i < d->size; i++)
            free(d->words[i]);
    }
    free(d->words);
    free(d->lens);
    free(d->hashes);
    free(d->counts);
    free(d->types);
    free(d->index);
    free(d->index_hash);
    free(d->sub_start);
    free(d->sub_rows);
    free(d->prune);
    free(d->prune_bits);
    free(d->prune_rank);
    free(d->prune_vals);
    memset(d, 0, sizeof *d);
}
