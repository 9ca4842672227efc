/* pretok.h: the Llama 3 pre-tokenizer, the regex
 *
 *   (?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}
 *   | ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+
 *
 * written out as the leftmost-first matcher it is, so that each piece costs one pass over
 * its characters (a regex engine backtracks over whitespace runs; this never rescans more
 * than one run twice). Each alternative below carries the branch it implements.
 *
 * In a header, inline: it runs once per piece (every few bytes), and a call per piece costs
 * more than the matching itself does for most words.
 */
#ifndef WN_TOK_PRETOK_H
#define WN_TOK_PRETOK_H

#include "tokenize/tok_internal.h"

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

/* Length of the well-formed UTF-8 sequence at s (Unicode Table 3-7), 0 if ill-formed. */
static inline size_t utf8_decode(const uint8_t *s, size_t avail, uint32_t *cp)
{
    uint8_t b = s[0];
    if (b >= 0xC2 && b <= 0xDF) {
        if (avail < 2 || (s[1] & 0xC0) != 0x80)
            return 0;
        *cp = ((uint32_t)(b & 0x1F) << 6) | (s[1] & 0x3F);
        return 2;
    }
    if (b >= 0xE0 && b <= 0xEF) {
        if (avail < 3 || (s[1] & 0xC0) != 0x80 || (s[2] & 0xC0) != 0x80)
            return 0;
        if ((b == 0xE0 && s[1] < 0xA0) || (b == 0xED && s[1] > 0x9F))
            return 0; /* overlong, surrogate */
        *cp = ((uint32_t)(b & 0x0F) << 12) | ((uint32_t)(s[1] & 0x3F) << 6) | (s[2] & 0x3F);
        return 3;
    }
    if (b >= 0xF0 && b <= 0xF4) {
        if (avail < 4 || (s[1] & 0xC0) != 0x80 || (s[2] & 0xC0) != 0x80 ||
            (s[3] & 0xC0) != 0x80)
            return 0;
        if ((b == 0xF0 && s[1] < 0x90) || (b == 0xF4 && s[1] > 0x8F))
            return 0; /* overlong, above U+10FFFF */
        *cp = ((uint32_t)(b & 0x07) << 18) | ((uint32_t)(s[1] & 0x3F) << 12) |
              ((uint32_t)(s[2] & 0x3F) << 6) | (s[3] & 0x3F);
        return 4;
    }
    return 0;
}

/* The length of the character at s (avail bytes readable) when it is a well-formed two-byte
 * one or a three-byte one with a lead byte E1..EC (no overlong or surrogate form to rule
 * out: Cyrillic, Greek, Arabic, Hebrew, most CJK, kana, Hangul...), its code point in *cp;
 * else 0 (utf8_decode decides). Inline in the loops over a word's characters outside ASCII,
 * where utf8_decode is a call per character: multilingual +2% in letters_end, +2% again in
 * premerging and cutting (sixth session). */
static inline size_t utf8_decode_common(const uint8_t *s, size_t avail, uint32_t *cp)
{
    uint8_t b = s[0];
    if (b >= 0xC2 && b <= 0xDF && avail >= 2 && (s[1] & 0xC0) == 0x80) {
        *cp = ((uint32_t)(b & 0x1F) << 6) | (s[1] & 0x3F);
        return 2;
    }
    if (b >= 0xE1 && b <= 0xEC && avail >= 3 && (s[1] & 0xC0) == 0x80 &&
        (s[2] & 0xC0) == 0x80) {
        *cp = ((uint32_t)(b & 0x0F) << 12) | ((uint32_t)(s[1] & 0x3F) << 6) | (s[2] & 0x3F);
        return 3;
    }
    return 0;
}

/* utf8_decode, with the common characters decoded inline (loops over characters outside
 * ASCII). */
static inline size_t utf8_decode_quick(const uint8_t *s, size_t avail, uint32_t *cp)
{
    size_t l = utf8_decode_common(s, avail, cp);
    return l ? l : utf8_decode(s, avail, cp);
}

/* Class of the character at s[i] and its length in bytes. An ill-formed byte is one
 * character of class OTHER (see tokenizer.h). */
static inline unsigned char_at(const wn_tok_classes *c, const uint8_t *s, size_t n, size_t i,
                               size_t *len)
{
    uint8_t b = s[i];
    if (b < 0x80) {
        *len = 1;
        return c->ascii[b];
    }
    uint32_t cp;
    size_t l = utf8_decode(s + i, n - i, &cp);
    if (l == 0) {
        *len = 1;
        return WN_TC_OTHER;
    }
    *len = l;
    return c->blocks[(size_t)c->stage1[cp >> 8] * 256 + (cp & 255)];
}

