/* gopher_quality.c: the Gopher quality rules (Rae et al. 2021, appendix A.1.1), with the
 * defaults and order of datatrove's GopherQualityFilter as FineWeb ran it:
 *   50 <= words <= 100,000         (words = tokens that are not punctuation only)
 *   3 <= mean word length <= 10    (code points)
 *   '#' per word <= 0.1, and ("..." or "…") per word <= 0.1   -> gopher.symbol_ratio
 *   lines starting with a bullet ('•' or '-') <= 90%
 *   lines ending with an ellipsis <= 30%
 *   words with an alphabetic character >= 80%
 *   >= 2 of the stop words (the, be, to, of, and, that, have, with), case-sensitive as
 *   datatrove compares them.
 */
#include "core/doc.h"
#include "filter/filter.h"
#include "core/buf.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#if defined(__SSE2__)
#include <emmintrin.h>
#endif
#if defined(__x86_64__) && defined(__GNUC__)
#include <immintrin.h>
#define GQ_AVX2 1 /* compiled for any x86-64, run only where the CPU has AVX2 */
#endif

typedef struct gq {
    double min_words, max_words, min_mean, max_mean, max_symbol, max_bullet, max_ellipsis,
        min_alpha, min_stop;
    bool avx2; /* the symbol scan 32 bytes a step */
} gq;

/* Code points of the word s[0 .. n) (bytes that are not UTF-8 continuation bytes), where
 * `avail` >= n bytes are readable at s: eight bytes per step, without a branch per byte. */
static inline size_t code_points(const char *s, size_t n, size_t avail)
{
    size_t c = n, i = 0;
    uint64_t x;
    for (; i + 8 <= n; i += 8) {
        memcpy(&x, s + i, 8);
        c -= wn_text_continuations8(x);
    }
    if (i == n)
        return c;
    x = 0;
    if (avail - i >= 8) { /* one load, the bytes past the word masked off */
        memcpy(&x, s + i, 8);
        x &= __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__ ? (1ull << (8 * (n - i))) - 1
                                                        : ~0ull << (8 * (8 - (n - i)));
    } else {
        memcpy(&x, s + i, n - i);
    }
    return c - wn_text_continuations8(x);
}

/* Does the line end (spaces, tabs, '\r' aside) with "..." or "\u2026"? */
static bool ellipsis_end(const char *s, size_t n)
{
    n = wn_text_trim_end(s, n);
    return n >= 3 && (!memcmp(s + n - 3, "...", 3) || !memcmp(s + n - 3, "\xE2\x80\xA6", 3));
}

/* The stop words (the, be, to, of, and, that, have, with), each as the integer its bytes
 * make when loaded in memory order into a zeroed 32-bit word, in a perfect hash table:
 * stop_slots[(key * stop_mul) >> 29] holds the key that hashes there (0 elsewhere), so a
 * word needs one compare. stop_mul is the first multiplier found that separates the eight
 * keys (on this machine's byte order). */
static uint32_t stop_slots[8], stop_mul;

static uint32_t stop_key(const char *w)
{
    uint32_t k = 0;
    memcpy(&k, w, strlen(w));
    return k;
}

static inline unsigned stop_slot(uint32_t k, uint32_t mul)
{
    return (k * mul) >> 29;
}

static void stop_keys_init(void)
{
    static const char *const words[8] = {"the", "be", "to", "of", "and", "that", "have", "with"};
    for (uint32_t mul = 0x9E3779B1u;; mul += 2) {
        memset(stop_slots, 0, sizeof stop_slots);
        int placed = 0;
        while (placed < 8 && !stop_slots[stop_slot(stop_key(words[placed]), mul)]) {
            stop_slots[stop_slot(stop_key(words[placed]), mul)] = stop_key(words[placed]);
            placed++;
        }
        if (placed == 8) {
            stop_mul = mul;
            return;
        }
    }
}

/* Is the word w[0 .. n) a stop word, where 4 bytes are readable at w (little-endian)? Its
 * first 4 bytes with the bytes past n cleared (all of them for a word of 1 or more than 4
 * bytes): no word holds a NUL byte (a space to the analysis), so equal keys are equal
 * words. A key of 0 needs no test of its own: the eight keys fill the eight slots, so its
 * slot holds a stop word's key, which is not 0. Without a branch on the word: the old
 * length switch and memcmp mispredicted. */
