/* wordlist_scan.c: the word lists' fast count; see wordlist_scan.h. */
#include "filter/wordlist_scan.h"
#include "core/buf.h"
#include "filter/filter.h"

#include <stdlib.h>
#include <string.h>
#include <unicode/uchar.h>
#include <unicode/utf8.h>
#ifdef __SSE2__
#include <emmintrin.h>
#endif
#if defined(__x86_64__) && defined(__GNUC__)
#include <immintrin.h>
#define WL_AVX2 1 /* compiled for any x86-64, run only where the CPU has AVX2 */
#endif

int32_t wn_wl_cp_at(const char *s, size_t n, size_t i)
{
    if (i >= n)
        return -1;
    int32_t c;
    int32_t k = (int32_t)i;
    U8_NEXT((const uint8_t *)s, k, (int32_t)(n > INT32_MAX ? INT32_MAX : n), c);
    return c;
}

int32_t wn_wl_cp_before(const char *s, size_t i)
{
    if (i == 0)
        return -1;
    int32_t c;
    int32_t k = (int32_t)(i > INT32_MAX ? INT32_MAX : i);
    U8_PREV((const uint8_t *)s, 0, k, c);
    return c;
}

bool wn_wl_word_char(int32_t cp)
{
    return cp >= 0 && (u_isalnum(cp) || u_hasBinaryProperty(cp, UCHAR_ALPHABETIC));
}

bool wn_wl_match_ok(const wn_wl_entry *e, const char *s, size_t n, size_t start)
{
    if (e->left && wn_wl_word_char(wn_wl_cp_before(s, start)))
        return false;
    return !(e->right && wn_wl_word_char(wn_wl_cp_at(s, n, start + e->len)));
}

static inline bool ascii_alnum(unsigned char c)
{
    return (unsigned)(c - '0') < 10 || (unsigned)((c | 0x20) - 'a') < 26;
}

/* A candidate is named by its run (of ASCII letters and digits) and that run's first bytes.
 * An entry that starts with such a run and needs a boundary before it can only match where
 * the text's run has the same length: a letter or digit follows in neither, the entry's
 * next byte (or, at its end, the boundary) stops the text's run at the same place. So the
 * key is the run's length (5 standing for 5 or more) and its first four bytes (fewer when
 * it is shorter), folded with `| 0x20` (upper to lower case, and a few other pairs: a group
 * may hold entries of two keys, which the exact comparison sorts out). */
enum { MAX_RUN = 5, MAX_REST = 16 };

/* The key of a run whose first MAX_RUN bits of letters and digits are `bits` (bit 0 set)
 * and first bytes p[0..4). The run's own bits (bits & ~(bits + 1): 1, 11, ..., 11111)
 * stand for its length, and choose the bytes kept. */