static inline int is_space_class(unsigned k)
{
    return k == WN_TC_SPACE || k == WN_TC_CRLF || k == WN_TC_WS;
}

static inline int is_other_class(unsigned k)
{
    return k == WN_TC_OTHER || k == WN_TC_APOS;
}

/* Number of ASCII letters [A-Za-z] at the start of s[0..16) (16 if all are). A byte of a
 * multi-byte character is not one. With SSE2 (x86-64's baseline), all 16 bytes are classed
 * at once: a word's end is then one count of trailing bits instead of a loop whose exit,
 * at a different length each word, the branch predictor keeps getting wrong. */
static inline unsigned ascii_letters16(const uint8_t *s)
{
#if defined(__SSE2__)
    /* b is a letter when (b | 0x20) - 'a' <= 25 unsigned, for every byte b (bytes >= 0x80
     * land at 63 or more): x <= 25 is min(x, 25) == x, SSE2's unsigned byte compare. */
    __m128i v = _mm_loadu_si128((const __m128i *)(const void *)s);
    __m128i t = _mm_sub_epi8(_mm_or_si128(v, _mm_set1_epi8(0x20)), _mm_set1_epi8('a'));
    __m128i is_letter = _mm_cmpeq_epi8(_mm_min_epu8(t, _mm_set1_epi8(25)), t);
    unsigned not_letter = ~(unsigned)_mm_movemask_epi8(is_letter) & 0xFFFF;
    return not_letter ? (unsigned)__builtin_ctz(not_letter) : 16;
#else
    unsigned k = 0;
    while (k < 16 && (unsigned)((s[k] | 0x20) - 'a') < 26)
        k++;
    return k;
#endif
}

static inline size_t letters_end(const wn_tok_classes *c, const uint8_t *s, size_t n, size_t i)
{
    while (i + 16 <= n) {
        unsigned k = ascii_letters16(s + i);
        i += k;
        if (k == 16)
            continue;
        if (s[i] < 0x80)
            return i;
        /* characters outside ASCII (a Cyrillic or CJK word): one by one until ASCII again,
         * a common one told a letter by one bit of a bitmap, not the two-level class table
         * (tenth session: multilingual +0.9%) */
        do {
            uint32_t cp;
            size_t l = utf8_decode_common(s + i, n - i, &cp);
            bool letter = l ? (c->bmp_letters[cp >> 6] >> (cp & 63)) & 1
                            : char_at(c, s, n, i, &l) == WN_TC_LETTER;
            if (!letter)
                return i;
            i += l;
        } while (i < n && s[i] >= 0x80);
    }
    while (i < n) {
        size_t l;
        if (s[i] < 0x80) { /* ASCII fast path */
            if (c->ascii[s[i]] != WN_TC_LETTER)
                break;
            i++;
            continue;
        }
        if (char_at(c, s, n, i, &l) != WN_TC_LETTER)
            break;
        i += l;
    }
    return i;
}

/* (?i:'s|'t|'re|'ve|'m|'ll|'d) at s[q] (just after the apostrophe): length matched or 0.
 * Case-insensitive matching follows Unicode simple case folding, under which 's' also
 * matches U+017F LATIN SMALL LETTER LONG S. */
static inline size_t contraction(const uint8_t *s, size_t n, size_t q)
{
    if (q >= n)
        return 0;
    uint8_t a = s[q];
    if (a >= 'A' && a <= 'Z')
        a += 32;
    if (a == 's' || a == 't' || a == 'm' || a == 'd')
        return 1;
    if (a == 0xC5 && q + 1 < n && s[q + 1] == 0xBF)
        return 2;
    if (q + 1 < n) {
        uint8_t b = s[q + 1];
        if (b >= 'A' && b <= 'Z')
            b += 32;
        if ((a == 'r' && b == 'e') || (a == 'v' && b == 'e') || (a == 'l' && b == 'l'))
            return 2;
    }
    return 0;
}

