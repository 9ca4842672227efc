/* c4.c: the C4 rules (Raffel et al. 2020, section 2.2), in the order of datatrove's
 * C4QualityFilter. Per line (stripped):
 *   a word over max_word_length (1000) characters            -> line removed
 *   citation markers "[1]", "[edit]", "[citation needed]"     -> removed from the line
 *   no terminal punctuation (. ? ! " ') or ends with "..."    -> line removed (optional;
 *                                                                FineWeb turned it off)
 *   fewer than 3 words                                        -> line removed
 *   "lorem ipsum"                                             -> document dropped
 *   "javascript"                                              -> line removed
 *   "{"                                                       -> document dropped
 *   a cookie/terms/privacy policy phrase                      -> line removed
 * then the document is dropped with fewer than 5 sentences in its kept lines, and otherwise
 * its text becomes the kept lines joined by '\n' (not with --annotate-only).
 * Sentences are counted as runs ending in . ! ? followed by a space or the end of a line.
 */
#include "filter/filter.h"
#include "core/buf.h"

#include <ctype.h>
#include <math.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#if defined(__SSE2__)
#include <emmintrin.h>
#endif
#if defined(__x86_64__) && defined(__GNUC__)
#include <immintrin.h>
#define C4_AVX2 1 /* compiled for any x86-64, run only where the CPU has AVX2 */
#endif

bool wn_filter_use_avx2 = true; /* filter.h; unicode.c reads it too */

typedef struct c4 {
    double max_word_length, min_words_per_line, min_sentences;
    bool terminal_punct, lorem, javascript, curly, policy, citations;
    bool rewrite;
    bool avx2; /* lines scanned 32 bytes a step */
} c4;

static _Thread_local wn_buf kept;
static _Thread_local wn_buf lower;
static _Thread_local wn_text_span *spans; /* the kept lines, for wn_text_keep_lines */
static _Thread_local size_t spans_cap;

static bool is_space(char c)
{
    return c == ' ' || c == '\t' || c == '\r' || c == '\v' || c == '\f';
}

/* Length of a citation marker at p (or 0): \[\d*\] | \[edit\] | \[citation needed\] */
static size_t citation_at(const char *p, size_t n)
{
    if (n < 2 || p[0] != '[')
        return 0;
    size_t k = 1;
    while (k < n && isdigit((unsigned char)p[k]))
        k++;
    if (k < n && p[k] == ']')
        return k + 1;
    if (n >= 6 && !memcmp(p, "[edit]", 6))
        return 6;
    if (n >= 17 && !memcmp(p, "[citation needed]", 17))
        return 17;
    return 0;
}

#if defined(__SSE2__)
/* is_space bytes: ' ', and '\t' '\v' '\f' '\r' (9 and 11..13; not '\n') */
static inline uint32_t mask_space(__m128i v)
{
    __m128i d = _mm_sub_epi8(v, _mm_set1_epi8(9));
    __m128i ctl = _mm_cmpeq_epi8(_mm_min_epu8(d, _mm_set1_epi8(4)), d);
    return ((uint32_t)_mm_movemask_epi8(ctl) & ~wn_bytes_eq16(v, '\n')) | wn_bytes_eq16(v, ' ');
}
#endif

/* The policy phrases that hold "cookie" (C4's other two, "terms of use" and "privacy
 * policy", are found by phrase_at): a line without "cookie" needs no search for them. */
static const char *const cookie_phrases[] = {
    "cookie policy", "uses cookies", "use of cookies", "use cookies",
};

/* What the line-dropping phrases found in a line (compared with A-Z lowered, as the rules
 * read the lowered line). */
typedef struct phrases {
    bool lorem, javascript, curly, policy;
} phrases;

static inline char lower_byte(char c)
{
    return (char)(c >= 'A' && c <= 'Z' ? c | 0x20 : c);
}

/* Does p (left bytes) start with the lowercase pattern pat, A-Z lowered? */
static bool starts_lower(const char *p, size_t left, const char *pat, size_t k)
{
    if (left < k)
        return false;
    for (size_t j = 0; j < k; j++)
        if (lower_byte(p[j]) != pat[j])
            return false;
    return true;
}

