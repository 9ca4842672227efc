/* unicode.c: the text repairs every later filter relies on, with defined decisions for bad
 * input:
 *   empty text (or only whitespace)       -> dropped, "unicode.empty"
 *   invalid UTF-8                         -> each bad sequence becomes U+FFFD, counted
 *                                            (documents: sum "unicode.invalid_utf8_docs")
 *   control characters (C0 except TAB LF CR, DEL, C1)  -> removed, counted
 *   not in NFC                            -> normalised with ICU (unorm2 NFC), counted
 * ASCII text without controls is checked in one byte loop and left alone (the fast path).
 * With --annotate-only the text is not changed; the counts are still recorded.
 */
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
#define UNI_AVX2 1 /* compiled for any x86-64, run only where the CPU has AVX2 */
#endif
#include <unicode/uchar.h>
#include <unicode/unorm.h>
#include <unicode/unorm2.h>
#include <unicode/ustring.h>
#include <unicode/utf8.h>

typedef struct uni {
    bool nfc, strip_controls, rewrite;
    bool avx2; /* the whole-text ASCII check 32 bytes a load */
    const UNormalizer2 *norm;
} uni;

static _Thread_local UChar *u16, *u16n;
static _Thread_local size_t u16_cap, u16n_cap;
static _Thread_local wn_buf clean;

/* Is byte c outside plain ASCII (>= 0x7F, or a control but TAB, LF, CR)? */
static inline bool not_plain(unsigned char c)
{
    return c >= 0x7F || (c < 0x20 && c != '\t' && c != '\n' && c != '\r');
}

#if defined(__SSE2__)
/* Bytes of v that are not plain (see not_plain), as 0xFF lanes. */
static inline __m128i not_plain16(__m128i v)
{
    __m128i high = _mm_cmpeq_epi8(_mm_max_epu8(v, _mm_set1_epi8(0x7F)), v); /* >= 0x7F */
    __m128i ctl = _mm_cmpeq_epi8(_mm_min_epu8(v, _mm_set1_epi8(0x1F)), v);  /* < 0x20 */
    __m128i ok = _mm_or_si128(_mm_cmpeq_epi8(v, _mm_set1_epi8('\t')),
                              _mm_or_si128(_mm_cmpeq_epi8(v, _mm_set1_epi8('\n')),
                                           _mm_cmpeq_epi8(v, _mm_set1_epi8('\r'))));
    return _mm_or_si128(high, _mm_andnot_si128(ok, ctl));
}

static inline unsigned not_plain_mask(const unsigned char *t)
{
    return (unsigned)_mm_movemask_epi8(
        not_plain16(_mm_loadu_si128((const __m128i *)(const void *)t)));
}
#endif

/* Length of the longest prefix of t holding no byte >= 0x7F and no control but TAB, LF,
 * CR. SSE2 tests 64 bytes per step with one branch: nearly every document is plain ASCII
 * all along, and a 16-byte loop ran at ~3.5 GB/s, 3% of the chain's time. */
static size_t plain_ascii_prefix(const unsigned char *t, size_t n)
{
    size_t i = 0;
#if defined(__SSE2__)
    for (; i + 64 <= n; i += 64) {
        __m128i bad = _mm_setzero_si128();
        for (int k = 0; k < 4; k++)
            bad = _mm_or_si128(bad, not_plain16(_mm_loadu_si128(
                                        (const __m128i *)(const void *)(t + i + 16 * k))));
        if (_mm_movemask_epi8(bad))
            break; /* the 16-byte loop finds where */
    }
    for (; i + 16 <= n; i += 16) {
        unsigned m = not_plain_mask(t + i);
        if (m)
            return i + (unsigned)__builtin_ctz(m);
    }
#endif
    for (; i < n; i++)
        if (not_plain(t[i]))
            return i;
    return n;
}