/* End of the piece that starts at s[p] (p < n). */
static inline size_t wn_tok_next_piece(const wn_tok_classes *c, const uint8_t *s, size_t n,
                                       size_t p)
{
    size_t l0, l1 = 0;
    unsigned c0 = char_at(c, s, n, p, &l0);
    size_t q = p + l0;

    /* (?i:'s|'t|'re|'ve|'m|'ll|'d) */
    if (c0 == WN_TC_APOS) {
        size_t k = contraction(s, n, q);
        if (k)
            return q + k;
    }
    /* [^\r\n\p{L}\p{N}]?\p{L}+ */
    if (c0 == WN_TC_LETTER)
        return letters_end(c, s, n, q);
    unsigned c1 = WN_TC_CRLF; /* class of the next character; "none" acts as \r here */
    if (q < n)
        c1 = char_at(c, s, n, q, &l1);
    if (c0 != WN_TC_CRLF && c0 != WN_TC_NUMBER && q < n && c1 == WN_TC_LETTER)
        return letters_end(c, s, n, q + l1);
    /* \p{N}{1,3} */
    if (c0 == WN_TC_NUMBER) {
        size_t e = q;
        for (int k = 0; k < 2 && e < n; k++) {
            size_t l;
            if (char_at(c, s, n, e, &l) != WN_TC_NUMBER)
                break;
            e += l;
        }
        return e;
    }
    /* ' ?[^\s\p{L}\p{N}]+[\r\n]*' */
    size_t e = SIZE_MAX;
    if (is_other_class(c0))
        e = q;
    else if (c0 == WN_TC_SPACE && q < n && is_other_class(c1))
        e = q + l1;
    if (e != SIZE_MAX) {
        while (e < n) {
            size_t l;
            if (!is_other_class(char_at(c, s, n, e, &l)))
                break;
            e += l;
        }
        while (e < n && (s[e] == '\r' || s[e] == '\n'))
            e++;
        return e;
    }
    /* c0 is white space. Scan its run once: \s*[\r\n]+ ends after the run's last \r or \n;
     * otherwise \s+(?!\S) takes the run but its last character when a non-space follows
     * (all of it at the end of the text), and \s+ takes a lone one. */
    size_t last_start = p, after_nl = 0;
    e = p;
    while (e < n) {
        size_t l;
        unsigned k = char_at(c, s, n, e, &l);
        if (!is_space_class(k))
            break;
        last_start = e;
        if (k == WN_TC_CRLF)
            after_nl = e + 1;
        e += l;
    }
    if (after_nl)
        return after_nl;
    if (e == n)
        return n;
    if (last_start > p)
        return last_start;
    return e;
}

/* Pieces of plain text cut from bit masks, 64 bytes at a time (docs/tokenize.md, eleventh
 * session: multilingual +1-3%, Brown +6-7%, 16.6 MB English the same, with the masks by AVX2;
 * by SSE2 alone the masks' instructions cost what the cutting saved).
 *
 * Cutting piece after piece, each piece's end comes out of a chain of steps that depend on
 * the piece's start (its first bytes' classes, a branch on what kind of piece it is, the
 * letter scan's load and mask); the next piece starts there, so the chains run one after
 * another, and the branch on the kind is mispredicted whenever the kind changes. In text of
 * ASCII letters, spaces and punctuation the starts follow from each byte and the two
 * before it, all at once:
 *
 *   - a space after anything but a space starts a piece: a word or a punctuation run
 *     takes it in front (`[^\r\n\p{L}\p{N}]?\p{L}+`, ` ?[^\s\p{L}\p{N}]+`), or it is a
 *     piece of white space, and a space ends words and punctuation;
 *   - so does the last space of a run of spaces, unless white space (a line break, a tab)
 *     or the end of the text follows: `\s+(?!\S)` takes the run but its last space, which
 *     starts the next piece (a word, punctuation, or itself); before white space the run
 *     goes on, at the end it is one piece;
 *   - punctuation after a letter starts one (a word ends at it);
 *   - a letter after punctuation starts one when the byte before that is a space or
 *     punctuation too (" .x" and "..x": the punctuation run ends at the letter), not
 *     otherwise (".x" after a word is one piece, the punctuation taken in front).
 *
 * Everything else (digits, white space but the space, the apostrophe of contractions,
 * control bytes, bytes outside ASCII but the letters below) is "other" here: a piece with
 * any such byte is left to wn_tok_next_piece, and so is a piece whose end lies past the 64
 * bytes. A piece taken from the masks is exact because a piece's end depends only on the
 * bytes from its start (the pattern looks back at nothing), its start is exact (the text's
 * start, or the end of the piece before), and the rules above are the pattern's on those
 * bytes. A start the rules set wrongly after an "other" byte (a space after a tab, which
 * `\s+(?!\S)` takes with the tab) only ever ends a piece holding that byte, which the
 * matcher cuts instead.
 * test_pretok_cutter checks it against wn_tok_next_piece. */
