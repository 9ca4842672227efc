/* ft_line.c: Dictionary::getLine for supervised models (facebookresearch/fastText
 * src/dictionary.cc): the text split into tokens at ASCII whitespace, each token's input rows
 * (ft_dict.c), and for prediction the per-thread word cache that spares most tokens the
 * dictionary lookup and the char n-gram hashing. */
#include "classify/ft_internal.h"

#include "core/buf.h"

#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#ifdef __SSE2__
#include <emmintrin.h>
#endif

/* Bit j set when s[j] is a space (wn_ft_is_space), for j < 16: SSE2 (baseline x86-64) tests
 * 16 bytes at once where the byte loop took a branch per byte. */
static inline unsigned space_mask16(const char *s)
{
#ifdef __SSE2__
    __m128i x = _mm_loadu_si128((const __m128i *)(const void *)s);
    __m128i zero = _mm_setzero_si128();
    /* \t \n \v \f \r are 9..13: x - 9 <= 4 unsigned, i.e. saturates to 0 minus 4 */
    __m128i ctl = _mm_subs_epu8(_mm_sub_epi8(x, _mm_set1_epi8(9)), _mm_set1_epi8(4));
    __m128i sp = _mm_or_si128(_mm_cmpeq_epi8(x, _mm_set1_epi8(' ')), _mm_cmpeq_epi8(x, zero));
    return (unsigned)_mm_movemask_epi8(_mm_or_si128(sp, _mm_cmpeq_epi8(ctl, zero)));
#else
    unsigned mask = 0;
    for (unsigned j = 0; j < 16; j++)
        mask |= (unsigned)wn_ft_is_space((unsigned char)s[j]) << j;
    return mask;
#endif
}

/* Bit j set when s[j] is a space, for j < 64. */
static inline uint64_t space_mask64(const char *s)
{
    return (uint64_t)space_mask16(s) | (uint64_t)space_mask16(s + 16) << 16 |
           (uint64_t)space_mask16(s + 32) << 32 | (uint64_t)space_mask16(s + 48) << 48;
}

/* Splits a text into tokens 64 bytes at a time: one mask of a block's non-space bytes, then
 * each token is the mask's lowest run of ones: its start a bit scan, its end the bit that
 * adding the run's lowest bit carries into, and `u & (u + low)` clears the run (prose has
 * ~11 tokens a block). Finding each end with its own 16-byte test cost ~7.6 ns a token on
 * prose, a third of language ID; shifting a mask of spaces to the token's start ~19
 * instructions a token, the run's carry ~13. */
typedef struct token_scan {
    const char *text;
    size_t len;
    size_t base;     /* the block is text[base .. base + 64) */
    uint64_t unread; /* bit j: text[base + j] is a token's byte not yet read */
} token_scan;

static uint64_t block_spaces(const char *text, size_t len, size_t base)
{
    if (len - base >= 64)
        return space_mask64(text + base);
    char tail[64] = {0}; /* NUL is a space */
    memcpy(tail, text + base, len - base);
    return space_mask64(tail);
}

static inline void scan_init(token_scan *s, const char *text, size_t len)
{
    s->text = text;
    s->len = len;
    s->base = 0;
    s->unread = len ? ~block_spaces(text, len, 0) : 0;
}

/* The next token's bounds text[*start .. *end); false when no token is left. */
static inline bool scan_next(token_scan *s, size_t *start, size_t *end)
{
    while (__builtin_expect(!s->unread, 0)) { /* ~1 token in 11 */
        if (s->len - s->base <= 64)
            return false;
        s->base += 64;
        s->unread = ~block_spaces(s->text, s->len, s->base);
    }
    uint64_t u = s->unread;
    *start = s->base + (size_t)__builtin_ctzll(u);
    uint64_t t = u + (u & (0 - u)); /* the run carried out: its end's bit, 0 past bit 63 */
    if (__builtin_expect(t != 0, 1)) {
        *end = s->base + (size_t)__builtin_ctzll(t);
        s->unread = u & t;
        return true;
    }
    for (;;) { /* the token runs into the next block: its run starts at bit 0 there */
        if (s->len - s->base <= 64) {
            *end = s->len;
            s->unread = 0;
            return true;
        }
        s->base += 64;
        u = ~block_spaces(s->text, s->len, s->base);
        t = u + 1;
        if (t) {
            *end = s->base + (size_t)__builtin_ctzll(t);
            s->unread = u & t;
            return true;
        }
    }
}