static inline bool is_stop_word4(const char *w, size_t n)
{
    /* keep[min(n, 5)]: a select GCC makes a cmov; `n <= 4 ? n : 0` and `k && ...` it made
     * two branches, which mispredicted on the words' lengths */
    static const uint32_t keep[6] = {0, 0, 0xFFFF, 0xFFFFFF, 0xFFFFFFFF, 0};
    uint32_t k;
    memcpy(&k, w, 4);
    k &= keep[n < 5 ? n : 5];
    return stop_slots[stop_slot(k, stop_mul)] == k;
}

/* The same for any word, `avail` >= n bytes readable at w. */
static inline bool is_stop_word(const char *w, size_t n, size_t avail)
{
    if (avail >= 4 && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__)
        return is_stop_word4(w, n);
    uint32_t k = 0;
    if (n >= 2 && n <= 4)
        memcpy(&k, w, n);
    return stop_slots[stop_slot(k, stop_mul)] == k;
}

/* How many of t's first tokens have 4 bytes readable from their start (is_stop_word4): all
 * but the last few, found from the end, so that the word loops test no bound per word
 * (0 on a big-endian machine). */
static size_t words_readable4(const wn_text *t)
{
    size_t i = t->n_words;
    if (__BYTE_ORDER__ != __ORDER_LITTLE_ENDIAN__)
        return 0;
    while (i > 0 && t->n - t->words[i - 1].off < 4)
        i--;
    return i;
}

/* Symbols for gopher.symbol_ratio over the whole text: '#' bytes, "..." as str.count finds
 * it (a run of k dots holds k / 3) and, outside ASCII, U+2026. */
typedef struct symbols {
    size_t hashes, ellipses;
    size_t dots; /* dots of the run being read */
} symbols;

/* One byte of the scan: p[0] with `left` bytes from p to the end. */
static inline void symbols_byte(symbols *y, const char *p, size_t left)
{
    y->hashes += *p == '#';
    if (*p == '.') {
        y->dots++;
        return;
    }
    y->ellipses += y->dots / 3;
    y->dots = 0;
    y->ellipses += left >= 3 && !memcmp(p, "\xE2\x80\xA6", 3);
}

/* The dot runs of one block of `width` (16 or 32) bytes, its dots in mask d; a run reaching
 * the block's end goes on into the next. Inlined with a constant width. */
static inline __attribute__((always_inline)) void dot_runs(symbols *y, uint64_t d,
                                                           const unsigned width)
{
    if (y->dots && !(d & 1)) { /* the run of the blocks before ended */
        y->ellipses += y->dots / 3;
        y->dots = 0;
    }
    while (d) {
        unsigned a = (unsigned)__builtin_ctzll(d);
        /* <= width - a: ~ sets the bits from `width` up */
        unsigned len = (unsigned)__builtin_ctzll(~(d >> a));
        if (a + len == width) {
            y->dots += len;
            return;
        }
        y->ellipses += (y->dots + len) / 3;
        y->dots = 0;
        d &= ~(((1ull << len) - 1) << a);
    }
}

/* Whether a block's dots (mask d, of `width` bits) need their runs read: lone dots
 * (sentence ends, most of them) hold no "...": only a pair of dots, a dot in the last lane
 * (its run may go on) or a run carried in does. */
static inline bool dots_to_read(const symbols *y, uint64_t d, const unsigned width)
{
    return ((d & (d >> 1 | 1ull << (width - 1))) | y->dots) != 0;
}

#ifdef GQ_AVX2
/* count_symbols' blocks 32 bytes a step, while 34 bytes are left (U+2026 may start in a
 * block's last two bytes); returns where the 16-byte blocks take over. */
__attribute__((target("avx2,popcnt,bmi,bmi2"))) static size_t
symbols_avx2(symbols *y, const char *s, size_t n, bool ascii)
{
    size_t i = 0;
    for (; i + 34 <= n; i += 32) {
        __m256i v = _mm256_loadu_si256((const __m256i *)(const void *)(s + i));
        uint32_t d = (uint32_t)_mm256_movemask_epi8(_mm256_cmpeq_epi8(v, _mm256_set1_epi8('.')));
        uint32_t h = (uint32_t)_mm256_movemask_epi8(_mm256_cmpeq_epi8(v, _mm256_set1_epi8('#')));
        y->hashes += (size_t)__builtin_popcount(h);
        if (dots_to_read(y, d, 32))
            dot_runs(y, d, 32);
        if (!ascii) {
            uint32_t e = (uint32_t)_mm256_movemask_epi8(_mm256_cmpeq_epi8(v, _mm256_set1_epi8('\xE2')));
            if (e) {
                __m256i v1 = _mm256_loadu_si256((const __m256i *)(const void *)(s + i + 1));
                __m256i v2 = _mm256_loadu_si256((const __m256i *)(const void *)(s + i + 2));
                e &= (uint32_t)_mm256_movemask_epi8(_mm256_cmpeq_epi8(v1, _mm256_set1_epi8('\x80')));
                e &= (uint32_t)_mm256_movemask_epi8(_mm256_cmpeq_epi8(v2, _mm256_set1_epi8('\xA6')));
                y->ellipses += (size_t)__builtin_popcount(e);
            }
        }
    }
    return i;
}
#endif

