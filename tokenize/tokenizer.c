/* tokenizer.c: building the lookup tables, the accessors, and loading by content. */
#include "tokenize/tok_internal.h"

#include "core/buf.h"

#include <errno.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#define XXH_INLINE_ALL /* hashing a short piece must not cost a call */
#include <xxhash.h>

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

int64_t wn_tok_lookup_key(const wn_tok *t, const void *bytes, size_t len, const wn_tok_key *k)
{
    uint32_t w1_head;
    memcpy(&w1_head, &k->w1, sizeof w1_head); /* bytes 8..11 whatever the byte order */
    for (uint64_t i = k->hash & t->vocab_mask;; i = (i + 1) & t->vocab_mask) {
        const wn_tok_vocab_slot *s = &t->vocab[i];
        if (!s->len_id1)
            return -1;
        if ((s->len_id1 >> WN_TOK_SLOT_ID_BITS) == len && s->w0 == k->w0 &&
            s->w1_head == w1_head) {
            uint32_t id = (s->len_id1 & ((1u << WN_TOK_SLOT_ID_BITS) - 1)) - 1;
            if (len <= 12 || memcmp(t->blob + t->off[id] + 12, (const char *)bytes + 12,
                                    len - 12) == 0)
                return id;
        }
    }
}

static size_t pow2_at_least(size_t n)
{
    size_t p = 1;
    while (p < n)
        p *= 2;
    return p;
}

static void build_vocab(wn_tok *t)
{
    size_t cap = pow2_at_least((size_t)t->n_ranks * 2 + 2);
    t->vocab = wn_xcalloc(cap, sizeof *t->vocab);
    t->vocab_mask = cap - 1;
    for (uint32_t id = 0; id < t->n_ranks; id++) {
        const char *b = t->blob + t->off[id];
        size_t len = t->off[id + 1] - t->off[id];
        /* Two tokens with the same bytes: the lower rank wins, as in tiktoken. */
        if (wn_tok_lookup(t, b, len) >= 0)
            continue;
        wn_tok_key k;
        wn_tok_key_make(&k, (const uint8_t *)b, len, len);
        uint64_t i = k.hash & t->vocab_mask;
        while (t->vocab[i].len_id1)
            i = (i + 1) & t->vocab_mask;
        t->vocab[i].w0 = k.w0;
        memcpy(&t->vocab[i].w1_head, &k.w1, sizeof t->vocab[i].w1_head);
        t->vocab[i].len_id1 = (uint32_t)len << WN_TOK_SLOT_ID_BITS | (id + 1);
    }
}

static void pair_insert(wn_tok *t, uint32_t a, uint32_t b, uint32_t merged)
{
    uint64_t key = ((uint64_t)a << WN_TOK_ID_BITS) | b;
    uint64_t i = (key * 0x9E3779B97F4A7C15ull) >> t->pairs_shift;
    while (t->pairs[i] != UINT64_MAX) {
        if ((t->pairs[i] >> WN_TOK_ID_BITS) == key)
            return; /* two tokens with the same bytes: keep the lower rank */
        i = (i + 1) & t->pairs_mask;
    }
    t->pairs[i] = key << WN_TOK_ID_BITS | merged;
}

/* Every way of writing a token as two tokens is a merge BPE can make (tiktoken merges
 * whenever the concatenation is in the vocabulary; a Hugging Face tokenizer.json for a
 * tiktoken vocabulary lists exactly these pairs). Found in one pass, then hashed. */
static void build_pairs(wn_tok *t)
{
    wn_buf found = WN_BUF_INIT; /* (left, right, merged) triples */
    for (uint32_t id = 0; id < t->n_ranks; id++) {
        const char *b = t->blob + t->off[id];
        size_t len = t->off[id + 1] - t->off[id];
        for (size_t k = 1; k < len; k++) {
            int64_t l = wn_tok_lookup(t, b, k);
            if (l < 0)
                continue;
            int64_t r = wn_tok_lookup(t, b + k, len - k);
            if (r < 0)
                continue;
            uint32_t triple[3] = { (uint32_t)l, (uint32_t)r, id };
            wn_buf_append(&found, triple, sizeof triple);
        }
    }
    size_t n_pairs = found.len / (3 * sizeof(uint32_t));
    size_t cap = pow2_at_least(n_pairs + n_pairs / 4 + 2);
    int bits = 0;
    while (((size_t)1 << bits) < cap)
        bits++;
    t->pairs = wn_xmalloc(cap * sizeof *t->pairs);
    memset(t->pairs, 0xff, cap * sizeof *t->pairs);
    t->pairs_mask = cap - 1;
    t->pairs_shift = 64 - bits;
    const uint32_t *tr = (const uint32_t *)(void *)found.data;
    for (size_t i = 0; i < n_pairs; i++)
        pair_insert(t, tr[3 * i], tr[3 * i + 1], tr[3 * i + 2]);
    wn_buf_release(&found);
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
    build_pairs(t);
    t->byte_pair = wn_xmalloc(256 * 256 * sizeof *t->byte_pair);
    for (int a = 0; a < 256; a++)
        for (int b = 0; b < 256; b++) {
            int64_t m = wn_tok_pair(t, t->byte_id[a], t->byte_id[b]);
            t->byte_pair[a * 256 + b] = m < 0 ? UINT32_MAX : (uint32_t)m;
        }
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
    free(t->pairs);
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