typedef struct wn_tok_cutter {
    size_t lo;        /* the masks are of s[lo..lo + 64), bit k for s[lo + k] */
    uint64_t starts;  /* piece starts by the rules above, from bit 2 on */
    uint64_t other;   /* bytes the rules do not cover */
    size_t fill_from; /* no new masks before a piece starts here (see cutter_end) */
} wn_tok_cutter;

/* Letters outside ASCII the masks take as letters: the well-formed two-byte characters
 * with lead byte C3 (but U+00D7 and U+00F7, x and the division sign), C4, C5, D0, D1 (Latin
 * Extended-A, Cyrillic), and three-byte ones with lead E5..E9 or EB, EC (CJK ideographs
 * U+5000..9FFF, Hangul syllables U+B000..CFFF): every character of those blocks is a letter
 * (wn_tok_classes.wide_letters says so for the ICU in use; otherwise none is taken). */
static inline bool wide_letter_lead2(uint8_t b)
{
    return b == 0xC3 || b == 0xC4 || b == 0xC5 || b == 0xD0 || b == 0xD1;
}

static inline bool wide_letter_lead3(uint8_t b)
{
    return (b >= 0xE5 && b <= 0xE9) || b == 0xEB || b == 0xEC;
}

/* The bytes of such letters in s[0..64), from masks of their lead bytes, C3, continuation
 * bytes and the second bytes of x and the division sign (0x97, 0xB7): a character counts
 * only when all its bytes are inside. */
static inline uint64_t wide_letter_bytes(uint64_t lead2, uint64_t lead3, uint64_t c3,
                                         uint64_t cont, uint64_t x97b7)
{
    uint64_t two = lead2 & cont >> 1 & ~(c3 & x97b7 >> 1);
    uint64_t three = lead3 & cont >> 1 & cont >> 2;
    return two | two << 1 | three | three << 1 | three << 2;
}

/* What the bytes of s[0..64) are, bit k for s[k]. */
typedef struct text_kinds {
    uint64_t letters; /* ASCII letters, and with `wide` the letters above */
    uint64_t spaces;
    /* ASCII punctuation but the apostrophe: the printable bytes that are neither letters
     * nor digits (ICU classes them \P{L}\P{N}\S) */
    uint64_t punct;
    uint64_t digits;
    uint64_t high; /* bytes outside ASCII */
} text_kinds;

/* The plain definition: the reference of the AVX2 version in the tests, and the tests'
 * masks without AVX2. */
static inline void text_kinds64_plain(const uint8_t *s, bool wide, text_kinds *t)
{
    uint64_t lead2 = 0, lead3 = 0, c3 = 0, cont = 0, x97b7 = 0;
    memset(t, 0, sizeof *t);
    for (unsigned k = 0; k < 64; k++) {
        uint8_t b = s[k];
        bool letter = (unsigned)((b | 0x20) - 'a') < 26, digit = b >= '0' && b <= '9';
        bool printable = b > 0x20 && b < 0x7F;
        t->letters |= (uint64_t)letter << k;
        t->spaces |= (uint64_t)(b == ' ') << k;
        t->punct |= (uint64_t)(printable && !letter && !digit && b != '\'') << k;
        t->digits |= (uint64_t)digit << k;
        t->high |= (uint64_t)(b >= 0x80) << k;
        lead2 |= (uint64_t)wide_letter_lead2(b) << k;
        lead3 |= (uint64_t)wide_letter_lead3(b) << k;
        c3 |= (uint64_t)(b == 0xC3) << k;
        cont |= (uint64_t)((b & 0xC0) == 0x80) << k;
        x97b7 |= (uint64_t)(b == 0x97 || b == 0xB7) << k;
    }
    if (wide)
        t->letters |= wide_letter_bytes(lead2, lead3, c3, cont, x97b7);
}

#if defined(__x86_64__) && defined(__GNUC__)
#include <immintrin.h>
#define WN_TOK_HAVE_AVX2_KINDS 1
/* Bytes of v in [lo, lo + span], unsigned, 32 at a time. */
__attribute__((target("avx2"))) static inline __m256i bytes_in32(__m256i v, uint8_t lo,
                                                                 uint8_t span)
{
    __m256i d = _mm256_sub_epi8(v, _mm256_set1_epi8((char)lo));
    return _mm256_cmpeq_epi8(_mm256_min_epu8(d, _mm256_set1_epi8((char)span)), d);
}

