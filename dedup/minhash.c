/* minhash.c: configs, word shingles, MinHash signatures, band keys (spec: minhash.h). */
#include "dedup/minhash.h"

#include "core/buf.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <immintrin.h>
#include <unicode/uchar.h>
#include <unicode/utf8.h>
#define XXH_INLINE_ALL /* inline the short-input paths: one call per word */
#include <xxhash.h>

void wn_dedup_config_default(wn_dedup_config *c, wn_dedup_method m)
{
    c->method = m;
    c->ngram = 5;
    c->seed = 1;
    if (m == WN_DEDUP_MINHASH) {
        c->bands = 14; /* FineWeb: 14 x 8 = 112 hashes */
        c->rows = 8;
    } else {
        c->bands = 1;  /* one 128-bit key */
        c->rows = 4;
    }
}

unsigned wn_dedup_config_values(const wn_dedup_config *c)
{
    return c->bands * c->rows;
}

static const char *method_name(wn_dedup_method m)
{
    return m == WN_DEDUP_MINHASH ? "minhash" : m == WN_DEDUP_EXACT ? "exact" : "url";
}

int wn_dedup_config_text(const wn_dedup_config *c, char *out, size_t n, char *err, size_t errlen)
{
    if (c->method == WN_DEDUP_MINHASH) {
        if (c->ngram < 1 || c->ngram > 64 || c->bands < 1 || c->rows < 1 ||
            (uint64_t)c->bands * c->rows > WN_MH_MAX_VALUES) {
            snprintf(err, errlen, "invalid minhash config: ngram %u (1..64), bands x rows %u x "
                     "%u (at most %u values)", c->ngram, c->bands, c->rows, WN_MH_MAX_VALUES);
            return -1;
        }
        snprintf(out, n, "minhash v1 ngram=%u bands=%u rows=%u seed=%llu", c->ngram, c->bands,
                 c->rows, (unsigned long long)c->seed);
    } else {
        snprintf(out, n, "%s v1 hash=xxh3-128", method_name(c->method));
    }
    return 0;
}

struct wn_mh_hasher {
    unsigned n, n_pad, ngram; /* n_pad: n rounded up to 16 for the vector loop */
    uint64_t *a, *b;
};

wn_mh_hasher *wn_mh_hasher_new(const wn_dedup_config *c)
{
    wn_mh_hasher *h = wn_xcalloc(1, sizeof *h);
    h->n = wn_dedup_config_values(c);
    h->ngram = c->ngram;
    h->n_pad = (h->n + 15) / 16 * 16;
    h->a = wn_xcalloc(h->n_pad, sizeof *h->a);
    h->b = wn_xcalloc(h->n_pad, sizeof *h->b);
    for (uint64_t i = 0; i < h->n; i++) {
        uint64_t key[2] = {i, 0};
        h->a[i] = XXH3_64bits_withSeed(key, sizeof key, c->seed) | 1; /* odd: a bijection */
        key[1] = 1;
        h->b[i] = XXH3_64bits_withSeed(key, sizeof key, c->seed);
    }
    return h;
}

void wn_mh_hasher_free(wn_mh_hasher *h)
{
    if (!h) return;
    free(h->a);
    free(h->b);
    free(h);
}

/* Python's str.isspace() for the code points split() cuts at. */
static bool is_space_cp(uint32_t c)
{
    if (c < 0x80) return c == ' ' || (c >= 0x09 && c <= 0x0d) || (c >= 0x1c && c <= 0x1f);
    return c == 0x85 || c == 0xa0 || c == 0x1680 || (c >= 0x2000 && c <= 0x200a) ||
           c == 0x2028 || c == 0x2029 || c == 0x202f || c == 0x205f || c == 0x3000;
}