/* The symbols of s[0 .. n): 16 bytes per step with SSE2 (32 with AVX2 where `avx2`), where
 * the old memchr loops paid a call per '.' and glibc's memmem was slow on the three-byte
 * U+2026. */
static symbols count_symbols(const char *s, size_t n, bool ascii, bool avx2)
{
    symbols y = {0, 0, 0};
    size_t i = 0;
#ifdef GQ_AVX2
    if (avx2)
        i = symbols_avx2(&y, s, n, ascii);
#else
    (void)avx2;
#endif
#if defined(__SSE2__)
    for (; i + 18 <= n; i += 16) { /* U+2026 may start in the last two bytes of a block */
        __m128i v = _mm_loadu_si128((const __m128i *)(const void *)(s + i));
        unsigned d = wn_bytes_eq16(v, '.'), h = wn_bytes_eq16(v, '#');
        if (h)
            y.hashes += wn_bits16(h);
        if (dots_to_read(&y, d, 16))
            dot_runs(&y, d, 16);
        if (!ascii) {
            unsigned e = wn_bytes_eq16(v, '\xE2');
            if (e) {
                const __m128i *at1 = (const __m128i *)(const void *)(s + i + 1);
                const __m128i *at2 = (const __m128i *)(const void *)(s + i + 2);
                e &= wn_bytes_eq16(_mm_loadu_si128(at1), '\x80');
                e &= wn_bytes_eq16(_mm_loadu_si128(at2), '\xA6');
                y.ellipses += wn_bits16(e);
            }
        }
    }
#endif
    for (; i < n; i++)
        symbols_byte(&y, s + i, n - i);
    y.ellipses += y.dots / 3;
    return y;
}

/* The alphabetic words, the code points of the words and the stop words among the tokens
 * [a, b) of t, added to *alpha, *chars, *stop; inlined with constant `ascii` (t is all
 * ASCII: a byte a character) and `four` (4 bytes readable at each token: is_stop_word4).
 * No branch on the token's kind: every fifth or so token of prose is punctuation, and the
 * branch mispredicted on them (a punctuation token's code points are counted and dropped,
 * and it is never a stop word). Outside ASCII (web pages are rarely all ASCII: one curly
 * quote is enough) only a word the analysis did not read as plain ASCII needs its code
 * points counted (a few in English): one branch, predicted, where code_points' loop and
 * tail mispredicted on the lengths of every token. */
static inline __attribute__((always_inline)) void
word_counts(const wn_text *t, size_t a, size_t b, const bool ascii, const bool four,
            size_t *alpha_out, size_t *chars_out, size_t *stop_out)
{
    size_t alpha = 0, chars = 0, stop = 0; /* in registers, not through the pointers */
    const char *s = t->s;
    for (const wn_word *w = t->words + a, *end = t->words + b; w < end; w++) {
        size_t cps = ascii || w->flags & (WN_WORD_ASCII | WN_WORD_SYMBOL)
                         ? w->len
                         : code_points(s + w->off, w->len, t->n - w->off);
        alpha += w->flags & WN_WORD_ALPHA;
        chars += w->flags & WN_WORD_SYMBOL ? 0 : cps;
        stop += four ? is_stop_word4(s + w->off, w->len)
                     : is_stop_word(s + w->off, w->len, t->n - w->off);
    }
    *alpha_out += alpha;
    *chars_out += chars;
    *stop_out += stop;
}