#ifdef UNI_AVX2
/* Bytes of v that are not plain (see not_plain), as nonzero lanes: two table lookups by the
 * byte's high and low half, whose flags meet only for such a byte (6 operations where
 * not_plain16's compares take 11 on 32 bytes). Flags: 1 a control 0x00-0x0F but TAB, LF,
 * CR; 2 a control 0x10-0x1F; 4 DEL; 8 a byte >= 0x80. */
__attribute__((target("avx2"))) static inline __m256i not_plain32(__m256i v)
{
    const __m256i by_low = _mm256_setr_epi8(
        11, 11, 11, 11, 11, 11, 11, 11, 11, 10, 10, 11, 11, 10, 11, 15,
        11, 11, 11, 11, 11, 11, 11, 11, 11, 10, 10, 11, 11, 10, 11, 15);
    const __m256i by_high = _mm256_setr_epi8(1, 2, 0, 0, 0, 0, 0, 4, 8, 8, 8, 8, 8, 8, 8, 8,
                                             1, 2, 0, 0, 0, 0, 0, 4, 8, 8, 8, 8, 8, 8, 8, 8);
    const __m256i nibble = _mm256_set1_epi8(0x0F);
    __m256i lo = _mm256_shuffle_epi8(by_low, _mm256_and_si256(v, nibble));
    __m256i hi = _mm256_shuffle_epi8(by_high, _mm256_and_si256(_mm256_srli_epi16(v, 4), nibble));
    return _mm256_and_si256(lo, hi);
}

/* Bit j set when byte j of t[0 .. 32) is not plain. */
__attribute__((target("avx2"))) static inline unsigned not_plain32_mask(const unsigned char *t)
{
    __m256i bad = not_plain32(_mm256_loadu_si256((const __m256i *)(const void *)t));
    return ~(unsigned)_mm256_movemask_epi8(_mm256_cmpeq_epi8(bad, _mm256_setzero_si256()));
}

/* plain_ascii_prefix with AVX2: the 64-byte steps in two loads, the block holding the first
 * byte that is not plain left to the SSE2 loops. For the first look at each text, which on
 * prose (plain ASCII) reads all of it. */
__attribute__((target("avx2"))) static size_t plain_ascii_prefix_avx2(const unsigned char *t,
                                                                     size_t n)
{
    size_t i = 0;
    for (; i + 64 <= n; i += 64) {
        __m256i bad = _mm256_or_si256(
            not_plain32(_mm256_loadu_si256((const __m256i *)(const void *)(t + i))),
            not_plain32(_mm256_loadu_si256((const __m256i *)(const void *)(t + i + 32))));
        if (!_mm256_testz_si256(bad, bad))
            break;
    }
    /* clean upper halves before SSE code (GCC 12 put no vzeroupper before this call, and
     * SSE instructions after 256-bit ones then paid for the dirty state: -25% here) */
    _mm256_zeroupper();
    return i + plain_ascii_prefix(t + i, n - i);
}

/* plain_ascii_prefix with AVX2 for a run that likely ends soon (the ASCII after a non-ASCII
 * character): 32 bytes a step, the first byte that is not plain found in the step's own
 * mask, where plain_ascii_prefix_avx2 would test its 64-byte block again in SSE2. */
__attribute__((target("avx2"))) static size_t plain_ascii_near_avx2(const unsigned char *t,
                                                                   size_t n)
{
    size_t i = 0;
    for (; i + 32 <= n; i += 32) {
        unsigned m = not_plain32_mask(t + i);
        if (m) {
            _mm256_zeroupper(); /* the caller goes on in SSE2 (see above) */
            return i + (unsigned)__builtin_ctz(m);
        }
    }
    _mm256_zeroupper();
    return i + plain_ascii_prefix(t + i, n - i);
}
#endif

/* plain_ascii_prefix for the ASCII after a non-ASCII character: on web pages the next one
 * comes ~90 bytes on, on average (a closing quote, an apostrophe), in other scripts a byte or
 * two on (a space), so the first 16 bytes are tested inline. With AVX2 (avx2 set) the rest
 * 32 bytes a step (unicode alone on web pages +10%, where this SSE2 code kept
 * plain_ascii_prefix at 1.5% of the chain's samples; 43 languages unchanged, and -1.7% when
 * AVX2 took the first 16 bytes too). Without, the first 64 bytes 16 at a time inline, where
 * the call's 64-byte step mispredicted its exit, then its 16-byte loop once more (+13%). */