/* A candidate at p: a phrase may start here (its first two bytes, lowered, matched). */
static void phrase_at(phrases *f, const char *p, size_t left, bool *cookie)
{
    switch (lower_byte(p[0])) {
    case 'l': f->lorem |= starts_lower(p, left, "lorem ipsum", 11); break;
    case 'j': f->javascript |= starts_lower(p, left, "javascript", 10); break;
    case 't': f->policy |= starts_lower(p, left, "terms of use", 12); break;
    case 'p': f->policy |= starts_lower(p, left, "privacy policy", 14); break;
    case 'c': *cookie |= starts_lower(p, left, "cookie", 6); break;
    default: break;
    }
}

/* The first three bytes of each phrase searched, lowercase (two gave a candidate every
 * twenty bytes or so of English: "co", "te", "pr"). */
static const char phrase_starts[5][3] = {{'l', 'o', 'r'}, {'j', 'a', 'v'}, {'t', 'e', 'r'},
                                         {'p', 'r', 'i'}, {'c', 'o', 'o'}};

static inline bool phrase_start_scalar(const char *p)
{
    char a = lower_byte(p[0]), b = lower_byte(p[1]), c = lower_byte(p[2]);
    for (int k = 0; k < 5; k++)
        if (a == phrase_starts[k][0] && b == phrase_starts[k][1] && c == phrase_starts[k][2])
            return true;
    return false;
}

/* Words (whitespace-separated) longer than max_word_length are counted in code points: a
 * length is an integer, so "> max" is "> floor(max)", compared without floats. */
static size_t word_limit(double max_len_d)
{
    return isnan(max_len_d) || max_len_d >= 1e18 ? SIZE_MAX
           : max_len_d < 0                       ? 0
                                                 : (size_t)max_len_d;
}

/* words_bytes over p[i .. e), byte by byte: cur is the code points of the word being read */
static inline void words_bytes(const char *p, size_t i, size_t e, size_t max_len, size_t *cur,
                               size_t *words, bool *too_long)
{
    for (; i < e; i++) {
        if (is_space(p[i])) {
            *cur = 0;
            continue;
        }
        if (((unsigned char)p[i] & 0xC0) == 0x80)
            continue;
        if ((*cur)++ == 0)
            (*words)++;
        if (*cur > max_len)
            *too_long = true;
    }
}

/* What one pass over a line finds: its words (and whether one is over the limit), whether
 * it holds a '[' (a citation may be cut out of it), the line-dropping phrases and the
 * sentences. The rules read the phrases and sentences of the line as kept, which is these
 * bytes unless a citation was cut. */
typedef struct line_scan {
    size_t words, cur; /* cur: code points of the word being read */
    size_t sentences;
    bool too_long, bracket, cookie;
    bool in; /* a sentence has begun */
    bool utf8; /* the line is valid UTF-8 (scan_masks reads its non-ASCII blocks by masks) */
    phrases f;
} line_scan;

/* Set bits of a mask of `width` (16 or 32) bits. */
static inline __attribute__((always_inline)) unsigned bits_of(uint32_t m, const unsigned width)
{
    return width == 32 ? (unsigned)__builtin_popcount(m) : wn_bits16(m);
}

/* A block's masks (bit k for byte at + k; `valid` the bytes in the line) folded into the
 * line's scan, for blocks of `width` (16 or 32) bytes: sp the spaces, high the bytes >=
 * 0x80 and cont the UTF-8 continuation bytes among them (only needed when high is not 0),
 * '[' and '{', cand the bytes where a phrase may start, end the '.' '!' '?'. Inlined with a
 * constant width into each block function. */