static void gq_doc(void *state, wn_doc *d, wn_stats *s)
{
    const gq *g = state;
    const wn_text *t = wn_text_analyze(d);
    size_t words = t->n_nonsym, alpha = 0, stop = 0, chars = 0;
    size_t n_words = t->n_words, four = words_readable4(t);
    if (t->ascii) {
        word_counts(t, 0, four, true, true, &alpha, &chars, &stop);
        word_counts(t, four, n_words, true, false, &alpha, &chars, &stop);
    } else {
        word_counts(t, 0, four, false, true, &alpha, &chars, &stop);
        word_counts(t, four, n_words, false, false, &alpha, &chars, &stop);
    }
    size_t bullets = 0, ellipsis_lines = 0, lines = 0;
    for (size_t i = 0; i < t->n_lines; i++) {
        const wn_line *l = &t->lines[i];
        const char *p = t->s + l->off;
        size_t n = l->len;
        if (i + 1 == t->n_lines && n == 0 && i > 0)
            break; /* text ending in '\n': splitlines() has no empty last line */
        lines++;
        size_t k = 0;
        while (k < n && (p[k] == ' ' || p[k] == '\t'))
            k++;
        if (k < n && (p[k] == '-' || (n - k >= 3 && !memcmp(p + k, "\xE2\x80\xA2", 3))))
            bullets++;
        if (ellipsis_end(p, n))
            ellipsis_lines++;
    }
    if (t->n == 0)
        lines = 0;
    double nw = words ? (double)words : 1.0, nl = lines ? (double)lines : 1.0;
    double mean = words ? (double)chars / nw : 0.0;
    symbols y = count_symbols(t->s, t->n, t->ascii, g->avx2);
    double hash_ratio = (double)y.hashes / nw;
    double ell_ratio = (double)y.ellipses / nw;
    double symbol = hash_ratio > ell_ratio ? hash_ratio : ell_ratio;
    double bullet_frac = (double)bullets / nl, ell_frac = (double)ellipsis_lines / nl;
    double alpha_frac = words ? (double)alpha / nw : 0.0;

    wn_filter_signal(d, t->n_chars, s, "gopher.word_count", (double)words, 0, 2000);
    wn_filter_signal(d, t->n_chars, s, "gopher.mean_word_length", mean, 0, 20);
    wn_filter_signal(d, t->n_chars, s, "gopher.symbol_ratio", symbol, 0, 0.5);
    wn_filter_signal(d, t->n_chars, s, "gopher.bullet_lines_ratio", bullet_frac, 0, 1.0001);
    wn_filter_signal(d, t->n_chars, s, "gopher.ellipsis_lines_ratio", ell_frac, 0, 1.0001);
    wn_filter_signal(d, t->n_chars, s, "gopher.alpha_words_ratio", alpha_frac, 0, 1.0001);
    wn_filter_signal(d, t->n_chars, s, "gopher.stop_words", (double)stop, 0, 50);

    if ((double)words < g->min_words)
        d->drop_reason = "gopher.too_few_words";
    else if ((double)words > g->max_words)
        d->drop_reason = "gopher.too_many_words";
    else if (mean < g->min_mean || mean > g->max_mean)
        d->drop_reason = "gopher.mean_word_length";
    else if (symbol > g->max_symbol)
        d->drop_reason = "gopher.symbol_ratio";
    else if (bullet_frac > g->max_bullet)
        d->drop_reason = "gopher.bullet_lines_ratio";
    else if (ell_frac > g->max_ellipsis)
        d->drop_reason = "gopher.ellipsis_lines_ratio";
    else if (alpha_frac < g->min_alpha)
        d->drop_reason = "gopher.alpha_words_ratio";
    else if ((double)stop < g->min_stop)
        d->drop_reason = "gopher.stop_words";
}

wn_stage *wn_filter_gopher_quality_new(wn_fparams *p)
{
    static pthread_once_t once = PTHREAD_ONCE_INIT;
    pthread_once(&once, stop_keys_init);
    gq *g = wn_xcalloc(1, sizeof *g);
    g->min_words = wn_fp_num(p, "min_doc_words", 50);
    g->max_words = wn_fp_num(p, "max_doc_words", 100000);
    g->min_mean = wn_fp_num(p, "min_avg_word_length", 3);
    g->max_mean = wn_fp_num(p, "max_avg_word_length", 10);
    g->max_symbol = wn_fp_num(p, "max_symbol_word_ratio", 0.1);
    g->max_bullet = wn_fp_fraction(p, "max_bullet_lines_ratio", 0.9);
    g->max_ellipsis = wn_fp_fraction(p, "max_ellipsis_lines_ratio", 0.3);
    g->min_alpha = wn_fp_fraction(p, "min_alpha_words_ratio", 0.8);
    g->min_stop = wn_fp_num(p, "min_stop_words", 2);
#ifdef GQ_AVX2
    g->avx2 = wn_filter_use_avx2 && __builtin_cpu_supports("avx2") &&
              __builtin_cpu_supports("popcnt") && __builtin_cpu_supports("bmi") &&
              __builtin_cpu_supports("bmi2");
#endif
    return wn_filter_stage_new("gopher_quality", g, gq_doc, NULL);
}
