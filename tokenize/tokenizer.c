/* tokenizer.c: building the lookup tables, the accessors, and loading by content. */
#include "tokenize/tok_internal.h"

#include "core/buf.h"

#include <errno.h>
#include <omp.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#define XXH_INLINE_ALL /* hashing a short piece must not cost a call */
#include <xxhash.h>

/* The low n bytes of a word (n <= 8), and a key's two masks for a piece of n bytes. */
#define LOW_BYTES(n) ((n) >= 8 ? ~0ull : (1ull << (8 * ((n) & 7))) - 1)
#define KEY_MASKS(n) { LOW_BYTES(n), (n) < 8 ? 0 : LOW_BYTES((n) - 8) }
const uint64_t wn_tok_key_masks[17][2] = {
    KEY_MASKS(0),  KEY_MASKS(1),  KEY_MASKS(2),  KEY_MASKS(3),  KEY_MASKS(4),  KEY_MASKS(5),
    KEY_MASKS(6),  KEY_MASKS(7),  KEY_MASKS(8),  KEY_MASKS(9),  KEY_MASKS(10), KEY_MASKS(11),
    KEY_MASKS(12), KEY_MASKS(13), KEY_MASKS(14), KEY_MASKS(15), KEY_MASKS(16),
};

void wn_tok_ids_reserve(wn_tok_ids *v, size_t extra)
{
    if (v->len + extra <= v->cap)
        return;
    size_t cap = v->cap ? v->cap : 256;
    while (cap < v->len + extra)
        cap *= 2;
    v->ids = wn_xrealloc(v->ids, cap * sizeof *v->ids);
    v->cap = cap;
}

void wn_tok_ids_push(wn_tok_ids *v, wn_tok_id id)
{
    if (v->len == v->cap)
        wn_tok_ids_reserve(v, 1);
    v->ids[v->len++] = id;
}

void wn_tok_ids_reset(wn_tok_ids *v)
{
    v->len = 0;
}

void wn_tok_ids_release(wn_tok_ids *v)
{
    free(v->ids);
    v->ids = NULL;
    v->len = v->cap = 0;
}

wn_tok *wn_tok_new_empty(void)
{
    wn_tok *t = wn_xcalloc(1, sizeof *t);
    t->off = wn_xmalloc(sizeof *t->off);
    t->off[0] = 0;
    return t;
}

void wn_tok_add_token(wn_tok *t, wn_buf *blob, const void *bytes, size_t len)
{
    wn_buf_append(blob, bytes, len);
    t->n_total++;
    /* off grows one entry per token; amortised by doubling at powers of two. */
    if ((t->n_total & (t->n_total - 1)) == 0 || t->n_total == 1)
        t->off = wn_xrealloc(t->off, (2 * (size_t)t->n_total + 1) * sizeof *t->off);
    t->off[t->n_total] = (uint32_t)blob->len;
}

uint64_t wn_tok_hash_long(const void *bytes, size_t len)
{
    return XXH3_64bits(bytes, len);
}


int64_t wn_tok_lookup(const wn_tok *t, const void *bytes, size_t len)
{
    wn_tok_key k;
    wn_tok_key_make(&k, bytes, len, len);
    return wn_tok_lookup_key(t, bytes, len, &k);
}

/* From the slot *i of k's probe path on: whether a slot whose fingerprint is k's comes before
 * an empty one; then *i is that slot and *id the token it names. */
static inline bool fingerprint_match_from(const wn_tok *t, const wn_tok_key *k, uint64_t *i,
                                          uint32_t *id)
{
    uint32_t fp = (uint32_t)(k->hash >> WN_TOK_SLOT_FP_SHIFT);
    for (;; *i = (*i + 1) & t->vocab_mask) {
        uint32_t s = t->vocab[*i];
        if (!s)
            return false;
        if ((s >> WN_TOK_SLOT_ID_BITS) == fp) {
            *id = (s & ((1u << WN_TOK_SLOT_ID_BITS) - 1)) - 1;
            return true;
        }
    }
}

int64_t wn_tok_lookup_key(const wn_tok *t, const void *bytes, size_t len, const wn_tok_key *k)
{
    uint32_t w1_head = wn_tok_key_w1_head(k), id;
    for (uint64_t i = k->hash & t->vocab_mask; fingerprint_match_from(t, k, &i, &id);
         i = (i + 1) & t->vocab_mask)
        if (wn_tok_token_is(t, id, bytes, len, k->w0, w1_head))
            return (int64_t)id;
    return -1;
}