static inline uint64_t run_key(const unsigned char *p, uint64_t bits)
{
    static const uint32_t keep[1u << MAX_RUN] = {
        [1] = 0xFF, [3] = 0xFFFF, [7] = 0xFFFFFF, [15] = 0xFFFFFFFF, [31] = 0xFFFFFFFF,
    };
    uint32_t w;
    if (__BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__)
        memcpy(&w, p, 4);
    else
        w = (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
    uint32_t run = (uint32_t)(bits & ~(bits + 1)) & ((1u << MAX_RUN) - 1);
    return ((w | 0x20202020u) & keep[run]) | (uint64_t)run << 32;
}

static inline uint64_t key_hash(uint64_t key)
{
    return key * 0x9E3779B97F4A7C15ull;
}

/* Groups of entries by key: a bitmap of the keys' hashes says "not here" for almost every
 * run at one test; the table (open addressing, key 0 = empty: every key has a length)
 * names the group's entries in `order`. */
enum { FILTER_BITS = 15 };

struct wn_wl_scan {
    const wn_wl_entry *e;
    uint32_t *order; /* entries by key; then those starting outside ASCII */
    uint64_t *head, *head_mask; /* per entry: its first 8 bytes `| 0x20`, and which count */
    uint64_t filter[(1u << FILTER_BITS) / 64];
    uint64_t *keys;
    uint32_t *first, *count;
    uint32_t mask, shift;
    uint32_t rest_first, n_rest;
    uint64_t rest_lead[4]; /* the first bytes of the entries starting outside ASCII */
    bool avx2;             /* block_masks_avx2 (the CPU has AVX2, and wn_filter_use_avx2) */
};

static inline bool filter_has(const wn_wl_scan *f, uint64_t h)
{
    uint64_t b = h >> (64 - FILTER_BITS);
    return f->filter[b >> 6] >> (b & 63) & 1;
}

/* The group of key (its slot), or -1. */
static inline int64_t find_group(const wn_wl_scan *f, uint64_t key, uint64_t h)
{
    for (uint32_t i = (uint32_t)(h >> f->shift);; i = (i + 1) & f->mask) {
        if (f->keys[i] == key)
            return i;
        if (!f->keys[i])
            return -1;
    }
}

typedef struct keyed {
    uint64_t key; /* 0: the entry starts outside ASCII */
    uint32_t entry;
} keyed;

static int cmp_keyed(const void *a, const void *b)
{
    const keyed *x = a, *y = b;
    if (x->key != y->key) /* outside ASCII (0) last */
        return x->key - 1 < y->key - 1 ? -1 : 1;
    return x->entry < y->entry ? -1 : x->entry > y->entry;
}

wn_wl_scan *wn_wl_scan_new(const wn_wl_entry *e, size_t n)
{
    if (n == 0 || n >= UINT32_MAX / 4)
        return NULL;
    keyed *k = wn_xmalloc(n * sizeof *k);
    size_t n_rest = 0;
    for (size_t i = 0; i < n; i++) {
        const unsigned char *w = (const unsigned char *)e[i].word;
        k[i].entry = (uint32_t)i;
        if (ascii_alnum(w[0]) && e[i].left) {
            unsigned char head[4] = {0};
            uint64_t bits = 0;
            for (size_t b = 0; b < MAX_RUN && b < e[i].len; b++)
                bits |= (uint64_t)ascii_alnum(w[b]) << b;
            memcpy(head, w, e[i].len < 4 ? e[i].len : 4);
            k[i].key = run_key(head, bits);
        } else if (w[0] >= 0xC0 && n_rest < MAX_REST) {
            k[i].key = 0;
            n_rest++;
        } else { /* it may start anywhere, or inside a run of letters */
            free(k);
            return NULL;
        }
    }
    qsort(k, n, sizeof *k, cmp_keyed);
    wn_wl_scan *f = wn_xcalloc(1, sizeof *f);
    f->e = e;
    f->order = wn_xmalloc(n * sizeof *f->order);
    size_t groups = 0;
    for (size_t i = 0; i < n; i++) {
        f->order[i] = k[i].entry;
        groups += k[i].key && (i == 0 || k[i].key != k[i - 1].key);
    }
    uint32_t bits = 6;
    while (((size_t)1 << bits) < 4 * groups)
        bits++;
    f->keys = wn_xcalloc((size_t)1 << bits, sizeof *f->keys);
    f->first = wn_xcalloc((size_t)1 << bits, sizeof *f->first);
    f->count = wn_xcalloc((size_t)1 << bits, sizeof *f->count);
    f->mask = (1u << bits) - 1;
    f->shift = 64 - bits;
    for (size_t i = 0, j; i < n && k[i].key; i = j) {
        for (j = i + 1; j < n && k[j].key == k[i].key; j++)
            ;
        uint64_t h = key_hash(k[i].key), b = h >> (64 - FILTER_BITS);
        f->filter[b >> 6] |= 1ull << (b & 63);
        uint32_t s = (uint32_t)(h >> f->shift);
        while (f->keys[s])
            s = (s + 1) & f->mask;
        f->keys[s] = k[i].key;
        f->first[s] = (uint32_t)i;
        f->count[s] = (uint32_t)(j - i);
    }
#ifdef WL_AVX2
    f->avx2 = wn_filter_use_avx2 && __builtin_cpu_supports("avx2");
#endif
    f->rest_first = (uint32_t)(n - n_rest);
    f->n_rest = (uint32_t)n_rest;
    for (size_t i = f->rest_first; i < n; i++) {
        unsigned char b = (unsigned char)e[k[i].entry].word[0];
        f->rest_lead[b >> 6] |= 1ull << (b & 63);
    }
    f->head = wn_xcalloc(n, sizeof *f->head);
    f->head_mask = wn_xcalloc(n, sizeof *f->head_mask);
    for (size_t i = 0; i < n; i++) {
        unsigned char b8[8] = {0}, m8[8] = {0};
        for (size_t j = 0; j < 8 && j < e[i].len; j++) {
            b8[j] = (unsigned char)(e[i].word[j] | 0x20);
            m8[j] = 0xFF;
        }
        memcpy(&f->head[i], b8, 8);
        memcpy(&f->head_mask[i], m8, 8);
    }
    free(k);
    return f;
}

void wn_wl_scan_free(wn_wl_scan *f)
{
    if (!f)
        return;
    free(f->order);
    free(f->head);
    free(f->head_mask);
    free(f->keys);
    free(f->first);
    free(f->count);
    free(f);
}

/* s[at..) begins with e's bytes, ASCII letters in either case (Hyperscan's caseless). */
static inline bool same_caseless(const wn_wl_entry *e, const char *s, size_t n, size_t at)
{
    if (e->len > n - at)
        return false;
    for (uint32_t i = 0; i < e->len; i++) {
        unsigned char c = (unsigned char)s[at + i];
        c = (unsigned)(c - 'A') < 26 ? (unsigned char)(c | 0x20) : c;
        if (c != (unsigned char)e->word[i])
            return false;
    }
    return true;
}

/* The matches of a group's entries starting at s[at]. */
static size_t group_matches(const wn_wl_scan *f, uint32_t g, const char *s, size_t n, size_t at)
{
    size_t hits = 0;
    uint64_t w = 0;
    bool quick = n - at >= 8; /* its first 8 bytes rule out most entries at one test */
    if (quick)
        memcpy(&w, s + at, 8);
    w |= 0x2020202020202020ull;
    for (uint32_t i = 0; i < f->count[g]; i++) {
        uint32_t k = f->order[f->first[g] + i];
        if (quick && (w & f->head_mask[k]) != f->head[k])
            continue;
        const wn_wl_entry *e = &f->e[k];
        hits += same_caseless(e, s, n, at) && wn_wl_match_ok(e, s, n, at);
    }
    return hits;
}

/* The matches of the entries starting outside ASCII at s[at] (a byte >= 0x80). */
static size_t rest_matches(const wn_wl_scan *f, const char *s, size_t n, size_t at)
{
    unsigned char b = (unsigned char)s[at];
    if (!(f->rest_lead[b >> 6] >> (b & 63) & 1))
        return 0;
    size_t hits = 0;
    for (uint32_t i = f->rest_first; i < f->rest_first + f->n_rest; i++) {
        const wn_wl_entry *e = &f->e[f->order[i]];
        hits += (unsigned char)e->word[0] == b && same_caseless(e, s, n, at) &&
                wn_wl_match_ok(e, s, n, at);
    }
    return hits;
}

/* Bit j of *alnum set when p[j] is an ASCII letter or digit, of *high when p[j] >= 0x80,
 * for j < 64. */
static inline void block_masks(const unsigned char *p, uint64_t *alnum, uint64_t *high)
{
#ifdef __SSE2__
    uint64_t a = 0, h = 0;
    for (int q = 0; q < 4; q++) {
        __m128i x = _mm_loadu_si128((const __m128i *)(const void *)(p + 16 * q));
        __m128i low = _mm_or_si128(x, _mm_set1_epi8(0x20));
        /* signed compares: bytes >= 0x80 are negative, so neither a letter nor a digit */
        __m128i letter = _mm_and_si128(_mm_cmpgt_epi8(low, _mm_set1_epi8('a' - 1)),
                                       _mm_cmplt_epi8(low, _mm_set1_epi8('z' + 1)));
        __m128i digit = _mm_and_si128(_mm_cmpgt_epi8(x, _mm_set1_epi8('0' - 1)),
                                      _mm_cmplt_epi8(x, _mm_set1_epi8('9' + 1)));
        a |= (uint64_t)(unsigned)_mm_movemask_epi8(_mm_or_si128(letter, digit)) << (16 * q);
        h |= (uint64_t)(unsigned)_mm_movemask_epi8(x) << (16 * q);
    }
    *alnum = a;
    *high = h;
#else
    uint64_t a = 0, h = 0;
    for (int j = 0; j < 64; j++) {
        a |= (uint64_t)ascii_alnum(p[j]) << j;
        h |= (uint64_t)(p[j] >= 0x80) << j;
    }
    *alnum = a;
    *high = h;
#endif
}

#ifdef WL_AVX2
/* block_masks in two 32-byte steps where the SSE2 code takes four (a call per block, as
 * AVX2 code cannot be inlined into the generic loop; the block's masks cost ~40% less). */
__attribute__((target("avx2"), noinline)) static void
block_masks_avx2(const unsigned char *p, uint64_t *alnum, uint64_t *high)
{
    uint64_t a = 0, h = 0;
    for (int q = 0; q < 2; q++) {
        __m256i x = _mm256_loadu_si256((const __m256i *)(const void *)(p + 32 * q));
        __m256i low = _mm256_or_si256(x, _mm256_set1_epi8(0x20));
        /* signed compares, as block_masks */
        __m256i letter = _mm256_and_si256(_mm256_cmpgt_epi8(low, _mm256_set1_epi8('a' - 1)),
                                          _mm256_cmpgt_epi8(_mm256_set1_epi8('z' + 1), low));
        __m256i digit = _mm256_and_si256(_mm256_cmpgt_epi8(x, _mm256_set1_epi8('0' - 1)),
                                         _mm256_cmpgt_epi8(_mm256_set1_epi8('9' + 1), x));
        a |= (uint64_t)(uint32_t)_mm256_movemask_epi8(_mm256_or_si256(letter, digit)) << (32 * q);
        h |= (uint64_t)(uint32_t)_mm256_movemask_epi8(x) << (32 * q);
    }
    _mm256_zeroupper(); /* the caller goes on in SSE2 */
    *alnum = a;
    *high = h;
}
#endif

size_t wn_wl_scan_count(const wn_wl_scan *f, const char *s, size_t n, size_t limit)
{
    /* Blocks of 64 bytes overlap by MAX_RUN: a run starting in the first STEP bytes has its
     * first MAX_RUN bits in the block's mask, so its capped length is one bit scan. */
    enum { BLOCK = 64, STEP = BLOCK - MAX_RUN };
    size_t hits = 0;
    uint64_t carry = 0; /* the byte before the block is an ASCII letter or digit */
    unsigned char pad[BLOCK];
    for (size_t base = 0; base < n; base += STEP) {
        /* the last block comes from a padded copy (NUL is neither a letter nor a digit, and
         * no entry holds one); a start (< STEP) reads 4 bytes of the block for its key */
        const unsigned char *p = (const unsigned char *)s + base;
        if (n - base < BLOCK) {
            memset(pad, 0, sizeof pad);
            memcpy(pad, p, n - base);
            p = pad;
        }
        uint64_t alnum, high;
#ifdef WL_AVX2
        if (f->avx2)
            block_masks_avx2(p, &alnum, &high);
        else
#endif
            block_masks(p, &alnum, &high);
        const uint64_t first = (1ull << STEP) - 1;
        uint64_t starts = alnum & ~(alnum << 1 | carry) & first;
        carry = alnum >> (STEP - 1) & 1;
        for (; starts; starts &= starts - 1) {
            unsigned j = (unsigned)__builtin_ctzll(starts);
            uint64_t key = run_key(p + j, alnum >> j), h = key_hash(key);
            if (__builtin_expect(filter_has(f, h), 0)) {
                int64_t g = find_group(f, key, h);
                if (g >= 0)
                    hits += group_matches(f, (uint32_t)g, s, n, base + j);
            }
        }
        for (high = f->n_rest ? high & first : 0; high; high &= high - 1)
            hits += rest_matches(f, s, n, base + (size_t)__builtin_ctzll(high));
        if (limit && hits >= limit)
            return limit;
    }
    return hits;
}