/* Decode one UTF-8 code point at s[i] (invalid bytes stand for themselves, one each). */
static uint32_t utf8_next(const unsigned char *s, size_t n, size_t *i)
{
    unsigned char c = s[*i];
    uint32_t cp;
    size_t len;
    if (c < 0x80) { (*i)++; return c; }
    if (c >= 0xc2 && c <= 0xdf) { cp = c & 0x1f; len = 2; }
    else if (c >= 0xe0 && c <= 0xef) { cp = c & 0x0f; len = 3; }
    else if (c >= 0xf0 && c <= 0xf4) { cp = c & 0x07; len = 4; }
    else { (*i)++; return 0xdc00 | c; } /* lone byte: a private stand-in, never space */
    if (*i + len > n) { (*i)++; return 0xdc00 | c; }
    for (size_t k = 1; k < len; k++) {
        if ((s[*i + k] & 0xc0) != 0x80) { (*i)++; return 0xdc00 | c; }
        cp = cp << 6 | (s[*i + k] & 0x3f);
    }
    *i += len;
    return cp;
}

/* Byte classes for the ASCII fast path. */
enum { B_WORD = 0, B_UPPER = 1, B_SPACE = 2, B_HIGH = 3 };
static unsigned char byte_class[256];

static void byte_class_init(void)
{
    for (int c = 0; c < 256; c++)
        byte_class[c] = c >= 0x80 ? B_HIGH : is_space_cp((uint32_t)c) ? B_SPACE
                        : (c >= 'A' && c <= 'Z') ? B_UPPER : B_WORD;
}

/* End of the run of plain word bytes (B_WORD) from i: eight bytes at a time (SWAR) while
 * they are all plain, then byte by byte. A byte up to 0x20, uppercase ASCII or >= 0x80
 * stops the fast step (rare non-space controls then go through the table). */
static inline size_t plain_run(const unsigned char *s, size_t i, size_t len)
{
    const uint64_t ones = 0x0101010101010101ull, high = 0x8080808080808080ull;
    while (i + 8 <= len) {
        uint64_t x;
        memcpy(&x, s + i, 8);
        uint64_t low7 = x & ~high;
        uint64_t le20 = (0x20 * ones + high - low7) & high;           /* byte <= 0x20 */
        uint64_t ge41 = (low7 + (0x80 - 0x41) * ones) & high;         /* byte >= 0x41 */
        uint64_t ge5b = (low7 + (0x80 - 0x5b) * ones) & high;         /* byte >= 0x5b */
        uint64_t stop = le20 | (ge41 & ~ge5b) | (x & high);
        if (stop) {
            i += (size_t)__builtin_ctzll(stop) / 8;
            break;
        }
        i += 8;
    }
    while (i < len && byte_class[s[i]] == B_WORD) i++;
    return i;
}

/* Hash of every word of text.lower().split() into *words (grown as needed). A word of
 * ASCII lowercase bytes is hashed in place; others are lowercased into a scratch copy
 * (ICU simple lowercase for non-ASCII) first. */
size_t wn_dedup_word_hashes(const char *text, size_t len, uint64_t **words, size_t *cap)
{
    static int once;
    if (!once) { byte_class_init(); once = 1; } /* idempotent: a race writes equal bytes */
    const unsigned char *s = (const unsigned char *)text;
    size_t n = 0, i = 0;
    char stackbuf[256];
    char *wb = stackbuf;
    size_t wcap = sizeof stackbuf;
    while (i < len) {
        while (i < len && byte_class[s[i]] == B_SPACE) i++;
        if (i < len && s[i] >= 0x80) { /* a non-ASCII space? */
            size_t j = i;
            if (is_space_cp(utf8_next(s, len, &j))) { i = j; continue; }
        }
        if (i >= len) break;
        size_t start = i;
        i = plain_run(s, i, len);
        uint64_t hash;
        if (i == len || byte_class[s[i]] == B_SPACE) {
            hash = XXH3_64bits(s + start, i - start);
        } else {
            size_t wl = i - start;
            if (wl + 4 > wcap) {
                if (wb != stackbuf) free(wb);
                wcap = (wl + 4) * 2;
                wb = wn_xmalloc(wcap);
            }
            memcpy(wb, s + start, wl);
            while (i < len) {
                uint32_t c;
                size_t j = i;
                if (s[i] < 0x80) {
                    c = s[i];
                    j = i + 1;
                    if (byte_class[c] == B_SPACE) break;
                    if (byte_class[c] == B_UPPER) c += 32;
                } else {
                    c = utf8_next(s, len, &j);
                    if (is_space_cp(c)) break;
                    if (c < 0xdc00 || c > 0xdcff) c = (uint32_t)u_tolower((UChar32)c);
                }
                if (wl + 4 > wcap) {
                    size_t ncap = wcap * 2;
                    char *nb = wn_xmalloc(ncap);
                    memcpy(nb, wb, wl);
                    if (wb != stackbuf) free(wb);
                    wb = nb;
                    wcap = ncap;
                }
                if (c >= 0xdc00 && c <= 0xdcff) wb[wl++] = (char)(c & 0xff);
                else U8_APPEND_UNSAFE((uint8_t *)wb, wl, c); /* room for 4 checked above */
                i = j;
            }
            hash = XXH3_64bits(wb, wl);
        }
        if (n == *cap) {
            *cap = *cap ? *cap * 2 : 1024;
            *words = wn_xrealloc(*words, *cap * sizeof **words);
        }
        (*words)[n++] = hash;
    }
    if (wb != stackbuf) free(wb);
    return n;
}