int64_t wn_tok_lookup_unchecked(const wn_tok *t, const wn_tok_key *k)
{
    uint64_t i = k->hash & t->vocab_mask;
    uint32_t id;
    if (!fingerprint_match_from(t, k, &i, &id))
        return -1;
    __builtin_prefetch(&t->vocab_key[id]);
    return (int64_t)id;
}

static size_t pow2_at_least(size_t n)
{
    size_t p = 1;
    while (p < n)
        p *= 2;
    return p;
}

void *wn_tok_alloc_huge(size_t bytes)
{
    const size_t huge = WN_TOK_HUGE_PAGE;
    size_t rounded = (bytes + huge - 1) & ~(huge - 1);
    void *p = NULL;
    if (posix_memalign(&p, huge, rounded) != 0)
        return wn_xcalloc(1, bytes);
    madvise(p, rounded, MADV_HUGEPAGE);
    memset(p, 0, bytes);
    return p;
}

static void build_vocab(wn_tok *t)
{
    size_t cap = pow2_at_least((size_t)t->n_ranks * 2 + 2);
    t->vocab = wn_tok_alloc_huge(cap * sizeof *t->vocab);
    t->vocab_mask = cap - 1;
    t->vocab_key = wn_tok_alloc_huge(t->n_ranks * sizeof *t->vocab_key);
    for (uint32_t id = 0; id < t->n_ranks; id++) {
        const char *b = t->blob + t->off[id];
        size_t len = t->off[id + 1] - t->off[id];
        wn_tok_key k;
        wn_tok_key_make(&k, (const uint8_t *)b, len, len);
        wn_tok_vocab_key *e = &t->vocab_key[id];
        e->w0 = k.w0;
        memcpy(&e->w1_head, &k.w1, sizeof e->w1_head);
        e->len = (uint32_t)len;
        /* Two tokens with the same bytes: the lower rank wins, as in tiktoken. */
        if (wn_tok_lookup_key(t, b, len, &k) >= 0)
            continue;
        uint64_t i = k.hash & t->vocab_mask;
        while (t->vocab[i])
            i = (i + 1) & t->vocab_mask;
        t->vocab[i] = (uint32_t)(k.hash >> WN_TOK_SLOT_FP_SHIFT) << WN_TOK_SLOT_ID_BITS | (id + 1);
    }
}

/* Every split of every token, as open addressing keyed by left << 17 | right (slots hold
 * key << 17 | merged, all ones = empty): only for the tests' table of every split
 * (wn_tok_use_all_pairs). */
typedef struct all_splits {
    uint64_t *slot;
    uint64_t mask;
    int shift; /* 64 - log2(mask + 1): the hash's top bits index the table */
} all_splits;

static uint64_t *split_find(const all_splits *a, uint64_t key)
{
    uint64_t i = wn_tok_pair_hash(key) >> a->shift;
    while (a->slot[i] != UINT64_MAX && (a->slot[i] >> WN_TOK_ID_BITS) != key)
        i = (i + 1) & a->mask;
    return &a->slot[i];
}

static void splits_hash(all_splits *a, const uint32_t *found, size_t n)
{
    size_t cap = pow2_at_least(n + n / 4 + 2);
    a->shift = 64 - __builtin_ctzll(cap);
    a->slot = wn_xmalloc(cap * sizeof *a->slot);
    memset(a->slot, 0xff, cap * sizeof *a->slot);
    a->mask = cap - 1;
    for (size_t i = 0; i < n; i++) {
        uint64_t key = (uint64_t)found[3 * i] << WN_TOK_ID_BITS | found[3 * i + 1];
        uint64_t *s = split_find(a, key);
        if (*s == UINT64_MAX) /* two tokens with the same bytes: keep the lower rank */
            *s = key << WN_TOK_ID_BITS | found[3 * i + 2];
    }
}

/* The token of the bytes p[from..to), or -1; avail bytes are readable at p (the key is two
 * loads where 16 are). */
static inline int64_t span_token(const wn_tok *t, const uint8_t *p, size_t avail, uint32_t from,
                                 uint32_t to)
{
    wn_tok_key k;
    wn_tok_key_make(&k, p + from, to - from, avail - from);
    return wn_tok_lookup_key(t, p + from, to - from, &k);
}

/* BPE of the bytes p[0..n) alone (avail >= n bytes readable at p); at[] holds n + 1 and
 * rank[] n. True when it ends as one token, whose last merge was *left + *right. Part i is
 * p[at[i] .. at[i + 1]); rank[i] is the token the parts i and i + 1 make together (their
 * bytes looked up in the vocabulary: tiktoken's rule), -1 when they make none, and only the
 * two next to a merge are looked up again. The parts' ids are their ranks as they were
 * made, kept in id[]. two[a * 256 + b] is the token of the bytes a b, or -1: the first
 * pairs of every token, without a probe. */