__attribute__((target("avx2"))) static inline uint64_t mask32(__m256i m, unsigned half)
{
    return (uint64_t)(uint32_t)_mm256_movemask_epi8(m) << (32 * half);
}

/* text_kinds64_plain with AVX2 (wn_tok_classes.avx2 says the CPU has it). By SSE2, 16 bytes
 * at a time, the masks' instructions cost what the cutting saves (eleventh session). */
__attribute__((target("avx2"), noinline)) static void text_kinds64_avx2(const uint8_t *s,
                                                                        bool wide,
                                                                        text_kinds *t)
{
    uint64_t l = 0, sp = 0, pu = 0, dg = 0, high = 0;
    for (unsigned h = 0; h < 2; h++) {
        __m256i v = _mm256_loadu_si256((const __m256i *)(const void *)(s + 32 * h));
        __m256i letter = bytes_in32(_mm256_or_si256(v, _mm256_set1_epi8(0x20)), 'a', 25);
        __m256i digit = bytes_in32(v, '0', 9);
        __m256i not_punct = _mm256_or_si256(_mm256_or_si256(letter, digit),
                                            _mm256_cmpeq_epi8(v, _mm256_set1_epi8('\'')));
        l |= mask32(letter, h);
        sp |= mask32(_mm256_cmpeq_epi8(v, _mm256_set1_epi8(' ')), h);
        pu |= mask32(_mm256_andnot_si256(not_punct, bytes_in32(v, 0x21, 0x7E - 0x21)), h);
        dg |= mask32(digit, h);
        high |= mask32(v, h);
    }
    if (wide && high) {
        uint64_t lead2 = 0, lead3 = 0, c3 = 0, cont = 0, x97b7 = 0;
        for (unsigned h = 0; h < 2; h++) {
            __m256i v = _mm256_loadu_si256((const __m256i *)(const void *)(s + 32 * h));
            lead2 |= mask32(_mm256_or_si256(bytes_in32(v, 0xD0, 1), bytes_in32(v, 0xC3, 2)),
                            h);
            lead3 |= mask32(_mm256_or_si256(bytes_in32(v, 0xE5, 4), bytes_in32(v, 0xEB, 1)),
                            h);
            c3 |= mask32(_mm256_cmpeq_epi8(v, _mm256_set1_epi8((char)0xC3)), h);
            cont |= mask32(bytes_in32(v, 0x80, 0x3F), h);
            x97b7 |= mask32(_mm256_or_si256(_mm256_cmpeq_epi8(v, _mm256_set1_epi8((char)0x97)),
                                            _mm256_cmpeq_epi8(v, _mm256_set1_epi8((char)0xB7))),
                            h);
        }
        l |= wide_letter_bytes(lead2, lead3, c3, cont, x97b7);
    }
    *t = (text_kinds){ .letters = l, .spaces = sp, .punct = pu, .digits = dg, .high = high };
}
#endif

/* The masks for s[lo..lo + 64) (lo + 64 <= the text's length). */
static inline void wn_tok_cutter_fill(const wn_tok_classes *c, wn_tok_cutter *cut,
                                      const uint8_t *s, size_t lo)
{
    text_kinds t;
#if defined(WN_TOK_HAVE_AVX2_KINDS)
    if (c->avx2)
        text_kinds64_avx2(s + lo, c->wide_letters, &t);
    else
#endif
        text_kinds64_plain(s + lo, c->wide_letters, &t); /* the tests' cutter without AVX2 */
    cut->lo = lo;
    uint64_t l = t.letters, sp = t.spaces, pu = t.punct, other = ~(l | sp | pu);
    /* a run of spaces: its first, and its last unless an "other" byte follows (it may be
     * white space: \t..\r, NBSP, U+3000...) or what follows is past the masks (bit 63) */
    uint64_t first_space = sp & ~(sp << 1);
    uint64_t last_space = sp & ~(sp >> 1) & ~(other >> 1) & ~(1ull << 63);
    cut->starts = first_space | last_space | (pu & l << 1) | (l & pu << 1 & (sp | pu) << 2) |
                  /* pieces the matcher cuts, starting where the masks' pieces end: a
                   * number after a word, punctuation or a space; an ASCII byte of no kind
                   * above (a line break, an apostrophe, a control byte) after a word */
                  (t.digits & (l | pu | sp) << 1) | (other & ~t.high & l << 1);
    /* a run's last space that starts no piece since an "other" byte follows is "other"
     * too, so that no piece over it is taken from the masks (what follows may be a
     * letter outside the masks' letters) */
    cut->other = other | (sp & sp << 1 & other >> 1);
}