static inline __attribute__((always_inline)) void
scan_masks(line_scan *sc, uint32_t sp, uint32_t high, uint32_t cont, uint32_t bracket,
           uint32_t curly, uint32_t cand, uint32_t end, uint32_t valid, const unsigned width,
           const char *line, size_t len, size_t at, size_t max_len)
{
    const uint32_t full = width == 32 ? 0xFFFFFFFFu : 0xFFFFu;
    sp &= valid;
    /* words by the block's masks, bytes outside the line counted as spaces; a word inside a
     * block is shorter than the block, so only the words reaching a block's ends can be too
     * long when max_len >= width. In valid UTF-8 a continuation byte follows a lead or
     * another continuation, never a space, so a word starts where a non-space byte follows
     * a space there too, and its code points are the bytes that are not continuations; the
     * byte loop (which neither starts nor ends a word at a continuation byte) reads the
     * other non-ASCII blocks. */
    if (max_len < width || (high && !sc->utf8)) {
        size_t e = at + width < len ? at + width : len;
        words_bytes(line, at, e, max_len, &sc->cur, &sc->words, &sc->too_long);
    } else {
        uint32_t gap = sp | (~valid & full), word = ~gap & full;
        uint32_t starts = word & ~((word << 1) | (sc->cur > 0));
        sc->words += bits_of(starts, width);
        if (!high) { /* ASCII: a code point a byte */
            if (!gap) {
                sc->cur += width;
            } else {
                if (sc->cur + (unsigned)__builtin_ctz(gap) > max_len)
                    sc->too_long = true;
                /* bytes after the last gap */
                sc->cur = (width - 1) - (31 - (unsigned)__builtin_clz(gap));
            }
        } else {
            uint32_t lead = word & ~cont;
            if (!gap) {
                sc->cur += bits_of(lead, width);
            } else {
                unsigned first = (unsigned)__builtin_ctz(gap), last = 31 - (unsigned)__builtin_clz(gap);
                if (sc->cur + bits_of(lead & ((1u << first) - 1), width) > max_len)
                    sc->too_long = true;
                /* code points after the last gap (last + 1 may be 32) */
                sc->cur = bits_of((uint32_t)((uint64_t)lead >> (last + 1)), width);
            }
        }
        if (sc->cur > max_len)
            sc->too_long = true;
    }
    sc->bracket |= (bracket & valid) != 0;
    sc->f.curly |= (curly & valid) != 0;
    /* a zero past the line starts no phrase, so a candidate has its three letters in it */
    for (; cand; cand &= cand - 1) {
        size_t i = at + (unsigned)__builtin_ctz(cand);
        phrase_at(&sc->f, line + i, len - i, &sc->cookie);
    }
    /* sentences: a run ending in . ! ? followed by a space, a quote or the line's end; a
     * block without one only tells whether a sentence began */
    end &= valid;
    uint32_t text = ~(sp | end) & valid;
    uint32_t from = 0; /* bits below `from` are done */
    while (end) {
        unsigned k = (unsigned)__builtin_ctz(end);
        end &= end - 1;
        sc->in |= (text & ((1u << k) - 1) & ~from) != 0;
        from = (2u << k) - 1; /* k = 31: all bits, as 2u << 31 is 0 */
        size_t j = at + k + 1;
        if (sc->in && (j == len || is_space(line[j]) || line[j] == '"' || line[j] == '\'')) {
            sc->sentences++;
            sc->in = false;
        }
    }
    sc->in |= (text & ~from) != 0;
}

#if defined(__SSE2__)
/* The phrase starts broadcast (starts[k][j] = phrase_starts[k][j] in every byte). */
typedef struct phrase_vecs {
    __m128i starts[5][3];
} phrase_vecs;

/* One 16-byte block of scan_line: blk holds it and the 2 bytes after it, its byte k is the
 * line's byte at + k when bit k of valid is set (outside the line, or in the line's
 * last blocks, the bytes come from a zero-padded copy). Words, '[', '{', the phrases'
 * candidates and the sentence ends all from the same loads: one pass over the line where
 * there were three, each with its own padded tail. */