static bool bpe_last_merge(const wn_tok *t, const int32_t *two, const uint8_t *p, size_t n,
                           size_t avail, uint32_t *at, uint32_t *id, int64_t *rank,
                           uint32_t *left, uint32_t *right)
{
    size_t m = n;
    for (size_t i = 0; i <= n; i++)
        at[i] = (uint32_t)i;
    for (size_t i = 0; i < n; i++)
        id[i] = t->byte_id[p[i]];
    for (size_t i = 0; i + 1 < n; i++)
        rank[i] = two[p[i] * 256 + p[i + 1]];
    while (m > 1) {
        size_t best = SIZE_MAX;
        for (size_t i = 0; i + 1 < m; i++)
            if (rank[i] >= 0 && (best == SIZE_MAX || rank[i] < rank[best]))
                best = i; /* lowest rank, leftmost on ties */
        if (best == SIZE_MAX)
            return false;
        *left = id[best];
        *right = id[best + 1];
        id[best] = (uint32_t)rank[best];
        m--;
        memmove(at + best + 1, at + best + 2, (m - best) * sizeof *at);
        memmove(id + best + 1, id + best + 2, (m - best - 1) * sizeof *id);
        memmove(rank + best + 1, rank + best + 2, (m - best - 1) * sizeof *rank);
        if (best + 1 < m)
            rank[best] = span_token(t, p, avail, at[best], at[best + 2]);
        if (best > 0)
            rank[best - 1] = span_token(t, p, avail, at[best - 1], at[best + 1]);
    }
    return true;
}

/* The triples of every split (the `all` table's entries). */
static void all_triples(const all_splits *all, wn_buf *out)
{
    for (uint64_t i = 0; i <= all->mask; i++) {
        uint64_t s = all->slot[i];
        uint32_t triple[3] = { (uint32_t)(s >> (2 * WN_TOK_ID_BITS)),
                               (uint32_t)(s >> WN_TOK_ID_BITS) & (WN_TOK_MAX_IDS - 1),
                               (uint32_t)s & (WN_TOK_MAX_IDS - 1) };
        if (s != UINT64_MAX)
            wn_buf_append(out, triple, sizeof triple);
    }
}

/* Each token's (left, right, merged) triples, by `one`, appended to out in token order.
 * The tokens are independent, and loading is most of a small job's time, so they are
 * shared among threads: each takes a contiguous run (static schedule) into a buffer of its
 * own, and the buffers are joined in thread order, which is token order. */
typedef void triples_fn(const wn_tok *t, const void *arg, uint32_t c, wn_buf *out);

static void each_token(const wn_tok *t, triples_fn *one, const void *arg, wn_buf *out)
{
    int n_threads = omp_get_max_threads();
    wn_buf *part = wn_xcalloc((size_t)n_threads, sizeof *part);
#pragma omp parallel num_threads(n_threads)
    {
        wn_buf *mine = &part[omp_get_thread_num()];
#pragma omp for schedule(static)
        for (uint32_t c = 0; c < t->n_ranks; c++)
            one(t, arg, c, mine);
    }
    for (int i = 0; i < n_threads; i++) {
        wn_buf_append(out, part[i].data, part[i].len);
        wn_buf_release(&part[i]);
    }
    free(part);
}

/* Every way of writing token c as two tokens. */
static void splits_of(const wn_tok *t, const void *arg, uint32_t c, wn_buf *out)
{
    (void)arg;
    const char *b = t->blob + t->off[c];
    size_t len = t->off[c + 1] - t->off[c];
    for (size_t k = 1; k < len; k++) {
        int64_t l = wn_tok_lookup(t, b, k);
        if (l < 0)
            continue;
        int64_t r = wn_tok_lookup(t, b + k, len - k);
        if (r < 0)
            continue;
        uint32_t triple[3] = { (uint32_t)l, (uint32_t)r, c };
        wn_buf_append(out, triple, sizeof triple);
    }
}

/* Token c's last merge, if BPE makes c by merging (arg: the tokens of two bytes, as
 * bpe_last_merge takes them). */