static inline size_t plain_ascii_gap(const unsigned char *t, size_t n, bool avx2)
{
#if defined(__SSE2__)
    size_t i = 0;
    for (; i < 64 && i + 16 <= n; i += 16) {
        unsigned m = not_plain_mask(t + i);
        if (m)
            return i + (unsigned)__builtin_ctz(m);
#ifdef UNI_AVX2
        if (avx2)
            return 16 + plain_ascii_near_avx2(t + 16, n - 16);
#endif
    }
    if (i)
        return i + plain_ascii_prefix(t + i, n - i);
#endif
    (void)avx2;
    return plain_ascii_prefix(t, n);
}

static bool is_control(int32_t cp)
{
    return (cp < 0x20 && cp != '\t' && cp != '\n' && cp != '\r') || (cp >= 0x7F && cp < 0xA0);
}

/* Bit c set when BMP code point c could change under NFC (quick check not "yes", or a
 * combining mark): ICU's answers, looked up once so the scan reads a bit per character. */
static uint64_t bmp_unstable[0x10000 / 64];

static bool nfc_unstable_icu(int32_t c)
{
    return u_getIntPropertyValue(c, UCHAR_NFC_QUICK_CHECK) != UNORM_YES ||
           u_getCombiningClass(c) != 0;
}

/* Bit c set when scan must look closer at BMP code point c: NFC may change it, or it is a
 * C1 control (is_control). Every other character of 2 or 3 bytes is passed at one test. */
static uint64_t bmp_look[0x10000 / 64];

static void bmp_unstable_init(void)
{
    for (int32_t c = 0; c < 0x10000; c++)
        if (nfc_unstable_icu(c))
            bmp_unstable[c >> 6] |= 1ull << (c & 63);
    memcpy(bmp_look, bmp_unstable, sizeof bmp_look);
    for (int32_t c = 0x80; c < 0xA0; c++)
        bmp_look[c >> 6] |= 1ull << (c & 63);
}

static inline bool bmp_bit(const uint64_t *set, int32_t c)
{
    return set[c >> 6] >> (c & 63) & 1;
}

static bool nfc_unstable(int32_t c)
{
    if (c < 0x10000)
        return bmp_bit(bmp_unstable, c);
    return nfc_unstable_icu(c);
}

/* The code point of the valid 2- or 3-byte UTF-8 character at t[0 .. n) (its length in
 * *len), or -1 for anything else (4 bytes, invalid or cut off: U8_NEXT decides those).
 * A valid sequence decodes as U8_NEXT decodes it; this one only skips its generality (the
 * per-character decode was ~40% of the stage on web pages). */
static inline int32_t bmp_char(const unsigned char *t, size_t n, int32_t *len)
{
    unsigned char b0 = t[0];
    if (b0 >= 0xC2 && b0 < 0xE0) {
        if (n >= 2 && (unsigned char)(t[1] ^ 0x80) < 0x40) {
            *len = 2;
            return (int32_t)(b0 & 0x1F) << 6 | (t[1] & 0x3F);
        }
    } else if (b0 >= 0xE0 && b0 < 0xF0 && n >= 3) {
        unsigned t1 = t[1] ^ 0x80u, t2 = t[2] ^ 0x80u;
        int32_t c = (int32_t)((b0 & 0x0Fu) << 12 | t1 << 6 | t2);
        /* not overlong (E0 80..9F), not a surrogate (ED A0..BF) */
        if (t1 < 0x40 && t2 < 0x40 && c >= 0x800 && (c < 0xD800 || c > 0xDFFF)) {
            *len = 3;
            return c;
        }
    }
    return -1;
}

/* Count invalid sequences and controls, and see whether any character could change under
 * NFC (quick check not "yes", or a combining mark): a bit per BMP character (bmp_look) says
 * which need a closer look, with no copy, so clean non-ASCII text costs one pass. */