/* Before the first piece of a text of n bytes. */
static inline void wn_tok_cutter_start(const wn_tok_classes *c, wn_tok_cutter *cut,
                                       const uint8_t *s, size_t n)
{
    cut->lo = 0;
    cut->starts = 0;
    cut->other = ~0ull; /* nothing taken from the masks until they are filled */
    cut->fill_from = 0;
    if (n >= 64 && c->avx2)
        wn_tok_cutter_fill(c, cut, s, 0);
}

/* cutter_end for a text of n >= 64 bytes. The pieces at the text's bytes 0 and 1 come from
 * the masks too: the first masks are of s[0..64), and before the text's start the rules'
 * shifts bring in zero bits, no byte of any kind, which is what the pattern sees there
 * (nothing before the text). Until the sixteenth session every text's first piece went to
 * the matcher, one of a paragraph's ~35 (multilingual mix -0.8% instructions a pass, the
 * same speed). */
static inline size_t cutter_end_long(const wn_tok_classes *c, wn_tok_cutter *cut,
                                     const uint8_t *s, size_t n, size_t p)
{
    size_t k = p - cut->lo; /* past the masks after a long piece */
    uint64_t later = k < 64 ? cut->starts >> k >> 1 : 0; /* starts after p */
    if (!later && k > 2 && cut->lo < n - 64 && p >= cut->fill_from) {
        /* the masks move on when they hold no start after p */
        wn_tok_cutter_fill(c, cut, s, p - 2 < n - 64 ? p - 2 : n - 64);
        k = p - cut->lo;
        later = cut->starts >> k >> 1;
        /* New masks with no start after p either (a run of digits, whose pieces the
         * matcher cuts): the next ones only half a window on, or a run of 3-digit pieces
         * pays a fill each (a million digits 350 -> 145 MB/s). Until then the matcher
         * cuts, as it does for any piece the masks do not tell. */
        if (!later)
            cut->fill_from = cut->lo + 32;
    }
    if (later) {
        /* the piece's bits k .. end - lo - 1 of `other`: those of `other >> k` up to
         * later's lowest bit, which later ^ (later - 1) sets (one BMI instruction) */
        if ((cut->other >> k) & (later ^ (later - 1)))
            return 0;
        size_t end = p + 1 + (size_t)__builtin_ctzll(later);
        if (end <= p) /* never (p + 64 < SIZE_MAX): lets the caller's test of 0 go */
            __builtin_unreachable();
        return end;
    }
    /* no start after p in the text's last 64 bytes: the piece runs to the end */
    if (cut->lo + 64 == n && !(cut->other >> k))
        return n;
    return 0;
}

/* End of the piece that starts at s[p] when the masks tell it, else 0; p is the end of the
 * piece before (0 first). */
static inline size_t cutter_end(const wn_tok_classes *c, wn_tok_cutter *cut, const uint8_t *s,
                                size_t n, size_t p)
{
    return n < 64 ? 0 : cutter_end_long(c, cut, s, n, p);
}

/* wn_tok_next_piece(c, s, n, p), p the end of the piece before (0 first), from the masks
 * when the CPU has AVX2 and they tell it. */
static inline size_t wn_tok_next_piece_cut(const wn_tok_classes *c, wn_tok_cutter *cut,
                                           const uint8_t *s, size_t n, size_t p)
{
    size_t end = c->avx2 ? cutter_end(c, cut, s, n, p) : 0;
    return end ? end : wn_tok_next_piece(c, s, n, p);
}

/* wn_tok_next_piece_cut for a text of n >= 64 bytes on a CPU with AVX2 (the encoder's loop
 * checks both once per text). */
static inline size_t wn_tok_next_piece_masks(const wn_tok_classes *c, wn_tok_cutter *cut,
                                             const uint8_t *s, size_t n, size_t p)
{
    size_t end = cutter_end_long(c, cut, s, n, p);
    return end ? end : wn_tok_next_piece(c, s, n, p);
}

#endif