static inline void scan_block(line_scan *sc, const phrase_vecs *pv, const char *blk,
                              uint32_t valid, const char *line, size_t len, size_t at,
                              size_t max_len)
{
    __m128i v = _mm_loadu_si128((const __m128i *)(const void *)blk);
    /* phrases: c | 0x20 is a lowercase letter only for that letter and its capital */
    const __m128i case_bit = _mm_set1_epi8(0x20);
    __m128i a = _mm_or_si128(v, case_bit), hit = _mm_setzero_si128();
    __m128i b = _mm_or_si128(_mm_loadu_si128((const __m128i *)(const void *)(blk + 1)), case_bit);
    __m128i c = _mm_or_si128(_mm_loadu_si128((const __m128i *)(const void *)(blk + 2)), case_bit);
    for (int k = 0; k < 5; k++) {
        __m128i m = _mm_and_si128(_mm_cmpeq_epi8(a, pv->starts[k][0]),
                                  _mm_cmpeq_epi8(b, pv->starts[k][1]));
        hit = _mm_or_si128(hit, _mm_and_si128(m, _mm_cmpeq_epi8(c, pv->starts[k][2])));
    }
    uint32_t high = (uint32_t)_mm_movemask_epi8(v), cont = 0;
    if (high) /* 10xxxxxx */
        cont = wn_bytes_eq16(_mm_and_si128(v, _mm_set1_epi8((char)0xC0)), (char)0x80);
    scan_masks(sc, mask_space(v), high, cont, wn_bytes_eq16(v, '['),
               wn_bytes_eq16(v, '{'), (uint32_t)_mm_movemask_epi8(hit),
               wn_bytes_eq16(v, '.') | wn_bytes_eq16(v, '!') | wn_bytes_eq16(v, '?'), valid, 16,
               line, len, at, max_len);
}
#endif

#ifdef C4_AVX2
/* The phrase starts as nibble tables for byte shuffles (AVX2's vpshufb, which SSE2 lacks):
 * bit k of phrase_nibbles[j][0][x & 15] & phrase_nibbles[j][1][x >> 4] is set exactly when
 * the byte x is phrase k's (j + 1)-th start letter, as both its nibbles must match. */
static uint8_t phrase_nibbles[3][2][16];
static pthread_once_t phrase_nibbles_once = PTHREAD_ONCE_INIT;

static void phrase_nibbles_init(void)
{
    for (int k = 0; k < 5; k++)
        for (int j = 0; j < 3; j++) {
            unsigned char x = (unsigned char)phrase_starts[k][j];
            phrase_nibbles[j][0][x & 15] |= (uint8_t)(1u << k);
            phrase_nibbles[j][1][x >> 4] |= (uint8_t)(1u << k);
        }
}

/* The phrases whose j-th start letter each byte of x is, as bits (nib: the tables). */
__attribute__((target("avx2"))) static inline __m256i phrase_bits(__m256i x, const __m256i nib[2])
{
    const __m256i low = _mm256_set1_epi8(0x0F);
    return _mm256_and_si256(_mm256_shuffle_epi8(nib[0], _mm256_and_si256(x, low)),
                            _mm256_shuffle_epi8(nib[1], _mm256_and_si256(_mm256_srli_epi16(x, 4), low)));
}

/* scan_block's 32-byte twin (AVX2: the same tests on twice the bytes, one mask fold per 32
 * bytes): blk holds 34 bytes, byte k the line's byte at + k where bit k of valid is set
 * (the others zeros of a padded copy of the line's last bytes). */
__attribute__((target("avx2,popcnt,bmi,bmi2"), always_inline)) static inline void
scan_block32(line_scan *sc, const __m256i nib[3][2], const char *blk, uint32_t valid,
             const char *line, size_t len, size_t at, size_t max_len)
{
    __m256i v = _mm256_loadu_si256((const __m256i *)(const void *)blk);
#define EQ32(x, ch) ((uint32_t)_mm256_movemask_epi8(_mm256_cmpeq_epi8((x), _mm256_set1_epi8(ch))))
    /* is_space: ' ', and 9 and 11..13 ('\n' is a line's end, not in a line) */
    __m256i d = _mm256_sub_epi8(v, _mm256_set1_epi8(9));
    __m256i ctl = _mm256_cmpeq_epi8(_mm256_min_epu8(d, _mm256_set1_epi8(4)), d);
    uint32_t sp = ((uint32_t)_mm256_movemask_epi8(ctl) & ~EQ32(v, '\n')) | EQ32(v, ' ');
    const __m256i case_bit = _mm256_set1_epi8(0x20);
    __m256i a = _mm256_or_si256(v, case_bit);
    __m256i b = _mm256_or_si256(_mm256_loadu_si256((const __m256i *)(const void *)(blk + 1)), case_bit);
    __m256i c = _mm256_or_si256(_mm256_loadu_si256((const __m256i *)(const void *)(blk + 2)), case_bit);
    /* a phrase whose three start letters are here: its bit in all three (18 vector
     * operations where five phrases' three compares took 30) */
    __m256i m = _mm256_and_si256(_mm256_and_si256(phrase_bits(a, nib[0]), phrase_bits(b, nib[1])),
                                 phrase_bits(c, nib[2]));
    uint32_t cand = ~(uint32_t)_mm256_movemask_epi8(_mm256_cmpeq_epi8(m, _mm256_setzero_si256()));
    uint32_t high = (uint32_t)_mm256_movemask_epi8(v), cont = 0;
    if (high) /* 10xxxxxx */
        cont = EQ32(_mm256_and_si256(v, _mm256_set1_epi8((char)0xC0)), (char)0x80);
    scan_masks(sc, sp, high, cont, EQ32(v, '['), EQ32(v, '{'), cand,
               EQ32(v, '.') | EQ32(v, '!') | EQ32(v, '?'), valid, 32, line, len, at, max_len);
#undef EQ32
}