/* The hot loop: for each shingle hash x and each permutation i, keep the minimum of the
 * high 32 bits of a_i*x + b_i. Permutations go in blocks of 16 held in vector registers
 * across all shingles: AVX-512DQ intrinsics when the CPU has them (checked once), else
 * GCC vector extensions lowered to the baseline ISA. n_pad is a multiple of 16. */
typedef uint64_t u64x8 __attribute__((vector_size(64)));

/* The minimum of the high 32 bits is the high 32 bits of the 64-bit minimum, so the loop
 * keeps 64-bit minima and shifts once at the end. */
static void minhash_update_base(uint32_t *restrict mins, const uint64_t *restrict a,
                                const uint64_t *restrict b, unsigned n_pad,
                                const uint64_t *restrict xs, size_t n_xs)
{
    for (unsigned blk = 0; blk < n_pad; blk += 16) {
        u64x8 a0, a1, b0, b1;
        memcpy(&a0, a + blk, 64); memcpy(&a1, a + blk + 8, 64);
        memcpy(&b0, b + blk, 64); memcpy(&b1, b + blk + 8, 64);
        u64x8 m0 = a0 * 0 + UINT64_MAX, m1 = m0;
        for (size_t s = 0; s < n_xs; s++) {
            uint64_t x = xs[s];
            u64x8 v0 = a0 * x + b0, v1 = a1 * x + b1;
            u64x8 lt0 = (u64x8)(v0 < m0), lt1 = (u64x8)(v1 < m1); /* all-ones lanes */
            m0 = (v0 & lt0) | (m0 & ~lt0);
            m1 = (v1 & lt1) | (m1 & ~lt1);
        }
        for (int k = 0; k < 8; k++) {
            mins[blk + k] = (uint32_t)(m0[k] >> 32);
            mins[blk + 8 + k] = (uint32_t)(m1[k] >> 32);
        }
    }
}

/* AVX-512DQ: native 64-bit lane multiply (vpmullq) and unsigned 64-bit minimum. */
__attribute__((target("avx512f,avx512dq")))
static void minhash_update_avx512(uint32_t *restrict mins, const uint64_t *restrict a,
                                  const uint64_t *restrict b, unsigned n_pad,
                                  const uint64_t *restrict xs, size_t n_xs)
{
    for (unsigned blk = 0; blk < n_pad; blk += 16) {
        __m512i a0 = _mm512_loadu_si512(a + blk), a1 = _mm512_loadu_si512(a + blk + 8);
        __m512i b0 = _mm512_loadu_si512(b + blk), b1 = _mm512_loadu_si512(b + blk + 8);
        __m512i m0 = _mm512_set1_epi64(-1), m1 = m0;
        for (size_t s = 0; s < n_xs; s++) {
            __m512i x = _mm512_set1_epi64((long long)xs[s]);
            m0 = _mm512_min_epu64(m0, _mm512_add_epi64(_mm512_mullo_epi64(a0, x), b0));
            m1 = _mm512_min_epu64(m1, _mm512_add_epi64(_mm512_mullo_epi64(a1, x), b1));
        }
        uint64_t t[16];
        _mm512_storeu_si512(t, m0);
        _mm512_storeu_si512(t + 8, m1);
        for (int k = 0; k < 16; k++) mins[blk + k] = (uint32_t)(t[k] >> 32);
    }
}