/* The per-thread word cache of the predictor: a token's rows (and whether it has a hash
 * in l->hashes) depend only on its bytes and the model, and text repeats its words, so the
 * dictionary lookup and the char n-gram hashing run once per distinct word. A slot is one
 * cache line (the cache is aligned: a slot across two lines cost ~4%) holding the word
 * zero-padded, so a lookup compares three 64-bit words; words too long or with too many rows
 * for it, and labels, are not cached. Slots name the model
 * by its serial (wn_ft_model_prepare), never by address, which a later model may reuse.
 * Rows come out identical and in the same order, so predictions do not change. */
enum { WC_SLOTS = 65536, WC_WORD = 24, WC_ROWS = 8 };

typedef struct word_slot {
    uint64_t word[WC_WORD / 8]; /* the bytes, zero-padded */
    uint32_t hash;              /* wn_ft_hash of the word */
    uint8_t len;                /* 0: empty */
    uint8_t nrows;
    uint8_t has_hash;           /* the token pushes its hash (not an unknown label) */
    int32_t rows[WC_ROWS];
} word_slot;

/* The compact layout, for models whose input rows fit 16 bits and that use no word hashes
 * (no word n-grams; lid.176 has 50,000 rows): a 32-byte slot, four of them in two adjacent
 * cache lines as a 4-way set, the most recently used first. The same 4 MB holds twice the
 * words of one slot per line, and a rare word evicts only the least recent of four: on the
 * prose of the filter bench (51,000 distinct words in 4 MB), 2-way sets still lost 2.3% of
 * tokens on warm passes to evictions, each ~300 ns to read again.
 * Tokens hold no NUL or space, so a word's zero-padded bytes tell its length too, and an
 * empty slot (all zero) matches no word. A short word with more rows than a small slot holds
 * keeps them in a long slot (below), its small slot naming it (nrows == SC_IN_LONG). */
enum { SC_WORD = 16, SC_ROWS = 7, SC_WAYS = 4, SC_SETS = 32768, SC_IN_LONG = 0xFF };

typedef struct small_slot {
    uint64_t word[SC_WORD / 8]; /* the bytes, zero-padded */
    uint16_t rows[SC_ROWS];     /* SC_IN_LONG: rows[0] is the long set */
    uint8_t nrows;
    uint8_t unused;
} small_slot;

typedef struct small_set {
    small_slot way[SC_WAYS];
} small_set;

_Static_assert(sizeof(small_set) == 128, "a set is two cache lines");

/* Compact caches keep words of 17 to 64 bytes apart, in two-line slots with room for more
 * rows: such words (URLs, paths, addresses) have many char n-grams kept (~13 rows on the
 * filter bench) and cost the most to read again. The slots are 2-way sets, the most recent
 * first: with one slot per hash, warm passes over the filter bench's prose still read ~840
 * such words again (of ~1,900 held, with the short words of many rows), each ~1,500
 * instructions. The short words of more than SC_ROWS rows live here too (names, numbers,
 * misspellings: words of the text the dictionary lacks), so 2,048 sets still lost ~520 words
 * a warm pass over that prose to evictions, 4,096 (1 MB) ~230. */
enum { LC_WORD = 64, LC_ROWS = 31, LC_WAYS = 2, LC_SET_BITS = 12, LC_SETS = 1 << LC_SET_BITS };
_Static_assert(LC_SETS <= 65536, "a small slot names its long set in 16 bits");

typedef struct long_slot {
    char word[LC_WORD];
    uint16_t rows[LC_ROWS];
    uint8_t len; /* 0: empty */
    uint8_t nrows;
} long_slot;

_Static_assert(sizeof(long_slot) == 128, "a long slot is two cache lines");

typedef struct long_set {
    long_slot way[LC_WAYS];
} long_set;
_Static_assert(sizeof(small_set) * SC_SETS == sizeof(word_slot) * WC_SLOTS, "one size");

/* Compact caches keep tokens of 65 to HC_WORD bytes apart again, in 512-byte slots in 1,024
 * 2-way sets (1 MB, allocated at the first such token and touched only where used), the most
 * recent first: separators (`____...`, `++++...`), URLs with their query, runs of CJK text
 * without spaces. Each took ~11,000 instructions to read (hundreds of char n-grams hashed)
 * for a handful of rows (41 or fewer for 410 of the 431 such tokens of the filter bench's
 * prose and web pages, at most 239): ~1% of the chain's instructions on prose, where 108 of
 * a pass's 267 such tokens repeat one read earlier in the same pass (mail separators and
 * links), none of the web pages'. */
enum { HC_WORD = 376, HC_ROWS = 62, HC_WAYS = 2, HC_SET_BITS = 10, HC_SETS = 1 << HC_SET_BITS };