/* The whole line in 32-byte blocks: while 34 bytes are left (a phrase start reads two
 * bytes past its block) from the line, then its last bytes (up to 33) from a zero-padded
 * copy, in one block or two: where the 16-byte scan took up to three blocks for them (one
 * from the line, one or two from its copy), and short lines (most that pass the terminal
 * punctuation test on web pages) were all tail. */
__attribute__((target("avx2,popcnt,bmi,bmi2"))) static void scan_line32(line_scan *sc,
                                                               const char *line, size_t len,
                                                               size_t max_len)
{
    __m256i nib[3][2];
    for (int j = 0; j < 3; j++)
        for (int h = 0; h < 2; h++)
            nib[j][h] = _mm256_broadcastsi128_si256(
                _mm_loadu_si128((const __m128i *)(const void *)phrase_nibbles[j][h]));
    size_t i = 0;
    for (; i + 34 <= len; i += 32)
        scan_block32(sc, (const __m256i(*)[2])nib, line + i, 0xFFFFFFFFu, line, len, i,
                     max_len);
    char tail[66] = {0}; /* two blocks and the two bytes the second reads past its end */
    memcpy(tail, line + i, len - i);
    for (size_t o = 0; i + o < len; o += 32) {
        size_t left = len - i - o;
        uint32_t valid = left >= 32 ? 0xFFFFFFFFu : (1u << left) - 1;
        scan_block32(sc, (const __m256i(*)[2])nib, tail + o, valid, line, len, i + o, max_len);
    }
}
#endif

#if defined(__SSE2__)
/* The whole line in 16-byte blocks (SSE2): while 18 bytes are left from the line, then its
 * last bytes from a zero-padded copy (a byte loop over them took about as long as the
 * blocks before). */
static void scan_line16(line_scan *sc, const char *line, size_t len, size_t max_len)
{
    /* the 15 pattern bytes broadcast once per line, read from memory in the blocks: kept in
     * registers they were too many, so GCC broadcast them again in every block */
    phrase_vecs pv;
    for (int k = 0; k < 5; k++)
        for (int j = 0; j < 3; j++)
            pv.starts[k][j] = _mm_set1_epi8(phrase_starts[k][j]);
    size_t i = 0;
    for (; i + 18 <= len; i += 16) /* a phrase start reads two bytes past the block */
        scan_block(sc, &pv, line + i, 0xFFFF, line, len, i, max_len);
    char tail[34] = {0};
    memcpy(tail, line + i, len - i);
    for (size_t o = 0; i + o < len; o += 16) {
        size_t left = len - i - o;
        uint32_t valid = left >= 16 ? 0xFFFF : (1u << left) - 1;
        scan_block(sc, &pv, tail + o, valid, line, len, i + o, max_len);
    }
}
#endif