static void scan(const char *s, size_t n, bool strip, bool avx2, size_t *bad, size_t *ctrl,
                 bool *maybe)
{
    for (size_t i = 0; i < n;) {
        if ((unsigned char)s[i] < 0x80) {
            size_t plain = plain_ascii_gap((const unsigned char *)s + i, n - i, avx2);
            if (plain) { /* clean ASCII: nothing to count */
                i += plain;
                continue;
            }
            *ctrl += strip && is_control((unsigned char)s[i]);
            i++;
            continue;
        }
        int32_t k = 0, c = bmp_char((const unsigned char *)s + i, n - i, &k);
        if (c >= 0 && !bmp_bit(bmp_look, c)) {
            i += (size_t)k; /* valid, no control, NFC-stable */
            continue;
        }
        if (c < 0) {
            k = 0;
            int32_t len = (int32_t)(n - i > 8 ? 8 : n - i);
            U8_NEXT((const uint8_t *)s + i, k, len, c);
        }
        i += (size_t)k;
        if (c < 0)
            (*bad)++;
        else if (strip && is_control(c))
            (*ctrl)++;
        else if (!*maybe && nfc_unstable(c))
            *maybe = true;
    }
}

/* Copy to `clean` with invalid sequences as U+FFFD and controls removed: the text between
 * two such places is appended in one piece (a call per character was most of this stage's
 * time on documents holding a form feed). */
static void repair(const char *s, size_t n, bool strip)
{
    wn_buf_reset(&clean);
    wn_buf_grow(&clean, n + 16);
    size_t from = 0; /* s[from .. i) is kept, not yet appended */
    for (size_t i = 0; i < n;) {
        if ((unsigned char)s[i] < 0x80) {
            size_t plain = plain_ascii_prefix((const unsigned char *)s + i, n - i);
            if (plain) {
                i += plain;
                continue;
            }
        }
        int32_t c;
        size_t start = i;
        int32_t k = 0, len = (int32_t)(n - i > 8 ? 8 : n - i);
        U8_NEXT((const uint8_t *)s + i, k, len, c);
        i += (size_t)k;
        if (c >= 0 && !(strip && is_control(c)))
            continue;
        wn_buf_append(&clean, s + from, start - from);
        if (c < 0)
            wn_buf_append(&clean, "\xEF\xBF\xBD", 3);
        from = i;
    }
    wn_buf_append(&clean, s + from, n - from);
}

static bool to_u16(const char *s, size_t n, int32_t *out_len)
{
    if (n > INT32_MAX / 2)
        return false;
    if (u16_cap < n + 1) {
        u16_cap = n + 1;
        free(u16);
        u16 = wn_xmalloc(u16_cap * sizeof *u16);
    }
    UErrorCode st = U_ZERO_ERROR;
    u_strFromUTF8WithSub(u16, (int32_t)u16_cap, out_len, s, (int32_t)n, 0xFFFD, NULL, &st);
    return U_SUCCESS(st);
}