typedef struct huge_slot {
    uint64_t hash; /* long_hash of the word */
    uint16_t len;  /* 0: empty */
    uint16_t nrows;
    uint16_t rows[HC_ROWS];
    char word[HC_WORD];
} huge_slot;

_Static_assert(sizeof(huge_slot) == 512, "a huge slot is eight cache lines");

typedef struct huge_set {
    huge_slot way[HC_WAYS];
} huge_set;

typedef struct word_cache {
    union {
        _Alignas(128) word_slot slots[WC_SLOTS];
        small_set sets[SC_SETS];
    };
    long_set longs[LC_SETS]; /* compact caches: words too long for a small slot */
    huge_set *huge;          /* compact caches: HC_SETS sets once a token is too long for longs */
    /* words of set i living in their second set (spill_to_second); 255: at least that
     * many, no longer counted */
    uint8_t guests[SC_SETS];
    uint64_t serial;
    bool compact; /* sets[] in use, not slots[] */
} word_cache;

/* A thread keeps the caches of the last two models it predicted with (a pipeline may run
 * language ID and a quality classifier), each 4.5 MB and living as long as the thread.
 * Measured on the filter bench with lid.176: compact sets in 2 MB, 12% slower; in 8 MB,
 * 7-10% faster on warm passes but 3% slower on a cold one (more memory to clear). */
static _Thread_local word_cache *tls_words[2];

static word_cache *words_of(const wn_ft_model *m)
{
    word_cache **w = tls_words;
    if (w[1] && w[1]->serial == m->serial) { /* most recent first */
        word_cache *t = w[0];
        w[0] = w[1];
        w[1] = t;
    }
    word_cache *c = w[0];
    if (c && c->serial == m->serial)
        return c;
    /* a new model: it takes the older cache's place */
    if (!w[1]) {
        void *p = NULL;
        if (posix_memalign(&p, 128, sizeof *c) != 0)
            p = wn_xmalloc(sizeof *c);
        c = p;
    } else {
        c = w[1];
        free(c->huge);
    }
    memset(c, 0, sizeof *c);
    c->serial = m->serial;
    c->compact = m->input.m <= 65536 && m->args.word_ngrams <= 1;
    w[1] = w[0];
    w[0] = c;
    return c;
}

/* The word w[0..n) (n <= WC_WORD) zero-padded into k; `avail` bytes are readable at w. */
static inline void word_key(const char *w, size_t n, size_t avail, uint64_t k[WC_WORD / 8])
{
    if (avail < WC_WORD || __BYTE_ORDER__ != __ORDER_LITTLE_ENDIAN__) {
        memset(k, 0, WC_WORD);
        memcpy(k, w, n);
        return;
    }
    memcpy(k, w, WC_WORD);
    for (size_t j = 0; j < WC_WORD / 8; j++) {
        size_t m = n > 8 * j ? n - 8 * j : 0; /* bytes of the word in k[j] */
        k[j] &= m >= 8 ? ~0ull : (1ull << (8 * m)) - 1; /* little-endian: low bytes first */
    }
}

/* word_key for a compact cache's word (n <= SC_WORD) with SC_WORD bytes readable at w:
 * one load and one mask, where word_key masks three words with variable shifts. */
static inline void small_key(const char *w, size_t n, uint64_t k[SC_WORD / 8])
{
#ifdef __SSE2__
    static const unsigned char keep[2 * SC_WORD] = {
        0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF,
        0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF,
    };
    __m128i x = _mm_loadu_si128((const __m128i *)(const void *)w);
    __m128i mask = _mm_loadu_si128((const __m128i *)(const void *)(keep + SC_WORD - n));
    _mm_storeu_si128((__m128i *)(void *)k, _mm_and_si128(x, mask));
#else
    uint64_t wide[WC_WORD / 8];
    word_key(w, n, n, wide);
    memcpy(k, wide, SC_WORD);
#endif
}

/* Append a slot's rows: all WC_ROWS copied at once (a fixed-size copy is two vector moves,
 * a variable one a slow string instruction), n of them kept. */
static inline void push_rows(wn_ft_ivec *a, const int32_t v[WC_ROWS], size_t n)
{
    if (a->n + WC_ROWS > a->cap) {
        for (size_t i = 0; i < n; i++)
            wn_ft_ivec_push(a, v[i]);
        return;
    }
    memcpy(a->v + a->n, v, WC_ROWS * sizeof *v);
    a->n += n;
}

/* wn_ft_ivec_reserve, its test inline. */
static inline void reserve(wn_ft_ivec *a, size_t extra)
{
    if (a->cap - a->n < extra)
        wn_ft_ivec_reserve(a, extra);
}