/* The cookie phrases, on a lowered copy: only for a line holding "cookie" (rare). */
static void cookie_phrases_in(phrases *f, const char *line, size_t len)
{
    wn_buf_reset(&lower);
    wn_buf_grow(&lower, len + 1);
    for (size_t k = 0; k < len; k++)
        lower.data[k] = lower_byte(line[k]);
    for (size_t k = 0; k < sizeof cookie_phrases / sizeof *cookie_phrases && !f->policy; k++) {
        const char *pat = cookie_phrases[k];
        f->policy = memmem(lower.data, len, pat, strlen(pat)) != NULL;
    }
}

/* The line's words, '[', phrases and sentences (line_scan) in one pass. With SSE2 the
 * blocks mark the bytes where a phrase may start (its first three letters, either case) and
 * only those are compared; the four cookie phrases are searched for only in a line holding
 * "cookie". It replaced a lowered copy of each line and six memmem passes over it (glibc's
 * memmem runs about a byte per cycle on such short needles), then three passes (words,
 * phrases, sentences). */
static line_scan scan_line(const char *line, size_t len, size_t max_len, bool avx2, bool utf8)
{
    line_scan sc;
    memset(&sc, 0, sizeof sc);
    sc.utf8 = utf8;
    size_t i = 0;
#ifdef C4_AVX2
    if (avx2) {
        scan_line32(&sc, line, len, max_len);
        i = len;
    }
#else
    (void)avx2;
#endif
#if defined(__SSE2__)
    if (i < len) {
        scan_line16(&sc, line, len, max_len);
        i = len;
    }
#endif
    words_bytes(line, i, len, max_len, &sc.cur, &sc.words, &sc.too_long);
    for (; i < len; i++) {
        char c = line[i];
        sc.bracket |= c == '[';
        sc.f.curly |= c == '{';
        if (i + 2 < len && phrase_start_scalar(line + i))
            phrase_at(&sc.f, line + i, len - i, &sc.cookie);
        if (c == '.' || c == '!' || c == '?') {
            if (sc.in && (i + 1 == len || is_space(line[i + 1]) || line[i + 1] == '"' ||
                          line[i + 1] == '\'')) {
                sc.sentences++;
                sc.in = false;
            }
        } else if (!is_space(c)) {
            sc.in = true;
        }
    }
    sc.sentences += sc.in; /* a sentence without its end at the line's end counts */
    if (sc.cookie && !sc.f.policy)
        cookie_phrases_in(&sc.f, line, len);
    return sc;
}

/* Does the line end (spaces, tabs and '\r' aside: wn_text_trim_end) with . ? ! " or
 * ', but not with "..."? Per kept line: written out rather than six suffix compares. */
static bool terminal_end(const char *s, size_t n)
{
    n = wn_text_trim_end(s, n);
    if (!n)
        return false;
    char c = s[n - 1];
    if (c != '.' && c != '?' && c != '!' && c != '"' && c != '\'')
        return false;
    return !(n >= 3 && s[n - 1] == '.' && s[n - 2] == '.' && s[n - 3] == '.');
}