static void minhash_update(uint32_t *restrict mins, const uint64_t *restrict a,
                           const uint64_t *restrict b, unsigned n_pad,
                           const uint64_t *restrict xs, size_t n_xs)
{
    static int have_avx512 = -1; /* a race writes the same value */
    if (have_avx512 < 0) {
        __builtin_cpu_init();
        have_avx512 = __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512dq");
    }
    if (have_avx512) minhash_update_avx512(mins, a, b, n_pad, xs, n_xs);
    else minhash_update_base(mins, a, b, n_pad, xs, n_xs);
}

/* Hash of n consecutive word hashes (order matters): multiply-xor over the words, then
 * the murmur3 64-bit finaliser for avalanche. Cheaper than rehashing 8n bytes. */
static inline uint64_t shingle_hash(const uint64_t *w, unsigned n)
{
    uint64_t acc = 0x9e3779b97f4a7c15ull;
    for (unsigned j = 0; j < n; j++) acc = (acc ^ w[j]) * 0x100000001b3ull * 0xff51afd7ed558ccdull;
    acc ^= acc >> 33; acc *= 0xff51afd7ed558ccdull;
    acc ^= acc >> 33; acc *= 0xc4ceb9fe1a85ec53ull;
    return acc ^ (acc >> 33);
}

size_t wn_mh_shingles(const char *text, size_t len, unsigned ngram, uint64_t **out,
                      size_t *cap)
{
    size_t nw = wn_dedup_word_hashes(text, len, out, cap);
    if (nw < ngram) return 0;
    size_t ns = nw - ngram + 1;
    /* Shingle hashes overwrite the word hashes in place: shingle k needs words k.. only. */
    for (size_t k = 0; k < ns; k++) (*out)[k] = shingle_hash(*out + k, ngram);
    return ns;
}

uint32_t wn_mh_signature(const wn_mh_hasher *h, const char *text, size_t len, uint32_t *out,
                         void **scratch, size_t *scratch_cap)
{
    uint64_t *words = *scratch;
    size_t cap = *scratch_cap / sizeof(uint64_t);
    size_t ns = wn_mh_shingles(text, len, h->ngram, &words, &cap);
    *scratch = words;
    *scratch_cap = cap * sizeof(uint64_t);
    for (unsigned i = 0; i < h->n; i++) out[i] = UINT32_MAX;
    if (ns == 0) return 0;
    uint32_t mins[WN_MH_MAX_VALUES + 16];
    minhash_update(mins, h->a, h->b, h->n_pad, words, ns);
    memcpy(out, mins, h->n * sizeof *out);
    return ns > UINT32_MAX ? UINT32_MAX : (uint32_t)ns;
}

void wn_dedup_hash128_values(const char *bytes, size_t len, uint32_t out[4])
{
    XXH128_hash_t h = XXH3_128bits(bytes, len);
    out[0] = (uint32_t)h.high64; out[1] = (uint32_t)(h.high64 >> 32);
    out[2] = (uint32_t)h.low64;  out[3] = (uint32_t)(h.low64 >> 32);
}

void wn_dedup_band_key(const uint32_t *values, unsigned band, unsigned rows,
                       wn_dedup_band_rec *out)
{
    XXH128_hash_t h = XXH3_128bits_withSeed(values + (size_t)band * rows,
                                            rows * sizeof *values, band);
    out->key_hi = h.high64;
    out->key_lo = h.low64;
}

double wn_mh_estimate(const uint32_t *a, const uint32_t *b, unsigned n)
{
    unsigned eq = 0;
    for (unsigned i = 0; i < n; i++) eq += a[i] == b[i];
    return n ? (double)eq / n : 0.0;
}