/* A small slot's 16-bit rows widened into out[0 .. WC_ROWS): the lanes past nrows are
 * written and not counted, as in push_rows. */
static inline void widen_rows(int32_t *out, const small_slot *sl)
{
#ifdef __SSE2__
    /* the 7 rows and the two bytes after them widened at once (scalar stores read back
     * as one vector would stall on store forwarding) */
    _Static_assert(offsetof(small_slot, rows) + 16 <= sizeof(small_slot), "16 bytes");
    __m128i r = _mm_loadu_si128((const __m128i *)(const void *)sl->rows);
    __m128i zero = _mm_setzero_si128();
    _mm_storeu_si128((__m128i *)(void *)out, _mm_unpacklo_epi16(r, zero));
    _mm_storeu_si128((__m128i *)(void *)(out + 4), _mm_unpackhi_epi16(r, zero));
#else
    for (int r = 0; r < SC_ROWS; r++)
        out[r] = sl->rows[r];
    out[SC_ROWS] = 0;
#endif
}

/* push_rows for a small slot's 16-bit rows. */
static inline void push_small_rows(wn_ft_ivec *a, const small_slot *sl)
{
    reserve(a, WC_ROWS);
    widen_rows(a->v + a->n, sl);
    a->n += sl->nrows;
}

/* A token on its way through the cache: its bytes, key and slot (prefetched). In a
 * compact cache the slot follows from the length: up to SC_WORD bytes a small_set (key
 * k[0..1]), up to LC_WORD a long_set, longer none. */
typedef struct cached_token {
    const char *w;
    size_t n;
    void *slot;
    bool wide; /* a wide cache's word_slot (key k[0..2]); false: none */
    uint64_t k[WC_WORD / 8];
} cached_token;

/* A hash of a long word: its 8-byte pieces mixed in turn. */
static inline uint64_t long_hash(const char *w, size_t n)
{
    uint64_t h = n * 0x9E3779B97F4A7C15ull, x;
    size_t i = 0;
    for (; i + 8 <= n; i += 8) {
        memcpy(&x, w + i, 8);
        h = (h ^ x) * 0xFF51AFD7ED558CCDull;
        h ^= h >> 32;
    }
    x = 0;
    memcpy(&x, w + i, n - i);
    return (h ^ x) * 0xC2B2AE3D27D4EB4Full;
}

/* The long set of word w[0..n). */
static inline uint32_t long_set_of(const char *w, size_t n)
{
    return (uint32_t)(long_hash(w, n) >> (64 - LC_SET_BITS));
}

/* The small set of the word with key k, and its second set: where a word goes when a new
 * word pushes it out of a full first set (spill_to_second). */
static inline uint32_t first_set(const uint64_t k[SC_WORD / 8])
{
    uint64_t x = (k[0] ^ (k[1] * 0x9E3779B97F4A7C15ull)) * 0xFF51AFD7ED558CCDull;
    return (uint32_t)(x >> 49); /* the top 15 bits: SC_SETS = 2^15 */
}

static inline uint32_t second_set(const uint64_t k[SC_WORD / 8])
{
    uint64_t x = (k[0] * 0xC2B2AE3D27D4EB4Full) ^ (k[1] * 0x165667B19E3779F9ull);
    x ^= x >> 31;
    return (uint32_t)((x * 0x94D049BB133111EBull) >> 49);
}

/* Finds and fetches the slot of token w[0..n) in a compact cache, `avail` bytes being
 * readable at w. */
static inline void lookup_compact(word_cache *c, cached_token *t, const char *w, size_t n,
                                  size_t avail)
{
    t->w = w;
    t->n = n;
    if (n <= SC_WORD) {
        if (avail >= SC_WORD)
            small_key(w, n, t->k);
        else
            word_key(w, n, avail, t->k); /* the text's last 15 bytes: k[2] unused */
        small_set *set = &c->sets[first_set(t->k)];
        __builtin_prefetch(set);
        __builtin_prefetch((const char *)set + 64);
        t->slot = set;
    } else if (n <= LC_WORD) {
        long_set *ls = &c->longs[long_set_of(w, n)];
        __builtin_prefetch(ls);
        __builtin_prefetch((const char *)ls + 64); /* the first way: most hits */
        t->slot = ls;
    }
}