static void last_merge_of(const wn_tok *t, const void *arg, uint32_t c, wn_buf *out)
{
    const uint8_t *b = (const uint8_t *)t->blob + t->off[c];
    size_t len = t->off[c + 1] - t->off[c];
    if (len < 2)
        return;
    uint32_t at_stack[257], *at = at_stack, id_stack[256], *id = id_stack;
    int64_t rank_stack[256], *rank = rank_stack;
    if (len > 256) { /* no Llama 3 token is this long; another vocabulary's may be */
        at = wn_xmalloc((len + 1) * sizeof *at);
        id = wn_xmalloc(len * sizeof *id);
        rank = wn_xmalloc(len * sizeof *rank);
    }
    uint32_t triple[3] = { 0, 0, c };
    size_t avail = t->off[t->n_total] - t->off[c]; /* the blob's bytes from b on */
    if (bpe_last_merge(t, arg, b, len, avail, at, id, rank, &triple[0], &triple[1]) &&
        id[0] == c)
        wn_buf_append(out, triple, sizeof triple);
    if (id != id_stack) {
        free(at);
        free(id);
        free(rank);
    }
}

/* The pairs BPE merges. tiktoken merges two adjacent parts whenever their concatenation is
 * a token, so every way of writing a token as two tokens is a candidate (a Hugging Face
 * tokenizer.json for a tiktoken vocabulary lists exactly these, ~280,000 for Llama 3). But
 * only one per token is ever merged. The merges that make a part, wherever it occurs, are
 * the merges BPE makes on the part's bytes alone, in the same order: a merge outside the
 * part's span never touches it, and within the span BPE always takes the lowest-ranked pair
 * the span holds. So when c is made from a + b in any text, BPE of c's bytes alone ends as
 * c with a + b as its last merge; any other split of c is never merged, and a token whose
 * bytes alone do not end as itself is never made by merging. Keeping those last merges
 * only (~127,000) makes the table that every merge probes twice small enough to stay in
 * L2 (pair_table.c); the ids are the same (tested against the references and against a
 * table of every split, test_tokenizer.c). */
static int build_pairs(wn_tok *t, bool every_split)
{
    wn_buf merged = WN_BUF_INIT; /* (left, right, merged) triples */
    if (every_split) {
        wn_buf found = WN_BUF_INIT;
        each_token(t, splits_of, NULL, &found);
        all_splits all;
        splits_hash(&all, (const uint32_t *)(void *)found.data,
                    found.len / (3 * sizeof(uint32_t)));
        wn_buf_release(&found);
        all_triples(&all, &merged);
        free(all.slot);
    } else {
        int32_t *two = wn_xmalloc(256 * 256 * sizeof *two);
        for (int a = 0; a < 256; a++)
            for (int b = 0; b < 256; b++)
                two[a * 256 + b] =
                    (int32_t)wn_tok_lookup(t, (uint8_t[]){ (uint8_t)a, (uint8_t)b }, 2);
        each_token(t, last_merge_of, two, &merged);
        free(two);
    }
    wn_tok_pair_table_free(&t->pairs);
    wn_tok_premerge_free(&t->premerge);
    const uint32_t *tr = (const uint32_t *)(void *)merged.data;
    size_t n_merges = merged.len / (3 * sizeof(uint32_t));
    int rc = wn_tok_pair_table_build(&t->pairs, tr, n_merges);
    if (rc == 0 && !every_split) /* the reference BPE of the tests starts from bytes */
        wn_tok_premerge_build(t, tr, n_merges);
    wn_buf_release(&merged);
    return rc;
}

/* t->byte_pair from the merge table: the first merges of every BPE, without a probe. */
static void build_byte_pairs(wn_tok *t)
{
    if (!t->byte_pair)
        t->byte_pair = wn_xmalloc(256 * 256 * sizeof *t->byte_pair);
    for (int a = 0; a < 256; a++)
        for (int b = 0; b < 256; b++) {
            int64_t m = wn_tok_pair(t, t->byte_id[a], t->byte_id[b]);
            t->byte_pair[a * 256 + b] = m < 0 ? UINT32_MAX : (uint32_t)m;
        }
}

int wn_tok_use_all_pairs(wn_tok *t)
{
    /* byte_pair too, so the tests' reference takes nothing from the table under test; and
     * no piece is cut (split.h): the reference is BPE of each whole piece from its bytes */
    if (build_pairs(t, true) < 0)
        return -1;
    wn_tok_splits_free(&t->splits);
    build_byte_pairs(t);
    return 0;
}