static void c4_doc(void *state, wn_doc *d, wn_stats *s)
{
    const c4 *c = state;
    const wn_text *t = wn_text_analyze(d);
    size_t sentences = 0, kept_lines = 0, removed_chars = 0;
    const char *reason = NULL;
    bool whole_lines = true; /* no citation cut out of a kept line */
    size_t max_len = word_limit(c->max_word_length);
    wn_buf_reset(&kept);
    if (spans_cap < t->n_lines) {
        spans_cap = t->n_lines + 256;
        free(spans);
        spans = wn_xmalloc(spans_cap * sizeof *spans);
    }
    for (size_t li = 0; li < t->n_lines && !reason; li++) {
        const char *p = t->s + t->lines[li].off;
        size_t n = t->lines[li].len;
        while (n && is_space(*p)) p++, n--;
        while (n && is_space(p[n - 1])) n--;
        size_t before = kept.len;
        /* a line that ends without terminal punctuation (nor a citation's ']', whose
         * removal could bring one to the end) goes whatever else holds: removed without
         * counting its words or copying it, as most lines of code or lists are */
        if (c->terminal_punct && n && p[n - 1] != ']' && !terminal_end(p, n))
            goto removed;
        if (n == 0)
            goto removed;
        line_scan sc = scan_line(p, n, max_len, c->avx2, t->valid);
        if (sc.too_long)
            goto removed;
        /* the line without citation markers, in `kept` (rolled back when removed) */
        if (kept_lines)
            wn_buf_appendc(&kept, '\n');
        size_t line_at = kept.len;
        for (size_t i = 0; i < n && sc.bracket;) {
            size_t k = c->citations ? citation_at(p + i, n - i) : 0;
            if (k) {
                i += k;
                continue;
            }
            const char *q = memchr(p + i + 1, '[', n - i - 1);
            size_t stop = q ? (size_t)(q - p) : n;
            wn_buf_append(&kept, p + i, stop - i);
            i = stop;
        }
        if (!sc.bracket)
            wn_buf_append(&kept, p, n);
        const char *line = kept.data + line_at;
        size_t len = kept.len - line_at;
        /* the test above read these bytes unless a citation was cut or it let a ']' pass */
        if (c->terminal_punct && (len != n || p[n - 1] == ']') && !terminal_end(line, len))
            goto rollback;
        if ((double)sc.words < c->min_words_per_line)
            goto rollback;
        if (len != n) { /* a citation was cut: the phrases and sentences of what is kept */
            size_t words = sc.words;
            sc = scan_line(line, len, max_len, c->avx2, t->valid);
            sc.words = words;
        }
        phrases f = sc.f;
        if (c->lorem && f.lorem) {
            reason = "c4.lorem_ipsum";
            break;
        }
        if (c->javascript && f.javascript)
            goto rollback;
        if (c->curly && f.curly) {
            reason = "c4.curly_bracket";
            break;
        }
        if (c->policy && f.policy)
            goto rollback;
        sentences += sc.sentences;
        spans[kept_lines] = (wn_text_span){(uint32_t)li, (uint32_t)(p - t->s), (uint32_t)n};
        whole_lines &= len == n;
        kept_lines++;
        continue;
rollback:
        kept.len = before;
        kept.data[before] = '\0';
removed:
        removed_chars += t->lines[li].len;
    }
    double removed = t->n ? (double)removed_chars / (double)t->n : 0.0;
    wn_filter_signal(d, t->n_chars, s, "c4.removed_line_char_frac", removed, 0, 1.0001);
    wn_filter_signal(d, t->n_chars, s, "c4.sentences", (double)sentences, 0, 200);
    if (reason) {
        d->drop_reason = reason;
        return;
    }
    if ((double)sentences < c->min_sentences) {
        d->drop_reason = "c4.too_few_sentences";
        return;
    }
    if (c->rewrite && (kept.len != d->text.len || memcmp(kept.data, d->text.ptr, kept.len))) {
        wn_stats_add(s, "c4.chars_removed", (double)(d->text.len - kept.len));
        wn_filter_set_text(d, kept.data, kept.len);
        if (whole_lines) /* the later filters' analysis, without analysing again */
            wn_text_keep_lines(d, t, spans, kept_lines);
    }
}

wn_stage *wn_filter_c4_new(wn_fparams *p)
{
    c4 *c = wn_xcalloc(1, sizeof *c);
    c->terminal_punct = wn_fp_bool(p, "filter_no_terminal_punct", true);
    c->min_words_per_line = wn_fp_num(p, "min_words_per_line", 3);
    c->max_word_length = wn_fp_num(p, "max_word_length", 1000);
    c->min_sentences = wn_fp_num(p, "min_num_sentences", 5);
    c->lorem = wn_fp_bool(p, "filter_lorem_ipsum", true);
    c->javascript = wn_fp_bool(p, "filter_javascript", true);
    c->curly = wn_fp_bool(p, "filter_curly_bracket", true);
    c->policy = wn_fp_bool(p, "filter_policy", true);
    c->citations = wn_fp_bool(p, "remove_citations", true);
    c->rewrite = !p->annotate_only;
#ifdef C4_AVX2
    pthread_once(&phrase_nibbles_once, phrase_nibbles_init);
    c->avx2 = wn_filter_use_avx2 && __builtin_cpu_supports("avx2") &&
              __builtin_cpu_supports("popcnt") && __builtin_cpu_supports("bmi") &&
              __builtin_cpu_supports("bmi2");
#endif
    return wn_filter_stage_new("c4", c, c4_doc, NULL);
}