/* The same for a wide cache. */
static inline void lookup_wide(word_cache *c, cached_token *t, const char *w, size_t n,
                               size_t avail)
{
    t->w = w;
    t->n = n;
    t->wide = false;
    if (n <= WC_WORD) {
        word_key(w, n, avail, t->k);
        uint64_t x = (t->k[0] ^ (t->k[1] * 0x9E3779B97F4A7C15ull) ^
                      (t->k[2] * 0xC2B2AE3D27D4EB4Full) ^ n) * 0xFF51AFD7ED558CCDull;
        word_slot *sl = &c->slots[x >> 48]; /* the top 16 bits: WC_SLOTS = 2^16 */
        __builtin_prefetch(sl);
        t->slot = sl;
        t->wide = true;
    }
}

/* add_token for a token of a wide cache (its word_slot sl). */
static void add_token_wide(const wn_ft_model *m, const cached_token *t, word_slot *sl,
                           wn_ft_line *l)
{
    if (sl->len == t->n && sl->word[0] == t->k[0] && sl->word[1] == t->k[1] &&
        sl->word[2] == t->k[2]) {
        push_rows(&l->rows, sl->rows, sl->nrows);
        if (sl->has_hash)
            wn_ft_ivec_push(&l->hashes, (int32_t)sl->hash);
        return;
    }
    size_t rows0 = l->rows.n, hashes0 = l->hashes.n, labels0 = l->labels.n;
    wn_ft_add_token(m, t->w, t->n, l);
    size_t nrows = l->rows.n - rows0;
    if (l->labels.n != labels0 || nrows > WC_ROWS)
        return;
    memcpy(sl->word, t->k, sizeof sl->word);
    sl->has_hash = l->hashes.n != hashes0;
    sl->hash = sl->has_hash ? (uint32_t)l->hashes.v[hashes0] : 0; /* the hash just pushed */
    sl->len = (uint8_t)t->n;
    sl->nrows = (uint8_t)nrows;
    if (nrows) /* rows.v may still be NULL */
        memcpy(sl->rows, l->rows.v + rows0, nrows * sizeof *sl->rows);
}

static _Thread_local uint64_t tls_reads; /* wn_ft_cache_reads */

uint64_t wn_ft_cache_reads(void)
{
    return tls_reads;
}

/* add_token for a compact cache's miss: false when the token's rows cannot be cached (a
 * label, more than max rows, or a row past 16 bits), else its rows in rows[0..*nrows). */
static bool add_token_rows16(const wn_ft_model *m, const cached_token *t, wn_ft_line *l,
                             uint16_t *rows, size_t max, uint8_t *nrows)
{
    tls_reads++;
    size_t rows0 = l->rows.n, labels0 = l->labels.n;
    wn_ft_add_token(m, t->w, t->n, l);
    size_t n = l->rows.n - rows0;
    if (l->labels.n != labels0 || n > max)
        return false;
    for (size_t r = 0; r < n; r++) {
        if ((uint32_t)l->rows.v[rows0 + r] > UINT16_MAX)
            return false;
        rows[r] = (uint16_t)l->rows.v[rows0 + r];
    }
    *nrows = (uint8_t)n;
    return true;
}

/* A long slot's rows onto the line. */
static void push_long_rows(wn_ft_ivec *a, const long_slot *sl)
{
    for (size_t r = 0; r < sl->nrows; r++)
        wn_ft_ivec_push(a, sl->rows[r]);
}

/* The way of long set s holding word t, or NULL. */
static inline long_slot *find_long(long_set *s, const cached_token *t)
{
    for (int w = 0; w < LC_WAYS; w++)
        if (s->way[w].len == t->n && memcmp(s->way[w].word, t->w, t->n) == 0)
            return &s->way[w];
    return NULL;
}

/* Puts sl first in long set s, the way before moving down (LC_WAYS = 2). */
static inline void put_long_first(long_set *s, const long_slot *sl)
{
    long_slot first = *sl; /* sl may be a way of s */
    if (sl != &s->way[0])
        s->way[1] = s->way[0];
    s->way[0] = first;
}

/* The cache's add_token for a word of 17 to 64 bytes with its long set s. */
static void add_token_long(const wn_ft_model *m, const cached_token *t, long_set *s,
                           wn_ft_line *l)
{
    long_slot *hit = find_long(s, t);
    if (hit) {
        push_long_rows(&l->rows, hit);
        if (hit != &s->way[0])
            put_long_first(s, hit);
        return;
    }
    long_slot fresh = {.len = (uint8_t)t->n};
    if (!add_token_rows16(m, t, l, fresh.rows, LC_ROWS, &fresh.nrows))
        return;
    memcpy(fresh.word, t->w, t->n);
    put_long_first(s, &fresh);
}