int wn_tok_finish(wn_tok *t, wn_buf *blob, char *err, size_t errlen)
{
    if (t->n_total > WN_TOK_MAX_IDS || t->n_ranks == 0) {
        snprintf(err, errlen, "vocabulary of %u tokens is not supported", t->n_total);
        return -1;
    }
    static atomic_uint serials;
    t->serial = atomic_fetch_add(&serials, 1) + 1;
    t->blob = wn_buf_detach(blob, NULL);
    t->cls = wn_tok_classes_get();
    build_vocab(t);
    for (int b = 0; b < 256; b++) {
        uint8_t c = (uint8_t)b;
        int64_t id = wn_tok_lookup(t, &c, 1);
        if (id < 0) {
            snprintf(err, errlen, "byte 0x%02x has no token: not a byte-level BPE", b);
            return -1;
        }
        t->byte_id[b] = (uint32_t)id;
    }
    if (build_pairs(t, false) < 0) {
        snprintf(err, errlen, "cannot build the merge table of this vocabulary");
        return -1;
    }
    build_byte_pairs(t);
    wn_tok_splits_build(t);
    int64_t bos = wn_tok_special(t, "<|begin_of_text|>");
    int64_t eos = wn_tok_special(t, "<|end_of_text|>");
    t->bos = bos >= 0 ? (uint32_t)bos : t->n_ranks;
    t->eos = eos >= 0 ? (uint32_t)eos : t->n_ranks + 1;
    for (uint32_t id = t->n_ranks; id < t->n_total; id++) {
        size_t l = t->off[id + 1] - t->off[id];
        if (l > t->max_special_len)
            t->max_special_len = l;
    }
    return 0;
}

void wn_tok_free(wn_tok *t)
{
    if (!t)
        return;
    free(t->blob);
    free(t->off);
    free(t->vocab);
    free(t->vocab_key);
    wn_tok_pair_table_free(&t->pairs);
    wn_tok_premerge_free(&t->premerge);
    wn_tok_splits_free(&t->splits);
    free(t->byte_pair);
    free(t);
}

static char *read_whole(const char *path, size_t *len, char *err, size_t errlen)
{
    FILE *f = fopen(path, "rb");
    if (!f) {
        snprintf(err, errlen, "cannot open '%s': %s", path, strerror(errno));
        return NULL;
    }
    wn_buf b = WN_BUF_INIT;
    char chunk[1 << 16];
    size_t n;
    while ((n = fread(chunk, 1, sizeof chunk, f)) > 0)
        wn_buf_append(&b, chunk, n);
    int failed = ferror(f);
    fclose(f);
    if (failed) {
        snprintf(err, errlen, "cannot read '%s'", path);
        wn_buf_release(&b);
        return NULL;
    }
    if (!b.data)
        wn_buf_grow(&b, 1);
    return wn_buf_detach(&b, len);
}

wn_tok *wn_tok_load_flags(const char *path, unsigned flags, char *err, size_t errlen)
{
    if (!path)
        return wn_tok_load_default_flags(flags, err, errlen);
    size_t len;
    char *text = read_whole(path, &len, err, errlen);
    if (!text)
        return NULL;
    size_t i = 0;
    while (i < len && (text[i] == ' ' || text[i] == '\n' || text[i] == '\r' || text[i] == '\t'))
        i++;
    wn_tok *t = i < len && text[i] == '{'
                    ? wn_tok_parse_json(text, len, path, err, errlen)
                    : wn_tok_parse_tiktoken(text, len, path, flags, err, errlen);
    free(text);
    return t;
}

wn_tok *wn_tok_load(const char *path, char *err, size_t errlen)
{
    return wn_tok_load_flags(path, 0, err, errlen);
}

const char *wn_tok_token(const wn_tok *t, wn_tok_id id, size_t *len)
{
    if (id >= t->n_total)
        return NULL;
    *len = t->off[id + 1] - t->off[id];
    return t->blob + t->off[id];
}

int64_t wn_tok_special(const wn_tok *t, const char *name)
{
    size_t n = strlen(name);
    for (uint32_t id = t->n_ranks; id < t->n_total; id++)
        if (t->off[id + 1] - t->off[id] == n && memcmp(t->blob + t->off[id], name, n) == 0)
            return id;
    return -1;
}

int wn_tok_is_special(const wn_tok *t, wn_tok_id id)
{
    return id >= t->n_ranks && id < t->n_total;
}

size_t wn_tok_vocab_size(const wn_tok *t)
{
    return t->n_total;
}

wn_tok_id wn_tok_bos(const wn_tok *t)
{
    return t->bos;
}

wn_tok_id wn_tok_eos(const wn_tok *t)
{
    return t->eos;
}

int wn_tok_decode(const wn_tok *t, const wn_tok_id *ids, size_t n, wn_buf *out,
                  size_t *bad_index)
{
    for (size_t i = 0; i < n; i++) {
        if (ids[i] >= t->n_total) {
            if (bad_index)
                *bad_index = i;
            return -1;
        }
        wn_buf_append(out, t->blob + t->off[ids[i]], t->off[ids[i] + 1] - t->off[ids[i]]);
    }
    return 0;
}