static void uni_doc(void *state, wn_doc *d, wn_stats *s)
{
    const uni *u = state;
    const unsigned char *t = (const unsigned char *)d->text.ptr;
    size_t n = d->text.len, i = 0;
    while (i < n && (t[i] == ' ' || t[i] == '\t' || t[i] == '\n' || t[i] == '\r'))
        i++;
    if (i == n) {
        d->drop_reason = "unicode.empty";
        return;
    }
#ifdef UNI_AVX2
    size_t plain = u->avx2 ? plain_ascii_prefix_avx2(t, n) : plain_ascii_prefix(t, n);
#else
    size_t plain = plain_ascii_prefix(t, n);
#endif
    if (plain == n)
        return; /* ASCII without controls is valid, clean NFC */

    size_t bad = 0, ctrl = 0;
    bool maybe_not_nfc = false; /* the clean prefix adds nothing: scan after it */
    scan(d->text.ptr + plain, n - plain, u->strip_controls, u->avx2, &bad, &ctrl,
         &maybe_not_nfc);
    if (!bad && !ctrl && (!maybe_not_nfc || !u->nfc))
        return; /* valid, clean, and every character is NFC-stable: nothing to change */
    repair(d->text.ptr, n, u->strip_controls);
    if (bad) {
        wn_stats_add(s, "unicode.invalid_utf8_docs", 1);
        wn_stats_add(s, "unicode.invalid_utf8_sequences", (double)bad);
    }
    if (ctrl) {
        wn_stats_add(s, "unicode.control_docs", 1);
        wn_stats_add(s, "unicode.control_chars", (double)ctrl);
    }
    const char *src = clean.data;
    size_t src_len = clean.len;
    bool changed = bad || ctrl;
    int32_t len16;
    /* Without a character that could change (scan saw none), the repaired text is NFC
     * already: U+FFFD and every character kept are NFC quick check "yes" with combining
     * class 0, and removing a control puts no two of them in a new order or composition.
     * ICU's pass (a UTF-16 copy and a quick check of it) would change nothing. */
    if (u->nfc && maybe_not_nfc && to_u16(src, src_len, &len16)) {
        UErrorCode st = U_ZERO_ERROR;
        int32_t ok = unorm2_spanQuickCheckYes(u->norm, u16, len16, &st);
        if (U_SUCCESS(st) && ok < len16) {
            size_t cap = (size_t)len16 * 3 + 16;
            if (u16n_cap < cap) {
                u16n_cap = cap;
                free(u16n);
                u16n = wn_xmalloc(u16n_cap * sizeof *u16n);
            }
            int32_t nlen = unorm2_normalize(u->norm, u16, len16, u16n, (int32_t)u16n_cap, &st);
            if (U_SUCCESS(st)) {
                /* a UTF-16 unit is at most 3 bytes of UTF-8: one conversion into a buffer
                 * that big, where a first call measuring it cost as much as the conversion
                 * (a preflight only past ~700 M units, where 3 * nlen overflows) */
                int32_t need = 0, out_cap = nlen <= (INT32_MAX - 1) / 3 ? 3 * nlen + 1 : 0;
                UErrorCode st2 = U_ZERO_ERROR;
                if (!out_cap) {
                    u_strToUTF8(NULL, 0, &need, u16n, nlen, &st2);
                    st2 = U_ZERO_ERROR;
                    out_cap = need + 1;
                }
                char *o = wn_xmalloc((size_t)out_cap);
                u_strToUTF8(o, out_cap, &need, u16n, nlen, &st2);
                if (U_SUCCESS(st2) && ((size_t)need != src_len || memcmp(o, src, src_len))) {
                    wn_stats_add(s, "unicode.nfc_changed_docs", 1);
                    wn_buf_reset(&clean);
                    wn_buf_append(&clean, o, (size_t)need);
                    changed = true;
                }
                free(o);
            }
        }
    }
    if (changed && u->rewrite)
        wn_filter_set_text(d, clean.data, clean.len);
}

wn_stage *wn_filter_unicode_new(wn_fparams *p)
{
    uni *u = wn_xcalloc(1, sizeof *u);
    u->nfc = wn_fp_bool(p, "nfc", true);
    u->strip_controls = wn_fp_bool(p, "strip_controls", true);
    u->rewrite = !p->annotate_only;
#ifdef UNI_AVX2
    u->avx2 = wn_filter_use_avx2 && __builtin_cpu_supports("avx2");
#endif
    UErrorCode st = U_ZERO_ERROR;
    static pthread_once_t once = PTHREAD_ONCE_INIT;
    pthread_once(&once, bmp_unstable_init);
    u->norm = unorm2_getNFCInstance(&st);
    if (U_FAILURE(st)) {
        wn_fp_fail(p, "cannot load ICU's NFC data: %s", u_errorName(st));
        free(u);
        return NULL;
    }
    return wn_filter_stage_new("unicode", u, uni_doc, NULL);
}