/* The cache's add_token for a token of more than LC_WORD bytes (compact caches). */
static void add_token_huge(const wn_ft_model *m, word_cache *c, const cached_token *t,
                           wn_ft_line *l)
{
    if (t->n > HC_WORD) {
        wn_ft_add_token(m, t->w, t->n, l);
        return;
    }
    if (!c->huge)
        c->huge = wn_xcalloc(HC_SETS, sizeof *c->huge);
    uint64_t h = long_hash(t->w, t->n);
    huge_set *s = &c->huge[h >> (64 - HC_SET_BITS)];
    for (int w = 0; w < HC_WAYS; w++) {
        huge_slot *sl = &s->way[w];
        if (sl->hash == h && sl->len == t->n && memcmp(sl->word, t->w, t->n) == 0) {
            reserve(&l->rows, sl->nrows);
            for (size_t r = 0; r < sl->nrows; r++)
                l->rows.v[l->rows.n + r] = sl->rows[r];
            l->rows.n += sl->nrows;
            if (w > 0) { /* most recent first (HC_WAYS = 2) */
                huge_slot hit = *sl;
                s->way[1] = s->way[0];
                s->way[0] = hit;
            }
            return;
        }
    }
    huge_slot fresh = {.hash = h, .len = (uint16_t)t->n};
    uint8_t nrows;
    if (!add_token_rows16(m, t, l, fresh.rows, HC_ROWS, &nrows))
        return;
    fresh.nrows = nrows;
    memcpy(fresh.word, t->w, t->n);
    s->way[1] = s->way[0];
    s->way[0] = fresh;
}

/* The way of set s holding the word with key k, or -1. */
static inline int find_way(const small_set *s, const uint64_t k[SC_WORD / 8])
{
    for (int w = 0; w < SC_WAYS; w++)
        if (s->way[w].word[0] == k[0] && s->way[w].word[1] == k[1])
            return w;
    return -1;
}

/* Puts sl first in set s, the ways before `from` moving down one (from = SC_WAYS - 1:
 * the least recent is evicted). */
static inline void put_first(small_set *s, small_slot sl, int from)
{
    /* each move a fixed 32-byte copy (two vector moves): GCC made the loop a memmove call,
     * and two frequent words of one set trade the first way at every turn */
    _Static_assert(SC_WAYS == 4, "one case per way");
    switch (from) {
    case 3:
        s->way[3] = s->way[2];
        /* fallthrough */
    case 2:
        s->way[2] = s->way[1];
        /* fallthrough */
    case 1:
        s->way[1] = s->way[0];
        /* fallthrough */
    default:
        break;
    }
    s->way[0] = sl;
}

/* The rows of a short word held in its long set (sl->rows[0]), or NULL when other words
 * evicted it. */
static inline const long_slot *long_rows(word_cache *c, const small_slot *sl,
                                         const cached_token *t)
{
    long_set *s = &c->longs[sl->rows[0]];
    long_slot *ls = find_long(s, t);
    if (ls && ls != &s->way[0]) {
        put_long_first(s, ls);
        ls = &s->way[0];
    }
    return ls;
}

/* A hit in way w of set s: its rows onto the line and the way made first; false when
 * the rows were in a long slot that other words have taken since. */
static bool take_hit(word_cache *c, small_set *s, int w, const cached_token *t, wn_ft_line *l)
{
    if (s->way[w].nrows != SC_IN_LONG) {
        push_small_rows(&l->rows, &s->way[w]);
        if (w > 0)
            put_first(s, s->way[w], w);
        return true;
    }
    small_slot hit = s->way[w];
    const long_slot *ls = long_rows(c, &hit, t);
    if (!ls)
        return false;
    push_long_rows(&l->rows, ls);
    put_first(s, hit, w);
    return true;
}

/* `out` was just pushed out of its full set `from` by a new word. When `from` is out's first
 * set and out's second set has a free way, out goes there (first) and counts as a guest of
 * `from`, so that a word missing from `from` is looked for in its second set while `from`
 * has guests; a guest pushed out of a second set leaves the cache and its first set's
 * count. With one set per word, the sets that got more than 4 of a text's words (51,000
 * distinct words of the filter bench's prose in 32,768 sets) pushed them out of each other
 * on every pass: 3,073 words read again per warm pass (each ~1,400 instructions and the
 * dictionary's memory), 522 now. Only a word's first set is fetched ahead and read inline,
 * so the common path is unchanged, and a miss reads a second set only where guests live. */
static void spill_to_second(word_cache *c, uint32_t from, const small_slot *out)
{
    if (!(out->word[0] | out->word[1]))
        return; /* the way was empty */
    uint32_t home = first_set(out->word);
    if (home != from) { /* a guest leaves */
        if (c->guests[home] != UINT8_MAX)
            c->guests[home]--;
        return;
    }
    small_set *s2 = &c->sets[second_set(out->word)];
    if (s2->way[SC_WAYS - 1].word[0] | s2->way[SC_WAYS - 1].word[1])
        return; /* full: the word is dropped, as it was before */
    put_first(s2, *out, SC_WAYS - 1);
    if (c->guests[from] != UINT8_MAX)
        c->guests[from]++;
}

size_t wn_ft_cache_check(const wn_ft_model *m)
{
    word_cache *c = words_of(m);
    if (!c->compact)
        return 0;
    uint32_t *count = wn_xcalloc(SC_SETS, sizeof *count);
    for (uint32_t q = 0; q < SC_SETS; q++)
        for (int w = 0; w < SC_WAYS; w++) {
            const small_slot *sl = &c->sets[q].way[w];
            if ((sl->word[0] | sl->word[1]) && first_set(sl->word) != q)
                count[first_set(sl->word)]++;
        }
    size_t wrong = 0;
    for (uint32_t h = 0; h < SC_SETS; h++)
        wrong += c->guests[h] != UINT8_MAX && c->guests[h] != count[h];
    free(count);
    return wrong;
}

/* The cache's add_token for a token with a compact set (no hashes kept: these models use none).
 * A miss reads the word and caches it first in its set (its rows in a long slot when a
 * small slot cannot hold them); the word it pushes out may go to its second set. */
static void add_token_small(const wn_ft_model *m, word_cache *c, const cached_token *t,
                            wn_ft_line *l)
{
    small_set *s = t->slot;
    uint32_t at = (uint32_t)(s - c->sets);
    int w = find_way(s, t->k);
    if (w >= 0 && take_hit(c, s, w, t, l))
        return;
    if (w < 0 && c->guests[at]) {
        small_set *s2 = &c->sets[second_set(t->k)];
        w = find_way(s2, t->k);
        if (w >= 0 && take_hit(c, s2, w, t, l))
            return;
        if (w >= 0)
            s = s2; /* a stale long-slot entry there: refreshed in place below */
    }
    long_slot fresh = {.len = (uint8_t)t->n};
    if (!add_token_rows16(m, t, l, fresh.rows, LC_ROWS, &fresh.nrows))
        return;
    small_slot small = {.nrows = fresh.nrows};
    memcpy(small.word, t->k, sizeof small.word);
    if (fresh.nrows <= SC_ROWS) {
        memcpy(small.rows, fresh.rows, sizeof small.rows);
    } else {
        uint32_t ls = long_set_of(t->w, t->n);
        memcpy(fresh.word, t->w, t->n);
        put_long_first(&c->longs[ls], &fresh);
        small.nrows = SC_IN_LONG;
        small.rows[0] = (uint16_t)ls;
    }
    if (w >= 0) {
        put_first(s, small, w);
        return;
    }
    small_slot out = s->way[SC_WAYS - 1];
    put_first(s, small, SC_WAYS - 1);
    spill_to_second(c, at, &out);
}

/* A token whose word is in the third or fourth way of its set with its rows in the small
 * slot (~6% of the prose's tokens): its rows written at out and the word moved first, without
 * a branch on which way (add_token_small's search of the four ways and the move's cases
 * were mispredicted at each such hit); false for any other token. */
static inline bool take_third_or_fourth(small_set *s, const cached_token *t, int32_t *out)
{
    const small_slot *third = &s->way[2], *fourth = &s->way[3];
    uint64_t d2 = (third->word[0] ^ t->k[0]) | (third->word[1] ^ t->k[1]);
    uint64_t d3 = (fourth->word[0] ^ t->k[0]) | (fourth->word[1] ^ t->k[1]);
    int w = d2 == 0 ? 2 : 3;
    small_slot hit = s->way[w];
    if (!(((d2 == 0) | (d3 == 0)) & (hit.nrows != SC_IN_LONG)))
        return false;
    widen_rows(out, &hit);
    s->way[3] = s->way[5 - w]; /* the fourth keeps its word when the third was hit */
    s->way[2] = s->way[1];
    s->way[1] = s->way[0];
    s->way[0] = hit;
    return true;
}

/* The rows of a batch of tokens of a compact cache, in order (their sets looked up and
 * fetched before). Most tokens are in the first or second way of their set with their rows in
 * the small slot: those are written straight to the line, room for a slot's WC_ROWS lanes
 * being kept ahead for each token left, so the common path has no test of the capacity
 * and keeps the line's end in a register. Any other token syncs the line and goes through
 * add_token_small, add_token_long or the dictionary. */
static void add_compact_batch(const wn_ft_model *m, word_cache *c, const cached_token *batch,
                              size_t nb, wn_ft_line *l)
{
    wn_ft_ivec *rows = &l->rows;
    reserve(rows, nb * WC_ROWS);
    int32_t *out = rows->v + rows->n;
    for (size_t j = 0; j < nb; j++) {
        const cached_token *t = &batch[j];
        if (t->n <= SC_WORD) {
            /* the first two ways compared and the hit chosen without a branch: a test
             * of the first way, then of the second, mispredicted each hit in the
             * second; a second-way hit no longer moves its word first (two words of a
             * set used in turn traded the first way at every turn), so both ways stay
             * on this path (the same words read again on the bench's texts) */
            small_set *s = t->slot;
            const small_slot *first = &s->way[0], *second = &s->way[1];
            uint64_t d0 = (first->word[0] ^ t->k[0]) | (first->word[1] ^ t->k[1]);
            uint64_t d1 = (second->word[0] ^ t->k[0]) | (second->word[1] ^ t->k[1]);
            const small_slot *hit = d0 == 0 ? first : second;
            if (__builtin_expect(((d0 == 0) | (d1 == 0)) & (hit->nrows != SC_IN_LONG), 1)) {
                widen_rows(out, hit);
                out += hit->nrows;
                continue;
            }
            if (take_third_or_fourth(s, t, out)) {
                out += s->way[0].nrows;
                continue;
            }
        }
        rows->n = (size_t)(out - rows->v);
        if (t->n <= SC_WORD)
            add_token_small(m, c, t, l);
        else if (t->n <= LC_WORD)
            add_token_long(m, t, t->slot, l);
        else
            add_token_huge(m, c, t, l);
        reserve(rows, (nb - j - 1) * WC_ROWS);
        out = rows->v + rows->n;
    }
    rows->n = (size_t)(out - rows->v);
}

static int64_t read_line(const wn_ft_model *m, const char *text, size_t len, bool add_eos,
                         wn_ft_line *l, word_cache *c)
{
    l->rows.n = l->hashes.n = l->labels.n = 0;
    int64_t ntokens = 0;
    size_t start, end;
    token_scan scan;
    scan_init(&scan, text, len);
    if (!c) {
        while (scan_next(&scan, &start, &end)) {
            wn_ft_add_token(m, text + start, end - start, l);
            ntokens++;
        }
    } else {
        /* tokens are found and their slots fetched a batch at a time, then added in order:
         * a batch's first slots have the whole batch's scan to arrive, its last ones the
         * adding of the others. Compact caches take 128 tokens a batch (most of a prose
         * document of the filter bench, ~190 tokens): in the filter chain the other stages
         * push the sets out of the caches between documents, and with 32 a quarter of
         * read_line's time was the first way's read waiting for its set (the chain on
         * prose +3-4%; language ID alone, whose sets stay warmer, alike with 32). */
        enum { BATCH_WIDE = 32, BATCH_COMPACT = 128 };
        cached_token batch[BATCH_COMPACT];
        size_t n;
        if (c->compact) {
            do {
                for (n = 0; n < BATCH_COMPACT && scan_next(&scan, &start, &end); n++)
                    lookup_compact(c, &batch[n], text + start, end - start, len - start);
                if (n)
                    add_compact_batch(m, c, batch, n, l);
                ntokens += (int64_t)n;
            } while (n == BATCH_COMPACT);
        } else {
            do {
                for (n = 0; n < BATCH_WIDE && scan_next(&scan, &start, &end); n++)
                    lookup_wide(c, &batch[n], text + start, end - start, len - start);
                for (size_t j = 0; j < n; j++) {
                    if (batch[j].wide)
                        add_token_wide(m, &batch[j], batch[j].slot, l);
                    else
                        wn_ft_add_token(m, batch[j].w, batch[j].n, l);
                }
                ntokens += (int64_t)n;
            } while (n == BATCH_WIDE);
        }
    }
    if (add_eos) {
        wn_ft_add_token(m, WN_FT_EOS, 4, l);
        ntokens++;
    }
    wn_ft_word_ngrams(m, l);
    return ntokens;
}

int64_t wn_ft_read_line(const wn_ft_model *m, const char *text, size_t len, bool add_eos,
                        wn_ft_line *l)
{
    return read_line(m, text, len, add_eos, l, NULL);
}

int64_t wn_ft_read_line_cached(const wn_ft_model *m, const char *text, size_t len,
                               bool add_eos, wn_ft_line *l)
{
    return read_line(m, text, len, add_eos, l, words_of(m));
}
