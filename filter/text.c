/* text.c: lines and word tokens of a document, shared by the heuristic filters; see text.h.
 *
 * Why one shared pass: Gopher, C4, FineWeb and the Llama 3 heuristics all need lines and
 * words; computing them once per document (thread-local cache) keeps the chain near the
 * speed of a single scan. */
#include "filter/text.h"
#include "filter/filter.h"
#include "core/buf.h"

#include <stdatomic.h>
#include <string.h>
#if defined(__SSE2__)
#include <emmintrin.h>
#endif
#if defined(__x86_64__) && defined(__GNUC__)
#include <immintrin.h>
#define TEXT_AVX2 1 /* compiled for any x86-64, run only where the CPU has AVX2 */
#endif
#include <unicode/ubrk.h>
#include <unicode/uchar.h>
#include <unicode/utext.h>
#define XXH_INLINE_ALL /* the cache key: inlined XXH3 */
#include <xxhash.h>

enum { C_WORD = 0, C_SPACE = 1, C_PUNCT = 2, C_ALPHA = 4 };

/* ASCII classes: spaces and controls separate words, punctuation is split off. */
static const unsigned char ascii_class[128] = {
    ['\t'] = C_SPACE, ['\n'] = C_SPACE, ['\v'] = C_SPACE, ['\f'] = C_SPACE, ['\r'] = C_SPACE,
    [' '] = C_SPACE,
    ['!'] = C_PUNCT, ['"'] = C_PUNCT, ['#'] = C_PUNCT, ['$'] = C_PUNCT, ['%'] = C_PUNCT,
    ['&'] = C_PUNCT, ['\''] = C_PUNCT, ['('] = C_PUNCT, [')'] = C_PUNCT, ['*'] = C_PUNCT,
    ['+'] = C_PUNCT, [','] = C_PUNCT, ['-'] = C_PUNCT, ['.'] = C_PUNCT, ['/'] = C_PUNCT,
    [':'] = C_PUNCT, [';'] = C_PUNCT, ['<'] = C_PUNCT, ['='] = C_PUNCT, ['>'] = C_PUNCT,
    ['?'] = C_PUNCT, ['@'] = C_PUNCT, ['['] = C_PUNCT, ['\\'] = C_PUNCT, [']'] = C_PUNCT,
    ['^'] = C_PUNCT, ['_'] = C_PUNCT, ['`'] = C_PUNCT, ['{'] = C_PUNCT, ['|'] = C_PUNCT,
    ['}'] = C_PUNCT, ['~'] = C_PUNCT,
    ['A'] = C_ALPHA, ['B'] = C_ALPHA, ['C'] = C_ALPHA, ['D'] = C_ALPHA, ['E'] = C_ALPHA,
    ['F'] = C_ALPHA, ['G'] = C_ALPHA, ['H'] = C_ALPHA, ['I'] = C_ALPHA, ['J'] = C_ALPHA,
    ['K'] = C_ALPHA, ['L'] = C_ALPHA, ['M'] = C_ALPHA, ['N'] = C_ALPHA, ['O'] = C_ALPHA,
    ['P'] = C_ALPHA, ['Q'] = C_ALPHA, ['R'] = C_ALPHA, ['S'] = C_ALPHA, ['T'] = C_ALPHA,
    ['U'] = C_ALPHA, ['V'] = C_ALPHA, ['W'] = C_ALPHA, ['X'] = C_ALPHA, ['Y'] = C_ALPHA,
    ['Z'] = C_ALPHA,
    ['a'] = C_ALPHA, ['b'] = C_ALPHA, ['c'] = C_ALPHA, ['d'] = C_ALPHA, ['e'] = C_ALPHA,
    ['f'] = C_ALPHA, ['g'] = C_ALPHA, ['h'] = C_ALPHA, ['i'] = C_ALPHA, ['j'] = C_ALPHA,
    ['k'] = C_ALPHA, ['l'] = C_ALPHA, ['m'] = C_ALPHA, ['n'] = C_ALPHA, ['o'] = C_ALPHA,
    ['p'] = C_ALPHA, ['q'] = C_ALPHA, ['r'] = C_ALPHA, ['s'] = C_ALPHA, ['t'] = C_ALPHA,
    ['u'] = C_ALPHA, ['v'] = C_ALPHA, ['w'] = C_ALPHA, ['x'] = C_ALPHA, ['y'] = C_ALPHA,
    ['z'] = C_ALPHA,
    [0] = C_SPACE, [1] = C_SPACE, [2] = C_SPACE, [3] = C_SPACE, [4] = C_SPACE, [5] = C_SPACE,
    [6] = C_SPACE, [7] = C_SPACE, [8] = C_SPACE, [14] = C_SPACE, [15] = C_SPACE,
    [16] = C_SPACE, [17] = C_SPACE, [18] = C_SPACE, [19] = C_SPACE, [20] = C_SPACE,
    [21] = C_SPACE, [22] = C_SPACE, [23] = C_SPACE, [24] = C_SPACE, [25] = C_SPACE,
    [26] = C_SPACE, [27] = C_SPACE, [28] = C_SPACE, [29] = C_SPACE, [30] = C_SPACE,
    [31] = C_SPACE, [127] = C_SPACE,
};

bool wn_ascii_punct(unsigned char c)
{
    return c < 128 && ascii_class[c] == C_PUNCT;
}

/* Decode one UTF-8 code point at s[i] (i < n). Returns its length; *cp = -1 for an invalid
 * byte (length 1), so any byte sequence makes progress. */
static size_t utf8_next(const unsigned char *s, size_t n, size_t i, int32_t *cp)
{
    unsigned c = s[i];
    size_t len;
    int32_t v, min;
    if (c < 0x80) { *cp = (int32_t)c; return 1; }
    if (c >= 0xC2 && c < 0xE0) { len = 2; v = c & 0x1F; min = 0x80; }
    else if (c >= 0xE0 && c < 0xF0) { len = 3; v = c & 0x0F; min = 0x800; }
    else if (c >= 0xF0 && c < 0xF5) { len = 4; v = c & 0x07; min = 0x10000; }
    else { *cp = -1; return 1; }
    if (i + len > n) { *cp = -1; return 1; }
    for (size_t k = 1; k < len; k++) {
        unsigned cc = s[i + k];
        if ((cc & 0xC0) != 0x80) { *cp = -1; return 1; }
        v = (v << 6) | (int32_t)(cc & 0x3F);
    }
    if (v < min || v > 0x10FFFF || (v >= 0xD800 && v <= 0xDFFF)) { *cp = -1; return 1; }
    *cp = v;
    return len;
}

/* Scripts written without spaces between words: ICU segments them. */
bool wn_text_spaceless(int32_t cp)
{
    return (cp >= 0x0E00 && cp <= 0x0EFF)       /* Thai, Lao */
        || (cp >= 0x1000 && cp <= 0x109F)       /* Myanmar */
        || (cp >= 0x1780 && cp <= 0x17FF)       /* Khmer */
        || (cp >= 0x3040 && cp <= 0x30FF)       /* Hiragana, Katakana */
        || (cp >= 0x3400 && cp <= 0x4DBF)       /* CJK extension A */
        || (cp >= 0x4E00 && cp <= 0x9FFF)       /* CJK unified */
        || (cp >= 0xF900 && cp <= 0xFAFF)       /* CJK compatibility */
        || (cp >= 0x20000 && cp <= 0x3134F);    /* CJK extensions B.. */
}

static int classify_cp(int32_t cp)
{
    if (cp < 0)
        return C_WORD; /* invalid byte: a word character that is not alphabetic */
    if (cp < 128)
        return ascii_class[cp];
    if (u_isUWhiteSpace(cp) || u_iscntrl(cp) || cp == 0x200B)
        return C_SPACE;
    if (u_ispunct(cp))
        return C_PUNCT;
    int8_t t = u_charType(cp);
    if (t == U_MATH_SYMBOL || t == U_CURRENCY_SYMBOL || t == U_MODIFIER_SYMBOL ||
        t == U_OTHER_SYMBOL)
        return C_PUNCT;
    return u_isalpha(cp) ? C_ALPHA : C_WORD;
}

/* One analysed document. Slots are shared between threads (see wn_text_analyze): `busy`
 * says a thread holds the slot; only the holder reads or writes the rest. */
typedef struct text_slot {
    wn_text t;
    size_t cap_lines, cap_words;
    const char *key_ptr;
    size_t key_len;
    uint64_t key_index, key_hash;
    bool valid;
    bool hashed; /* key_hash is known (wn_text_keep_lines leaves it to the chain's trust) */
    atomic_int busy;
} text_slot;

/* The runner runs each stage over a whole batch before the next stage, so a per-thread
 * cache of the last document would miss at every stage. Slots indexed by input_index
 * (documents of a batch have consecutive indexes) keep each document's analysis from one
 * stage to the next, on whichever thread runs it; the barrier between stages orders the
 * accesses. */
static text_slot *slots;
static size_t n_slots;

static _Thread_local text_slot own;  /* a thread's private slot: buffers, collisions */
static _Thread_local text_slot *cur; /* the slot being filled */
static _Thread_local text_slot *held;
static _Thread_local UBreakIterator *tls_bi;

/* The analysis this thread last served for `doc`, from `slot`. Once the chain says the
 * filter now starting follows the one before it on the same document (wn_text_stage_begin:
 * `armed`), that analysis is served again without hashing the text: ~7 filters looked a
 * document's analysis up, each hashing all its bytes (~3% of the chain on prose). Only
 * wn_filter_set_text changes a text between two filters, and it invalidates. */
static _Thread_local struct {
    const wn_doc *doc;
    const text_slot *slot;
    bool armed;
    bool next_analyses; /* wn_text_stage_next_analyses */
    bool doc_at_a_time;  /* wn_text_stage_doc_at_a_time */
    /* wn_text_doc_count_chars's count of counted_doc's text (valid UTF-8, so also
     * wn_text_utf8_count's), for wn_text_doc_chars until wn_text_release */
    const wn_doc *counted_doc;
    const char *counted_ptr;
    size_t counted_len, counted_chars;
} trust;
static _Thread_local UText *tls_ut;

void wn_text_cache_init(size_t n)
{
    if (slots || !n)
        return; /* once per process: threads may hold pointers into it */
    slots = wn_xcalloc(n, sizeof *slots);
    n_slots = n;
}

static void unhold(void)
{
    if (held) {
        /* a lock's release: a sequentially consistent store (a locked exchange on x86) after
         * every filter of every document was ~0.5% of the chain */
        atomic_store_explicit(&held->busy, 0, memory_order_release);
        held = NULL;
    }
}

void wn_text_release(void)
{
    /* the slot stays held until this thread's next filter begins on another document (or
     * it looks up another slot): the chain runs a document's filters one after the other
     * on one thread, and taking the slot again with a locked exchange before each filter
     * was ~0.8% of the chain; another thread that wants the slot meanwhile analyses into
     * its own, as when two documents of a batch share a slot */
    trust.armed = false;
    trust.next_analyses = false;
    trust.doc_at_a_time = false;
    trust.counted_doc = NULL;
}

void wn_text_stage_begin(const wn_doc *d, bool follows)
{
    if (!follows || trust.doc != d) {
        trust.doc = NULL;
        unhold(); /* what wn_text_release left held */
    }
    trust.armed = true;
    trust.counted_doc = NULL;
}

void wn_text_stage_next_analyses(bool yes)
{
    trust.next_analyses = yes;
}

void wn_text_stage_doc_at_a_time(bool yes)
{
    trust.doc_at_a_time = yes;
}

static text_slot *pick_slot(const wn_doc *d)
{
    if (!slots)
        return &own;
    text_slot *sl = &slots[d->input_index % n_slots];
    if (held == sl)
        return sl;
    unhold();
    if (atomic_exchange(&sl->busy, 1) == 0) {
        held = sl;
        return sl;
    }
    return &own; /* another thread has it (a batch larger than the cache) */
}

uint64_t wn_text_hash(const void *p, size_t n)
{
    uint64_t h = XXH3_64bits(p, n);
    return h ? h : 1;
}

/* wn_text_word_hash of words up to 16 bytes, which are nearly all words: the bytes as two
 * zero-padded 64-bit integers, mixed by one 64x64->128-bit multiplication (wyhash's mix).
 * It has no branch on the length, where XXH3's short paths (1-3, 4-8, 9-16 bytes)
 * mispredicted on most words: 4.7 of the analysis's 17 ns per word. The length is not
 * mixed in (a second multiplication, ~5% of the analysis): no token holds a NUL byte, so
 * the padded bytes name the word. */
static inline uint64_t mul_fold(uint64_t a, uint64_t b)
{
#if defined(__SIZEOF_INT128__)
    unsigned __int128 r = (unsigned __int128)a * b;
    return (uint64_t)r ^ (uint64_t)(r >> 64);
#else /* the same product from 32-bit halves */
    uint64_t al = a & 0xFFFFFFFFu, ah = a >> 32, bl = b & 0xFFFFFFFFu, bh = b >> 32;
    uint64_t ll = al * bl, lh = al * bh, hl = ah * bl, hh = ah * bh;
    uint64_t mid = (ll >> 32) + (lh & 0xFFFFFFFFu) + (hl & 0xFFFFFFFFu);
    uint64_t lo = (ll & 0xFFFFFFFFu) | mid << 32;
    uint64_t hi = hh + (lh >> 32) + (hl >> 32) + (mid >> 32);
    return lo ^ hi;
#endif
}

static inline uint64_t short_hash(uint64_t a, uint64_t b)
{
    uint64_t h = mul_fold(a ^ 0xA0761D6478BD642Full, b ^ 0xE7037ED1A0B428DBull);
    return h ? h : 1;
}

/* A short word's bytes as two integers, zero-padded (n <= 16). */
static inline void short_words(const unsigned char *p, size_t n, uint64_t *a, uint64_t *b)
{
    unsigned char tmp[16] = {0};
    memcpy(tmp, p, n);
    memcpy(a, tmp, 8);
    memcpy(b, tmp + 8, 8);
}

uint64_t wn_text_word_hash(const void *p, size_t n)
{
    if (n > 16)
        return wn_text_hash(p, n);
    uint64_t a, b;
    short_words(p, n, &a, &b);
    return short_hash(a, b);
}

/* Masks keeping the first n bytes of two little-endian 64-bit loads (n <= 16). */
static const uint64_t keep_lo[17] = {
    0, 0xFF, 0xFFFF, 0xFFFFFF, 0xFFFFFFFF, 0xFFFFFFFFFFull, 0xFFFFFFFFFFFFull,
    0xFFFFFFFFFFFFFFull, ~0ull, ~0ull, ~0ull, ~0ull, ~0ull, ~0ull, ~0ull, ~0ull, ~0ull};

/* keep_lo[n > 8 ? n - 8 : 0]: the mask of the second load */
static const uint64_t keep_hi[17] = {
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0xFF, 0xFFFF, 0xFFFFFF, 0xFFFFFFFF, 0xFFFFFFFFFFull,
    0xFFFFFFFFFFFFull, 0xFFFFFFFFFFFFFFull, ~0ull};

/* wn_text_word_hash of the word p[0 .. n), where `avail` >= n bytes are readable at p:
 * with 16 of them, two plain loads and masks instead of a copy. */
static inline __attribute__((always_inline)) uint64_t word_hash(const char *p, size_t n,
                                                                size_t avail)
{
#if __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
    if (n <= 16 && avail >= 16) {
        uint64_t a, b;
        memcpy(&a, p, 8);
        memcpy(&b, p + 8, 8);
        a &= keep_lo[n];
        b &= keep_lo[n > 8 ? n - 8 : 0];
        return short_hash(a, b);
    }
#endif
    (void)avail;
    return wn_text_word_hash(p, n);
}

/* Fill in the token s[off .. off + len) of a text of n bytes. */
static inline __attribute__((always_inline)) void put_word(wn_word *w, const char *s, size_t n,
                                                           size_t off, size_t len, size_t line,
                                                           unsigned flags)
{
    w->off = (uint32_t)off;
    w->len = (uint32_t)len;
    w->line = (uint32_t)line;
    w->flags = flags;
    w->hash = word_hash(s + off, len, n - off);
}

/* Inlined into the scan (always_inline: measured ~5% faster analysis than a call per word). */
static inline __attribute__((always_inline)) void push_word(const char *s, size_t off,
                                                            size_t len, size_t line,
                                                            unsigned flags)
{
    wn_text *t = &cur->t;
    if (t->n_words == cur->cap_words) {
        cur->cap_words = cur->cap_words ? cur->cap_words * 2 : 1024;
        t->words = wn_xrealloc(t->words, cur->cap_words * sizeof *t->words);
    }
    put_word(&t->words[t->n_words++], s, t->n, off, len, line, flags);
    if (!(flags & WN_WORD_SYMBOL))
        t->n_nonsym++;
}

/* Flags of a span made of word/punct characters only. */
static unsigned span_flags(const unsigned char *s, size_t a, size_t b)
{
    bool alpha = false, alnum = false, digit = false;
    for (size_t i = a; i < b;) {
        int32_t cp;
        i += utf8_next(s, b, i, &cp);
        int c = classify_cp(cp);
        if (c == C_ALPHA)
            alpha = alnum = true;
        else if (c == C_WORD)
            alnum = true;
        digit |= cp >= '0' && cp <= '9';
    }
    return (alpha ? WN_WORD_ALPHA : 0) | (alnum ? 0 : WN_WORD_SYMBOL) |
           (digit ? WN_WORD_DIGIT : 0);
}

/* Segment [a, b) of a spaceless script with ICU; falls back to one token on ICU errors. */
static void segment_icu(const char *s, size_t a, size_t b, size_t line)
{
    UErrorCode st = U_ZERO_ERROR;
    if (!tls_bi) {
        tls_bi = ubrk_open(UBRK_WORD, "", NULL, 0, &st);
        if (U_FAILURE(st)) {
            tls_bi = NULL;
            st = U_ZERO_ERROR;
        }
    }
    if (tls_bi)
        tls_ut = utext_openUTF8(tls_ut, s + a, (int64_t)(b - a), &st);
    if (tls_bi && U_SUCCESS(st))
        ubrk_setUText(tls_bi, tls_ut, &st);
    if (!tls_bi || U_FAILURE(st)) {
        push_word(s, a, b - a, line, span_flags((const unsigned char *)s, a, b));
        return;
    }
    int32_t prev = ubrk_first(tls_bi);
    for (int32_t at = ubrk_next(tls_bi); at != UBRK_DONE; prev = at, at = ubrk_next(tls_bi)) {
        size_t x = a + (size_t)prev, y = a + (size_t)at;
        push_word(s, x, y - x, line, span_flags((const unsigned char *)s, x, y));
    }
}

/* Flags of the core of a run the byte loop read: alpha as it found, digits looked up. */
static unsigned core_flags_of(const char *s, size_t a, size_t b, bool alpha)
{
    unsigned f = alpha ? WN_WORD_ALPHA : 0;
    for (size_t i = a; i < b; i++)
        if (s[i] >= '0' && s[i] <= '9')
            return f | WN_WORD_DIGIT;
    return f;
}

/* Emit the tokens of one run of non-space characters [a, b). */
static inline __attribute__((always_inline)) void emit_run(const char *s, size_t a, size_t b,
                                                           size_t core_a, size_t core_b,
                                                           unsigned core_flags, bool spaceless,
                                                           size_t line)
{
    if (core_a >= core_b) { /* punctuation only */
        push_word(s, a, b - a, line, WN_WORD_SYMBOL);
        return;
    }
    if (core_a > a)
        push_word(s, a, core_a - a, line, WN_WORD_SYMBOL);
    if (spaceless)
        segment_icu(s, core_a, core_b, line);
    else
        push_word(s, core_a, core_b - core_a, line, core_flags);
    if (b > core_b)
        push_word(s, core_b, b - core_b, line, WN_WORD_SYMBOL);
}

/* The run of non-space characters at i (u[i] an ASCII non-space byte), when it is plain
 * ASCII up to an ASCII space or the end: its end, its core (first to last letter or digit;
 * core_a == core_b when there is none) and the core's flags (letters, digits), as the byte loop in
 * analyze_into finds them. Returns false (nothing set) when a non-ASCII byte comes first:
 * the byte loop handles that run. */
static inline __attribute__((always_inline)) bool ascii_run(const unsigned char *u, size_t n,
                                                            size_t i, size_t *end,
                                                            size_t *core_a, size_t *core_b,
                                                            unsigned *flags)
{
    size_t first = SIZE_MAX, last = 0;
    uint32_t letters = 0, digits = 0;
    for (size_t at = i;; at += 16) {
        uint32_t high, space, digit, letter;
#if defined(__SSE2__)
        __m128i v;
        if (at + 16 <= n) {
            v = _mm_loadu_si128((const __m128i *)(const void *)(u + at));
        } else { /* the tail, padded with spaces: the run ends at n at the latest */
            unsigned char tmp[16];
            memset(tmp, ' ', sizeof tmp);
            memcpy(tmp, u + at, n - at);
            v = _mm_loadu_si128((const __m128i *)(const void *)tmp);
        }
        /* unsigned x <= k is min(x, k) == x */
        __m128i sp = _mm_or_si128(_mm_cmpeq_epi8(_mm_min_epu8(v, _mm_set1_epi8(0x20)), v),
                                  _mm_cmpeq_epi8(v, _mm_set1_epi8(0x7F)));
        __m128i d = _mm_sub_epi8(v, _mm_set1_epi8('0'));
        __m128i l = _mm_sub_epi8(_mm_or_si128(v, _mm_set1_epi8(0x20)), _mm_set1_epi8('a'));
        high = (uint32_t)_mm_movemask_epi8(v);
        space = (uint32_t)_mm_movemask_epi8(sp);
        digit = (uint32_t)_mm_movemask_epi8(_mm_cmpeq_epi8(_mm_min_epu8(d, _mm_set1_epi8(9)), d));
        letter = (uint32_t)_mm_movemask_epi8(
            _mm_cmpeq_epi8(_mm_min_epu8(l, _mm_set1_epi8(25)), l));
#else
        high = space = digit = letter = 0;
        for (unsigned k = 0; k < 16; k++) {
            unsigned b = at + k < n ? u[at + k] : ' ';
            high |= (uint32_t)(b >= 0x80) << k;
            space |= (uint32_t)(b < 0x80 && ascii_class[b] == C_SPACE) << k;
            digit |= (uint32_t)(b - '0' < 10) << k;
            letter |= (uint32_t)((b | 0x20) - 'a' < 26) << k;
        }
#endif
        uint32_t stop = high | space;
        unsigned lim = stop ? (unsigned)__builtin_ctz(stop) : 16;
        if ((high >> lim) & 1)
            return false;
        uint32_t keep = (1u << lim) - 1;
        letter &= keep;
        digit &= keep;
        uint32_t alnum = digit | letter;
        if (alnum) {
            if (first == SIZE_MAX)
                first = at + (unsigned)__builtin_ctz(alnum);
            last = at + 32 - (unsigned)__builtin_clz(alnum);
        }
        letters |= letter;
        digits |= digit;
        if (stop) {
            *end = at + lim;
            break;
        }
    }
    if (first == SIZE_MAX)
        first = last = 0;
    *core_a = first;
    *core_b = last;
    *flags = WN_WORD_ASCII | (letters ? WN_WORD_ALPHA : 0) | (digits ? WN_WORD_DIGIT : 0);
    return true;
}

/* The line [off, end) as push_line stores it (a '\r' before its end cut off). */
static inline wn_line line_of(const char *s, size_t off, size_t end, size_t first_word,
                              size_t n_words)
{
    if (end > off && s[end - 1] == '\r')
        end--;
    return (wn_line){(uint32_t)off, (uint32_t)(end - off), (uint32_t)first_word,
                     (uint32_t)(n_words - first_word)};
}

static void push_line(size_t off, size_t end, size_t first_word)
{
    wn_text *t = &cur->t;
    if (t->n_lines == cur->cap_lines) {
        cur->cap_lines = cur->cap_lines ? cur->cap_lines * 2 : 256;
        t->lines = wn_xrealloc(t->lines, cur->cap_lines * sizeof *t->lines);
    }
    t->lines[t->n_lines++] = line_of(t->s, off, end, first_word, t->n_words);
}

/* Where analyze_into is between runs (no run open): the line being read. */
typedef struct line_state {
    size_t start, first_word;
} line_state;

#ifdef TEXT_AVX2
/* Whole 64-byte windows of plain ASCII (AVX2 and BMI2, where the CPU has them): every token
 * of the complete runs in a window comes out of bit masks, one loop step a token, where the
 * run-by-run path classifies 16 bytes again at each run and branches on whether the run has
 * punctuation before or after its core (the branches mispredicted on prose). In a window
 * cut after its last space (the run it cuts is read again by the next window) and before
 * the run holding its first non-ASCII byte:
 *   - the core of a run spans its first to its last letter or digit; the punctuation of a
 *     run lies before its core (`before`: not reached by the letters and digits filled
 *     forward through the run, an addition's carry), inside it, or after it (`after`: a
 *     segment of punctuation whose first byte after it is a space; the segments' ends are
 *     where their bits carried to, and the segments landing on a space are taken from
 *     them with PEXT and PDEP);
 *   - the outer punctuation (before or after) is a token of its own, so a token begins
 *     where a run begins or where a byte's outer bit differs from the byte before it.
 * Plain ASCII has no character to count, as in ascii_stretch. Returns where it stopped,
 * between runs: before a run of 64 bytes or more, before a run holding a non-ASCII byte,
 * at the end, or when the word or line array has less than a window's worth of room. The
 * last 80 bytes are read from a copy padded with spaces (a word's hash reads 16 bytes from
 * its start; the mask keeps the word's): they took the run-by-run path, ~10% of the
 * analysis of prose's ~1.4 KB documents. */
#define WIN_TARGET __attribute__((target("avx2,bmi,bmi2,popcnt,lzcnt")))
enum { WIN = 64, WIN_ROOM = 64 }; /* a window holds at most 48 tokens (",a, " 16 times) */

WIN_TARGET static inline uint64_t win_bits(__m256i lo, __m256i hi)
{
    return (uint32_t)_mm256_movemask_epi8(lo) | (uint64_t)(uint32_t)_mm256_movemask_epi8(hi) << 32;
}

/* Bytes x with lo <= x <= lo + span (unsigned): x - lo <= span is min(x - lo, span) == x - lo. */
WIN_TARGET static inline __m256i win_range(__m256i v, char lo, char span)
{
    __m256i d = _mm256_sub_epi8(v, _mm256_set1_epi8(lo));
    return _mm256_cmpeq_epi8(_mm256_min_epu8(d, _mm256_set1_epi8(span)), d);
}

WIN_TARGET static inline __m256i win_space(__m256i v) /* controls, ' ' and DEL */
{
    return _mm256_or_si256(_mm256_cmpeq_epi8(_mm256_min_epu8(v, _mm256_set1_epi8(0x20)), v),
                           _mm256_cmpeq_epi8(v, _mm256_set1_epi8(0x7F)));
}

static _Thread_local size_t windows_read; /* wn_text_windows_read */

size_t wn_text_windows_read(void)
{
    return windows_read;
}

/* The tokens of one line of a window: a_m their starts, b_m their ends, the window's
 * masks, `base` its first byte at offset off0 of the text. `digits`: the window holds a
 * digit (a constant where it is inlined, so the loop without them tests no span). */
WIN_TARGET static inline __attribute__((always_inline)) wn_word *
win_tokens(wn_word *w, uint64_t a_m, uint64_t b_m, const char *base, size_t off0, size_t line,
           uint64_t outer, uint64_t letter, uint64_t digit, bool digits)
{
    for (; a_m; a_m = _blsr_u64(a_m), b_m = _blsr_u64(b_m)) {
        unsigned a = (unsigned)_tzcnt_u64(a_m), b = (unsigned)_tzcnt_u64(b_m);
        unsigned len = b - a + 1;
        unsigned core = WN_WORD_ASCII | WN_WORD_ALPHA;
        if (digits) {
            uint64_t span = (2ull << b) - (1ull << a); /* b < 63: the window ends in a space */
            core = WN_WORD_ASCII | ((letter & span) ? WN_WORD_ALPHA : 0) |
                   ((digit & span) ? WN_WORD_DIGIT : 0);
        }
        unsigned fl = (outer >> a) & 1 ? (unsigned)WN_WORD_SYMBOL : core;
        const char *p = base + a;
        /* the header as two 8-byte stores (GCC packed four 4-byte fields in a vector
         * register first) */
        uint64_t head[2] = {(uint64_t)(off0 + a) | (uint64_t)len << 32,
                            (uint64_t)line | (uint64_t)fl << 32};
        memcpy((void *)w, head, sizeof head);
        if (len <= 16) {
            uint64_t x, y;
            memcpy(&x, p, 8);
            memcpy(&y, p + 8, 8);
            w->hash = short_hash(x & keep_lo[len], y & keep_hi[len]);
        } else {
            _mm256_zeroupper(); /* XXH3 is SSE2 code */
            w->hash = wn_text_word_hash(p, len);
        }
        w++;
    }
    return w;
}

WIN_TARGET static size_t ascii_windows(text_slot *sl, const char *s, size_t n, size_t i,
                                       line_state *ls)
{
    wn_text *t = &sl->t;
    wn_word *words = t->words;
    wn_line *lines = t->lines;
    size_t nw = t->n_words, nonsym = t->n_nonsym, nl = t->n_lines;
    size_t line_start = ls->start, line_word = ls->first_word;
    char pad[WIN + 16]; /* the text's last bytes, then spaces */
    while (i < n && sl->cap_words - nw >= WIN_ROOM) {
        const char *base = s + i;
        if (n - i < WIN + 16) { /* the spaces end the last run at n */
            memset(pad, ' ', sizeof pad);
            memcpy(pad, s + i, n - i);
            base = pad;
        }
        __m256i v0 = _mm256_loadu_si256((const __m256i *)(const void *)base);
        __m256i v1 = _mm256_loadu_si256((const __m256i *)(const void *)(base + 32));
        uint64_t high = win_bits(v0, v1);
        uint64_t space = win_bits(win_space(v0), win_space(v1));
        uint64_t room = high ? space & _bzhi_u64(~0ull, (unsigned)_tzcnt_u64(high)) : space;
        if (!room)
            break; /* the run at i is 64 bytes or more, or holds a non-ASCII byte */
        unsigned last = 63 - (unsigned)_lzcnt_u64(room); /* the window's last space */
        uint64_t in = _bzhi_u64(~0ull, last + 1);
        __m256i l0 = _mm256_or_si256(v0, _mm256_set1_epi8(0x20));
        __m256i l1 = _mm256_or_si256(v1, _mm256_set1_epi8(0x20));
        uint64_t letter = win_bits(win_range(l0, 'a', 25), win_range(l1, 'a', 25)) & in;
        uint64_t digit = win_bits(win_range(v0, '0', 9), win_range(v1, '0', 9)) & in;
        uint64_t nlm = win_bits(_mm256_cmpeq_epi8(v0, _mm256_set1_epi8('\n')),
                                _mm256_cmpeq_epi8(v1, _mm256_set1_epi8('\n'))) & in;
        if ((size_t)_mm_popcnt_u64(nlm) > sl->cap_lines - nl)
            break; /* the general loop grows the line array */
        uint64_t word = ~space & in, alnum = letter | digit, punct = word & ~alnum;
        /* no carry leaves bit 63: bit `last` is a space */
        uint64_t reached = (word & ~(word + alnum)) | alnum; /* first letter or digit on */
        uint64_t seg_first = punct & ~(punct << 1);
        uint64_t landed = (punct + seg_first) & ~punct; /* the byte after each segment */
        uint64_t gap = ~word;
        uint64_t after = (landed & gap) - _pdep_u64(_pext_u64(gap, landed), seg_first);
        uint64_t outer = (punct & ~reached) | after;
        uint64_t starts = word & ~((word << 1) & ~(outer ^ (outer << 1)));
        uint64_t ends = word & ~((word >> 1) & ~(outer ^ (outer >> 1)));
        /* the tokens line by line (a token's line is then a constant), each line pushed
         * at its '\n' */
        wn_word *w = words + nw;
        for (uint64_t todo_a = starts, todo_b = ends, m = nlm;; m = _blsr_u64(m)) {
            uint64_t before = m ? _bzhi_u64(~0ull, (unsigned)_tzcnt_u64(m)) : ~0ull;
            uint64_t a_m = todo_a & before, b_m = todo_b & before;
            todo_a &= ~before;
            todo_b &= ~before;
            /* a window without digits (most of prose): a core holds a letter, since it
             * begins with a letter or digit; no test of the token's span */
            w = digit ? win_tokens(w, a_m, b_m, base, i, nl, outer, letter, digit, true)
                      : win_tokens(w, a_m, b_m, base, i, nl, outer, letter, 0, false);
            if (!m)
                break;
            unsigned q = (unsigned)_tzcnt_u64(m);
            size_t w_at = (size_t)(w - words);
            lines[nl++] = line_of(s, line_start, i + q, line_word, w_at);
            line_start = i + q + 1;
            line_word = w_at;
        }
        nw = (size_t)(w - words);
        nonsym += (size_t)_mm_popcnt_u64(starts & ~outer);
        i = n - i > last ? i + last + 1 : n;
        windows_read++;
    }
    t->n_words = nw;
    t->n_nonsym = nonsym;
    t->n_lines = nl;
    ls->start = line_start;
    ls->first_word = line_word;
    return i;
}
#endif

#ifndef TEXT_AVX2
size_t wn_text_windows_read(void)
{
    return 0;
}
#endif

/* The tokens and lines of the plain ASCII text from i on, while no run is open: what
 * analyze_into's loop does there (plain ASCII runs through ascii_run and emit_run, spaces,
 * '\n'), in a loop that calls nothing, so that its counts stay in registers and the
 * classification's constant vectors are loaded once, not again for every run (the call
 * paths of the general loop, ICU and growing the arrays, clobber them). Stops before a
 * non-ASCII byte, a run ascii_run refuses (it reaches one: *refused is set, so that the
 * general loop reads it byte by byte without asking ascii_run again), or when the word or
 * line array is full; returns where it stopped (i when it could do nothing: the general
 * loop then takes that byte). */
static size_t ascii_stretch(text_slot *sl, const char *s, size_t n, size_t i, line_state *ls,
                            bool *refused, bool windows)
{
    wn_text *t = &sl->t;
#ifdef TEXT_AVX2
again:
    if (windows)
        i = ascii_windows(sl, s, n, i, ls);
#else
    (void)windows;
#endif
    bool ran = false; /* a run was read here: the windows may take the next */
    const unsigned char *u = (const unsigned char *)s;
    wn_word *words = t->words;
    wn_line *lines = t->lines;
    size_t nw = t->n_words, nonsym = t->n_nonsym, nl = t->n_lines;
    size_t cap_w = sl->cap_words, cap_l = sl->cap_lines;
    size_t line_start = ls->start, line_word = ls->first_word;
    while (i < n) {
        unsigned c = u[i];
        if (c == ' ') {
            i++;
            continue;
        }
        if (c >= 0x80)
            break;
        if (ascii_class[c] == C_SPACE) {
            if (c == '\n') {
                if (nl == cap_l)
                    break;
                lines[nl++] = line_of(s, line_start, i, line_word, nw);
                line_start = i + 1;
                line_word = nw;
            }
            i++;
            continue;
        }
        if (ran && windows)
            break; /* back to the windows (below) */
        size_t end, a, b;
        unsigned fl;
        if (nw + 3 > cap_w)
            break;
        if (!ascii_run(u, n, i, &end, &a, &b, &fl)) {
            *refused = true;
            break;
        }
        /* emit_run's tokens: punctuation before the core, the core, punctuation after */
        if (a >= b) {
            put_word(&words[nw++], s, n, i, end - i, nl, WN_WORD_SYMBOL);
        } else {
            if (a > i)
                put_word(&words[nw++], s, n, i, a - i, nl, WN_WORD_SYMBOL);
            put_word(&words[nw++], s, n, a, b - a, nl, fl);
            nonsym++;
            if (end > b)
                put_word(&words[nw++], s, n, b, end - b, nl, WN_WORD_SYMBOL);
        }
        i = end;
        ran = true;
    }
    t->n_words = nw;
    t->n_nonsym = nonsym;
    t->n_lines = nl;
    ls->start = line_start;
    ls->first_word = line_word;
#ifdef TEXT_AVX2
    if (ran && windows && i < n && !*refused && u[i] < 0x80)
        goto again;
#endif
    return i;
}

/* Whether the analysis takes ascii_windows (wn_filter_use_avx2 read per analysis: tests
 * switch it to compare the window path with the run-by-run one). */
static bool use_windows(void)
{
#ifdef TEXT_AVX2
    return wn_filter_use_avx2 && __builtin_cpu_supports("avx2") && __builtin_cpu_supports("bmi2");
#else
    return false;
#endif
}

static const wn_text *analyze_into(text_slot *sl, const char *s, size_t n)
{
    cur = sl;
    wn_text *t = &sl->t;
    /* a shared slot gives back what a past huge document made it grow to: the cache then
     * holds about what the current batch needs (the runner's batches stop at 4 MB of text;
     * only a single larger document makes one bigger) */
    if (sl != &own && sl->cap_words > 65536 && sl->cap_words > n) {
        free(t->words);
        t->words = NULL;
        sl->cap_words = 0;
    }
    if (sl != &own && sl->cap_lines > 65536 && sl->cap_lines > n / 4) {
        free(t->lines);
        t->lines = NULL;
        sl->cap_lines = 0;
    }
    const unsigned char *u = (const unsigned char *)s;
    if (n > UINT32_MAX)
        n = UINT32_MAX;
    t->s = s;
    t->n = n;
    t->n_lines = t->n_words = t->n_nonsym = t->n_chars = 0;
    t->ascii = t->valid = true;
    t->gram_hint = 0;
    sl->valid = false;

    line_state ls = {0, 0};
    bool windows = use_windows();
    size_t extra = 0;
    size_t run = SIZE_MAX, core_a = 0, core_b = 0;
    bool alpha = false, spaceless = false;
    bool refused = false; /* ascii_run refused the run at i */
    for (size_t i = 0; i < n;) {
        if (run == SIZE_MAX && u[i] < 0x80 && !refused) { /* most of the text */
            size_t j = ascii_stretch(sl, s, n, i, &ls, &refused, windows);
            if (j != i) {
                i = j;
                continue;
            }
        }
        int32_t cp;
        size_t len;
        int c;
        if (u[i] < 0x80) { /* ASCII fast path */
            cp = u[i];
            len = 1;
            c = ascii_class[cp];
        } else {
            t->ascii = false;
            len = utf8_next(u, n, i, &cp);
            t->valid &= cp >= 0;
            extra += len - 1;
            c = classify_cp(cp);
        }
        if (c == C_SPACE) {
            if (run != SIZE_MAX) {
                emit_run(s, run, i, core_a, core_b, core_flags_of(s, core_a, core_b, alpha),
                         spaceless, t->n_lines);
                run = SIZE_MAX;
            }
            if (cp == '\n') {
                push_line(ls.start, i, ls.first_word);
                ls.start = i + 1;
                ls.first_word = t->n_words;
            }
        } else {
            if (run == SIZE_MAX) {
                size_t end;
                if (u[i] < 0x80 && !refused) {
                    /* most runs are plain ASCII: classified 16 bytes at a time */
                    unsigned fl;
                    if (ascii_run(u, n, i, &end, &core_a, &core_b, &fl)) {
                        emit_run(s, i, end, core_a, core_b, fl, false, t->n_lines);
                        while (end < n && u[end] == ' ') /* plain spaces: nothing to do */
                            end++;
                        i = end;
                        continue;
                    }
                }
                run = i;
                core_a = core_b = 0;
                alpha = spaceless = refused = false;
            }
            if (c != C_PUNCT) {
                if (core_b == 0)
                    core_a = i;
                alpha |= c == C_ALPHA;
                spaceless |= cp >= 0x0E00 && wn_text_spaceless(cp);
                /* the common case: a run of ASCII letters and digits, in one tight loop */
                size_t j = i + len;
                while (j < n) {
                    bool letter = (unsigned)((u[j] | 0x20) - 'a') < 26;
                    if (!letter && (unsigned)(u[j] - '0') >= 10)
                        break;
                    alpha |= letter;
                    j++;
                }
                core_b = j;
                len = j - i;
            }
        }
        i += len;
    }
    t->n_chars = n - extra;
    if (run != SIZE_MAX)
        emit_run(s, run, n, core_a, core_b, core_flags_of(s, core_a, core_b, alpha),
                 spaceless, t->n_lines);
    if (ls.start < n || n == 0)
        push_line(ls.start, n, ls.first_word);
    return t;
}

/* Length of the longest prefix of u[0 .. n) without a byte >= 0x80: 64 bytes per step with
 * SSE2 (one branch per step: ~3x the 8-byte loop on whole ASCII documents), 8 without. */
static size_t ascii_prefix(const unsigned char *u, size_t n)
{
    size_t i = 0;
#if defined(__SSE2__)
    for (; i + 64 <= n; i += 64) {
        __m128i v = _mm_loadu_si128((const __m128i *)(const void *)(u + i));
        for (int k = 1; k < 4; k++)
            v = _mm_or_si128(v, _mm_loadu_si128((const __m128i *)(const void *)(u + i + 16 * k)));
        if (_mm_movemask_epi8(v))
            break;
    }
#endif
    for (uint64_t w; i + 8 <= n; i += 8)
        if (memcpy(&w, u + i, 8), w & 0x8080808080808080ull)
            break;
    while (i < n && u[i] < 0x80)
        i++;
    return i;
}

/* The length utf8_next gives the sequence at u[i] (i < n, u[i] >= 0x80) without decoding
 * it: the bytes a well-formed sequence allows after each lead byte (RFC 3629's table: the
 * second byte's range excludes overlong forms, surrogates and values over U+10FFFF, as
 * utf8_next's checks of the value do), or 1 for an invalid byte. */
static inline size_t utf8_len(const unsigned char *u, size_t n, size_t i)
{
    unsigned c = u[i];
    if (c < 0xC2 || c > 0xF4)
        return 1;
    size_t len = c < 0xE0 ? 2 : c < 0xF0 ? 3 : 4;
    if (i + len > n)
        return 1;
    unsigned lo = c == 0xE0 ? 0xA0 : c == 0xF0 ? 0x90 : 0x80;
    unsigned hi = c == 0xED ? 0x9F : c == 0xF4 ? 0x8F : 0xBF;
    if (u[i + 1] < lo || u[i + 1] > hi)
        return 1;
    if (len >= 3 && (u[i + 2] & 0xC0) != 0x80)
        return 1;
    if (len == 4 && (u[i + 3] & 0xC0) != 0x80)
        return 1;
    return len;
}

/* Any text: a valid UTF-8 sequence is one character, an invalid byte one. */
static size_t count_chars_decoding(const unsigned char *u, size_t n)
{
    size_t extra = 0, i = ascii_prefix(u, n); /* all of most English documents */
    while (i < n) {
#if defined(__SSE2__)
        /* past the first non-ASCII byte (most web pages: a curly quote, then prose), the
         * next one is found 16 bytes at a time: ascii_prefix's 64-byte steps, then 8, then
         * single bytes, cost more than the gaps between them */
        if (i + 16 <= n) {
            unsigned m = (unsigned)_mm_movemask_epi8(
                _mm_loadu_si128((const __m128i *)(const void *)(u + i)));
            if (!m) {
                i += 16;
                continue;
            }
            i += (unsigned)__builtin_ctz(m);
        } else if (u[i] < 0x80) {
            i++;
            continue;
        }
#else
        if (u[i] < 0x80) {
            i += ascii_prefix(u + i, n - i);
            continue;
        }
#endif
        do { /* a run of non-ASCII characters (dense in most languages but English) */
            size_t len = utf8_len(u, n, i);
            extra += len - 1;
            i += len;
        } while (i < n && u[i] >= 0x80);
    }
    return n - extra;
}

#if defined(__SSE2__)
/* The characters of s[0..n) when it is valid UTF-8, else SIZE_MAX. Counting by decoding
 * every non-ASCII character (count_chars_decoding) took as many instructions as language
 * ID's prediction on the filter bench's web pages, where language ID needs the length of
 * the whole text for its signal's span (sixth session, branch ftspeed3). Here valid
 * UTF-8 is checked 16 bytes at a time (SSE2, baseline x86-64) from masks of the byte kinds:
 * every lead byte must be one of C2..F4 and be followed by exactly the continuations it
 * announces (the continuations expected from the leads' masks shifted by 1, 2 and 3 equal
 * the continuations found), and the second byte after E0, ED, F0 and F4 must be in range
 * (no overlong, surrogate or > U+10FFFF). Then every continuation belongs to a character, and
 * the count is n minus them. With AVX2, 32 bytes at a time (count_chars_valid_avx2). */
static size_t count_chars_valid_sse2(const char *s, size_t n)
{
    const __m128i ones = _mm_set1_epi8(1), zero = _mm_setzero_si128();
    __m128i conts = zero;   /* continuations, summed per 8-byte lane */
    uint32_t want_next = 0; /* continuations the last chunk's leads announce in this one */
    uint32_t special_next = 0; /* bit 0: E0, ED, F0 or F4 was the last chunk's last byte */
    uint32_t e0_next = 0, ed_next = 0, f0_next = 0, f4_next = 0;
    for (size_t i = 0; i < n; i += 16) {
        while (!want_next && n - i >= 64) { /* ASCII 64 bytes at a time: most of English */
            const __m128i *v = (const __m128i *)(const void *)(s + i);
            __m128i x = _mm_or_si128(_mm_or_si128(_mm_loadu_si128(v), _mm_loadu_si128(v + 1)),
                                     _mm_or_si128(_mm_loadu_si128(v + 2), _mm_loadu_si128(v + 3)));
            if (_mm_movemask_epi8(x))
                break;
            i += 64;
        }
        if (i >= n)
            break;
        __m128i b;
        if (n - i >= 16) {
            b = _mm_loadu_si128((const __m128i *)(const void *)(s + i));
        } else {
            char tail[16] = {0}; /* NUL is ASCII: a sequence cut by the end fails below */
            memcpy(tail, s + i, n - i);
            b = _mm_loadu_si128((const __m128i *)(const void *)tail);
        }
        uint32_t high = (uint32_t)_mm_movemask_epi8(b);
        if (!high && !want_next)
            continue;
        __m128i cv = _mm_cmplt_epi8(b, _mm_set1_epi8(-64)); /* 80..BF */
        uint32_t cont = (uint32_t)_mm_movemask_epi8(cv);
        uint32_t l2 = (uint32_t)_mm_movemask_epi8(_mm_and_si128( /* C2..DF */
            _mm_cmpgt_epi8(b, _mm_set1_epi8(-63)), _mm_cmplt_epi8(b, _mm_set1_epi8(-32))));
        uint32_t l3 = (uint32_t)_mm_movemask_epi8(_mm_and_si128( /* E0..EF */
            _mm_cmpgt_epi8(b, _mm_set1_epi8(-33)), _mm_cmplt_epi8(b, _mm_set1_epi8(-16))));
        uint32_t l4 = (uint32_t)_mm_movemask_epi8(_mm_and_si128( /* F0..F4 */
            _mm_cmpgt_epi8(b, _mm_set1_epi8(-17)), _mm_cmplt_epi8(b, _mm_set1_epi8(-11))));
        uint32_t lead = l2 | l3 | l4;
        if ((high & ~cont) != lead) /* C0, C1, F5..FF */
            return SIZE_MAX;
        uint32_t want = (lead << 1 | (l3 | l4) << 2 | l4 << 3) | want_next;
        if ((want & 0xFFFF) != cont)
            return SIZE_MAX;
        want_next = want >> 16;
        __m128i e0 = _mm_cmpeq_epi8(b, _mm_set1_epi8((char)0xE0));
        __m128i ed = _mm_cmpeq_epi8(b, _mm_set1_epi8((char)0xED));
        __m128i f0 = _mm_cmpeq_epi8(b, _mm_set1_epi8((char)0xF0));
        __m128i f4 = _mm_cmpeq_epi8(b, _mm_set1_epi8((char)0xF4));
        uint32_t special = (uint32_t)_mm_movemask_epi8(
            _mm_or_si128(_mm_or_si128(e0, ed), _mm_or_si128(f0, f4)));
        if (special | special_next) { /* the second bytes of E0, ED, F0, F4 */
            uint32_t e0m = (uint32_t)_mm_movemask_epi8(e0) << 1 | e0_next;
            uint32_t edm = (uint32_t)_mm_movemask_epi8(ed) << 1 | ed_next;
            uint32_t f0m = (uint32_t)_mm_movemask_epi8(f0) << 1 | f0_next;
            uint32_t f4m = (uint32_t)_mm_movemask_epi8(f4) << 1 | f4_next;
            uint32_t below_a0 = (uint32_t)_mm_movemask_epi8(
                _mm_cmplt_epi8(b, _mm_set1_epi8(-96))); /* 80..9F */
            uint32_t below_90 = (uint32_t)_mm_movemask_epi8(
                _mm_cmplt_epi8(b, _mm_set1_epi8(-112))); /* 80..8F */
            uint32_t bad = (e0m & below_a0) | (edm & cont & ~below_a0) | (f0m & below_90) |
                           (f4m & cont & ~below_90);
            if (bad & 0xFFFF)
                return SIZE_MAX;
            e0_next = e0m >> 16;
            ed_next = edm >> 16;
            f0_next = f0m >> 16;
            f4_next = f4m >> 16;
            special_next = e0_next | ed_next | f0_next | f4_next;
        }
        conts = _mm_add_epi64(conts, _mm_sad_epu8(_mm_and_si128(cv, ones), zero));
    }
    if (want_next) /* a sequence cut by the text's end (at a chunk boundary) */
        return SIZE_MAX;
    uint64_t lanes[2];
    _mm_storeu_si128((__m128i *)(void *)lanes, conts);
    return n - (size_t)(lanes[0] + lanes[1]);
}

#ifdef TEXT_AVX2
/* count_chars_valid_sse2's checks on 32 bytes a step (AVX2; the masks are 32 bits, so what a
 * chunk's leads announce for the next is kept above bit 32): the documents language ID
 * drops on web pages (other languages, whose every chunk takes the checks) were ~1.9% of
 * the chain's samples in the 16-byte form. The compiler ends it with vzeroupper. */
__attribute__((target("avx2"))) static size_t count_chars_valid_avx2(const char *s, size_t n)
{
    const __m256i ones = _mm256_set1_epi8(1), zero = _mm256_setzero_si256();
    __m256i conts = zero;   /* continuations, summed per 8-byte lane */
    uint64_t want_next = 0; /* continuations the last chunk's leads announce in this one */
    uint64_t e0_next = 0, ed_next = 0, f0_next = 0, f4_next = 0, special_next = 0;
    for (size_t i = 0; i < n; i += 32) {
        while (!want_next && n - i >= 64) { /* ASCII 64 bytes at a time */
            const __m256i *v = (const __m256i *)(const void *)(s + i);
            if (_mm256_movemask_epi8(_mm256_or_si256(_mm256_loadu_si256(v),
                                                     _mm256_loadu_si256(v + 1))))
                break;
            i += 64;
        }
        if (i >= n)
            break;
        __m256i b;
        if (n - i >= 32) {
            b = _mm256_loadu_si256((const __m256i *)(const void *)(s + i));
        } else {
            char tail[32] = {0}; /* NUL is ASCII: a sequence cut by the end fails below */
            memcpy(tail, s + i, n - i);
            b = _mm256_loadu_si256((const __m256i *)(const void *)tail);
        }
        uint64_t high = (uint32_t)_mm256_movemask_epi8(b);
        if (!high && !want_next)
            continue;
        /* signed bytes: x < c is c > x */
        __m256i cv = _mm256_cmpgt_epi8(_mm256_set1_epi8(-64), b); /* 80..BF */
        uint64_t cont = (uint32_t)_mm256_movemask_epi8(cv);
        uint64_t l2 = (uint32_t)_mm256_movemask_epi8(_mm256_and_si256( /* C2..DF */
            _mm256_cmpgt_epi8(b, _mm256_set1_epi8(-63)), _mm256_cmpgt_epi8(_mm256_set1_epi8(-32), b)));
        uint64_t l3 = (uint32_t)_mm256_movemask_epi8(_mm256_and_si256( /* E0..EF */
            _mm256_cmpgt_epi8(b, _mm256_set1_epi8(-33)), _mm256_cmpgt_epi8(_mm256_set1_epi8(-16), b)));
        uint64_t l4 = (uint32_t)_mm256_movemask_epi8(_mm256_and_si256( /* F0..F4 */
            _mm256_cmpgt_epi8(b, _mm256_set1_epi8(-17)), _mm256_cmpgt_epi8(_mm256_set1_epi8(-11), b)));
        uint64_t lead = l2 | l3 | l4;
        if ((high & ~cont) != lead) /* C0, C1, F5..FF */
            return SIZE_MAX;
        uint64_t want = (lead << 1 | (l3 | l4) << 2 | l4 << 3) | want_next;
        if ((want & 0xFFFFFFFFu) != cont)
            return SIZE_MAX;
        want_next = want >> 32;
        __m256i e0 = _mm256_cmpeq_epi8(b, _mm256_set1_epi8((char)0xE0));
        __m256i ed = _mm256_cmpeq_epi8(b, _mm256_set1_epi8((char)0xED));
        __m256i f0 = _mm256_cmpeq_epi8(b, _mm256_set1_epi8((char)0xF0));
        __m256i f4 = _mm256_cmpeq_epi8(b, _mm256_set1_epi8((char)0xF4));
        uint64_t special = (uint32_t)_mm256_movemask_epi8(
            _mm256_or_si256(_mm256_or_si256(e0, ed), _mm256_or_si256(f0, f4)));
        if (special | special_next) { /* the second bytes of E0, ED, F0, F4 */
            uint64_t e0m = (uint64_t)(uint32_t)_mm256_movemask_epi8(e0) << 1 | e0_next;
            uint64_t edm = (uint64_t)(uint32_t)_mm256_movemask_epi8(ed) << 1 | ed_next;
            uint64_t f0m = (uint64_t)(uint32_t)_mm256_movemask_epi8(f0) << 1 | f0_next;
            uint64_t f4m = (uint64_t)(uint32_t)_mm256_movemask_epi8(f4) << 1 | f4_next;
            uint64_t below_a0 = (uint32_t)_mm256_movemask_epi8(
                _mm256_cmpgt_epi8(_mm256_set1_epi8(-96), b)); /* 80..9F */
            uint64_t below_90 = (uint32_t)_mm256_movemask_epi8(
                _mm256_cmpgt_epi8(_mm256_set1_epi8(-112), b)); /* 80..8F */
            uint64_t bad = (e0m & below_a0) | (edm & cont & ~below_a0) | (f0m & below_90) |
                           (f4m & cont & ~below_90);
            if (bad & 0xFFFFFFFFu)
                return SIZE_MAX;
            e0_next = e0m >> 32;
            ed_next = edm >> 32;
            f0_next = f0m >> 32;
            f4_next = f4m >> 32;
            special_next = e0_next | ed_next | f0_next | f4_next;
        }
        conts = _mm256_add_epi64(conts, _mm256_sad_epu8(_mm256_and_si256(cv, ones), zero));
    }
    if (want_next) /* a sequence cut by the text's end (at a chunk boundary) */
        return SIZE_MAX;
    uint64_t lanes[4];
    _mm256_storeu_si256((__m256i *)(void *)lanes, conts);
    return n - (size_t)(lanes[0] + lanes[1] + lanes[2] + lanes[3]);
}
#endif

static size_t count_chars_valid(const char *s, size_t n)
{
#ifdef TEXT_AVX2
    /* wn_filter_use_avx2 read per call: tests switch it to check both paths */
    if (wn_filter_use_avx2 && n >= 32 && __builtin_cpu_supports("avx2"))
        return count_chars_valid_avx2(s, n);
#endif
    return count_chars_valid_sse2(s, n);
}

#endif

size_t wn_text_count_chars(const char *s, size_t n)
{
    if (n > UINT32_MAX)
        n = UINT32_MAX; /* as analyze_into */
#if defined(__SSE2__)
    size_t valid = count_chars_valid(s, n);
    if (valid != SIZE_MAX)
        return valid;
#endif
    return count_chars_decoding((const unsigned char *)s, n);
}

size_t wn_text_utf8_count(const char *s, size_t n)
{
    size_t cont = 0, i = 0;
#if defined(__SSE2__)
    /* the continuation bytes (0x80..0xBF: below -64 as signed bytes) 16 at a time, each
     * compare's -1 subtracted into per-byte counts summed every 255 blocks: no branch per
     * block, where a 64-byte test for ASCII then eight-byte words took one (and a call) */
    const __m128i below = _mm_set1_epi8(-64), zero = _mm_setzero_si128();
    __m128i total = zero;
    while (n - i >= 16) {
        size_t blocks = (n - i) / 16 < 255 ? (n - i) / 16 : 255;
        __m128i a = zero, b = zero;
        size_t k = 0;
        for (; k + 2 <= blocks; k += 2, i += 32) {
            __m128i x = _mm_loadu_si128((const __m128i *)(const void *)(s + i));
            __m128i y = _mm_loadu_si128((const __m128i *)(const void *)(s + i + 16));
            a = _mm_sub_epi8(a, _mm_cmplt_epi8(x, below));
            b = _mm_sub_epi8(b, _mm_cmplt_epi8(y, below));
        }
        if (k < blocks) {
            __m128i x = _mm_loadu_si128((const __m128i *)(const void *)(s + i));
            a = _mm_sub_epi8(a, _mm_cmplt_epi8(x, below));
            i += 16;
        }
        total = _mm_add_epi64(total, _mm_add_epi64(_mm_sad_epu8(a, zero), _mm_sad_epu8(b, zero)));
    }
    uint64_t lanes[2];
    _mm_storeu_si128((__m128i *)(void *)lanes, total);
    cont = (size_t)(lanes[0] + lanes[1]);
#endif
    for (; i + 8 <= n; i += 8) {
        uint64_t w;
        memcpy(&w, s + i, 8);
        cont += wn_text_continuations8(w);
    }
    for (; i < n; i++)
        cont += ((unsigned char)s[i] & 0xC0) == 0x80;
    return n - cont;
}

const wn_text *wn_text_analyze_buf(const char *s, size_t n)
{
    return analyze_into(&own, s, n);
}

/* Does the slot hold an analysis of a text at d's text address and length, for d's index? */
static bool slot_keys(const text_slot *sl, const wn_doc *d)
{
    return sl->valid && sl->key_ptr == d->text.ptr && sl->key_len == d->text.len &&
           sl->key_index == d->input_index;
}

const wn_text *wn_text_analyze(const wn_doc *d)
{
    text_slot *sl = pick_slot(d);
    if (trust.armed && trust.doc == d && trust.slot == sl && slot_keys(sl, d))
        return &sl->t;
    const char *s = d->text.ptr ? d->text.ptr : "";
    /* the content hash (XXH3, ~20 GB/s) makes the cache safe even when a new document's
     * text lands at a freed one's address with the same length and index. A chain that
     * takes the document through all its filters now (wn_text_stage_doc_at_a_time) serves
     * this analysis to them through its trust, and nothing else looks it up: the hash
     * would only key the slot (1.5-2% of the chain on prose), so it is left out, and a
     * lookup outside the trust analyses again, as after wn_text_keep_lines */
    bool hash = !(trust.armed && trust.doc_at_a_time) || (slot_keys(sl, d) && sl->hashed);
    uint64_t h = hash ? XXH3_64bits(s, d->text.len) : 0;
    trust.doc = d;
    trust.slot = sl;
    if (hash && slot_keys(sl, d) && sl->hashed && sl->key_hash == h)
        return &sl->t;
    const wn_text *t = analyze_into(sl, s, d->text.len);
    sl->key_ptr = d->text.ptr;
    sl->key_len = d->text.len;
    sl->key_index = d->input_index;
    sl->key_hash = h;
    sl->hashed = hash;
    sl->valid = true;
    return t;
}

size_t wn_text_doc_chars(const wn_doc *d)
{
    const text_slot *sl = trust.slot;
    if (trust.armed && trust.doc == d && sl && (sl == held || sl == &own) &&
        slot_keys(sl, d) && sl->t.n == d->text.len && sl->t.valid)
        return sl->t.n_chars;
    if (trust.armed && trust.counted_doc == d && trust.counted_ptr == d->text.ptr &&
        trust.counted_len == d->text.len)
        return trust.counted_chars;
    return wn_text_utf8_count(d->text.ptr, d->text.len);
}

size_t wn_text_doc_count_chars(const wn_doc *d)
{
    const char *s = d->text.ptr ? d->text.ptr : "";
    size_t n = d->text.len;
#if defined(__SSE2__)
    size_t valid = n <= UINT32_MAX ? count_chars_valid(s, n) : SIZE_MAX;
    if (valid != SIZE_MAX) {
        trust.counted_doc = d;
        trust.counted_ptr = d->text.ptr;
        trust.counted_len = n;
        trust.counted_chars = valid;
        return valid;
    }
#endif
    return wn_text_count_chars(s, n);
}

size_t wn_text_next_doc_chars(const wn_doc *d)
{
    if (trust.armed && trust.next_analyses)
        return wn_text_analyze(d)->n_chars;
    return wn_text_count_chars(d->text.ptr ? d->text.ptr : "", d->text.len);
}

/* The characters of s[0 .. n) (n <= UINT32_MAX) as wn_text_count_chars counts them, and
 * whether it is all ASCII: one pass over valid UTF-8 (no continuation byte in it means no
 * lead byte either), where a scan for a byte >= 0x80 read the whole of a text whose lines
 * holding one were removed, before the count read it again. */
static size_t count_chars_ascii(const char *s, size_t n, bool *ascii)
{
#if defined(__SSE2__)
    size_t valid = count_chars_valid(s, n);
    if (valid != SIZE_MAX) {
        *ascii = valid == n;
        return valid;
    }
    *ascii = false; /* invalid UTF-8 holds a byte >= 0x80 */
    return count_chars_decoding((const unsigned char *)s, n);
#else
    *ascii = ascii_prefix((const unsigned char *)s, n) == n;
    return *ascii ? n : count_chars_decoding((const unsigned char *)s, n);
#endif
}

/* Does the span cut a token of its line? Tokens are sorted and disjoint, so only one
 * starting before the span or one ending after it can: walked to from the line's ends,
 * which for a whole line or one stripped of spaces stops at once (it read every token). */
static bool span_cuts(const wn_text *t, const wn_line *l, const wn_text_span *sp)
{
    size_t a = sp->off, b = (size_t)sp->off + sp->len;
    const wn_word *first = t->words + l->first_word, *end = first + l->n_words;
    for (const wn_word *w = first; w < end && w->off < a; w++)
        if ((size_t)w->off + w->len > a)
            return true;
    for (const wn_word *w = end; w > first && (size_t)w[-1].off + w[-1].len > b; w--)
        if (w[-1].off < b)
            return true;
    return false;
}

/* Do the spans fit: lines in order, within them, cutting no token, and joined by '\n'
 * giving n bytes? */
static bool spans_fit(const wn_text *t, const wn_text_span *kept, size_t n_kept, size_t n)
{
    size_t total = n_kept ? n_kept - 1 : 0;
    for (size_t k = 0; k < n_kept; k++) {
        const wn_text_span *sp = &kept[k];
        if (sp->line >= t->n_lines || (k && sp->line <= kept[k - 1].line))
            return false;
        const wn_line *l = &t->lines[sp->line];
        if (sp->off < l->off || sp->off + sp->len > l->off + l->len)
            return false;
        if (span_cuts(t, l, sp))
            return false;
        total += sp->len;
    }
    return total == n;
}

/* Moves the tokens [from, to) down to dst (dst <= from), each offset moved by `shift`
 * (mod 2^32) and its line set to `line`; returns how many are not symbols. With SSE2 a
 * token's four header fields are changed in one register: GCC's code for the structure
 * copy (fields taken apart and packed again) took ~40 instructions a token, 1.5-2% of the
 * chain where c4 keeps most documents' lines. */
static size_t moved_words(wn_word *dst, const wn_word *from, const wn_word *to, uint32_t shift,
                          uint32_t line)
{
    size_t n = (size_t)(to - from), symbols = 0;
#if defined(__SSE2__)
    const __m128i add = _mm_cvtsi32_si128((int)shift);          /* lane 0: off */
    const __m128i keep = _mm_set_epi32(-1, 0, -1, -1);          /* lane 2: line */
    const __m128i set = _mm_set_epi32(0, (int)line, 0, 0);
    const __m128i symbol = _mm_set_epi32(WN_WORD_SYMBOL, 0, 0, 0); /* lane 3: flags */
    __m128i sym = _mm_setzero_si128();
    for (; from < to; from++, dst++) {
        __m128i head = _mm_loadu_si128((const __m128i *)(const void *)from);
        uint64_t hash = from->hash;
        head = _mm_or_si128(_mm_and_si128(_mm_add_epi32(head, add), keep), set);
        sym = _mm_add_epi32(sym, _mm_and_si128(head, symbol));
        _mm_storeu_si128((__m128i *)(void *)dst, head);
        dst->hash = hash;
    }
    symbols = (uint32_t)_mm_cvtsi128_si32(_mm_shuffle_epi32(sym, 3)) / WN_WORD_SYMBOL;
#else
    for (; from < to; from++, dst++) {
        wn_word w = *from;
        w.off += shift;
        w.line = line;
        symbols += (w.flags & WN_WORD_SYMBOL) != 0;
        *dst = w;
    }
#endif
    return n - symbols;
}

/* moved_words' count for tokens that stay where they are (same offset and line): in the
 * text's unchanged first lines, ~30% of the tokens c4 keeps of prose. */
static size_t words_in_place(const wn_word *from, const wn_word *to)
{
    size_t nonsym = 0;
    for (; from < to; from++)
        nonsym += !(from->flags & WN_WORD_SYMBOL);
    return nonsym;
}

bool wn_text_keep_lines(const wn_doc *d, const wn_text *old, const wn_text_span *kept,
                        size_t n_kept)
{
    text_slot *sl = (text_slot *)(uintptr_t)old; /* the analysis is a slot's first member */
    size_t n = d->text.len;
    if ((sl != held && sl != &own) || n > UINT32_MAX || !spans_fit(old, kept, n_kept, n))
        return false;
    wn_text *t = &sl->t;
    const char *s = d->text.ptr ? d->text.ptr : "";
    /* in place: entries only move to lower indexes, read before they are overwritten */
    size_t n_words = 0, n_nonsym = 0, at = 0;
    for (size_t k = 0; k < n_kept; k++) {
        const wn_text_span *sp = &kept[k];
        wn_line l = t->lines[sp->line];
        size_t first = n_words;
        /* the span cuts no token (spans_fit), so the tokens in it are those of the line
         * less some at its start and some at its end */
        const wn_word *from = t->words + l.first_word, *to = from + l.n_words;
        while (from < to && from->off < sp->off)
            from++;
        while (to > from && to[-1].off >= (size_t)sp->off + sp->len)
            to--;
        if (at == sp->off && k == sp->line && from == t->words + n_words)
            n_nonsym += words_in_place(from, to); /* the lines before were all kept whole */
        else
            n_nonsym += moved_words(t->words + n_words, from, to, (uint32_t)(at - sp->off),
                                    (uint32_t)k);
        n_words += (size_t)(to - from);
        size_t len = sp->len;
        if (len && s[at + len - 1] == '\r') /* as push_line: a line ends before "\r\n" */
            len--;
        t->lines[k] = (wn_line){(uint32_t)at, (uint32_t)len, (uint32_t)first,
                                (uint32_t)(n_words - first)};
        at += sp->len + 1;
    }
    t->n_lines = n_kept;
    if (n_kept && kept[n_kept - 1].len == 0 && n > 0)
        t->n_lines--; /* a text ending in '\n' has no empty last line */
    if (n == 0) {
        t->n_lines = 1; /* the empty text: one empty line */
        t->lines[0] = (wn_line){0, 0, 0, 0};
    }
    t->n_words = n_words;
    t->n_nonsym = n_nonsym;
    t->s = s;
    t->n = n;
    /* kept bytes of an ASCII text are ASCII: a byte each, nothing to count; kept lines of
     * valid UTF-8 are valid (cut at ASCII bytes), those of an invalid text may be (unknown) */
    t->valid = old->valid;
    t->ascii = old->ascii;
    if (old->ascii) {
        t->n_chars = n;
    } else if (old->valid) { /* valid: counted without the checks (~2% of the chain on web
                                * pages); no continuation byte means no lead byte either */
        t->n_chars = wn_text_utf8_count(s, n);
        t->ascii = t->n_chars == n;
    } else {
        t->n_chars = count_chars_ascii(s, n, &t->ascii);
    }
    sl->key_ptr = d->text.ptr;
    sl->key_len = n;
    sl->key_index = d->input_index;
    /* no content hash (c4 rewrites most prose documents): the chain's next filters get
     * this analysis through their trust (wn_text_stage_begin); any other lookup analyses
     * the text again */
    sl->hashed = false;
    sl->valid = true;
    trust.doc = d;
    trust.slot = sl;
    return true;
}

void wn_text_note_gram_repeats(const wn_text *t, size_t n, const uint32_t *pos,
                               const unsigned char *rep, size_t m)
{
    wn_text *w = (wn_text *)(uintptr_t)t; /* the holder's own analysis (see text.h) */
    /* flags of another n: start from "unique" (the analysis sets none, gram_hint 0) */
    if (w->gram_hint && w->gram_hint != n)
        for (size_t i = 0; i < w->n_words; i++)
            w->words[i].flags &= ~(uint32_t)WN_WORD_GRAM_REPEATS;
    for (size_t k = 0; k < m; k++)
        w->words[pos[k]].flags |= rep[k] ? (uint32_t)WN_WORD_GRAM_REPEATS : 0;
    w->gram_hint = (uint32_t)n;
}

void wn_text_invalidate(void)
{
    trust.doc = NULL;
    trust.counted_doc = NULL;
    own.valid = false;
    if (held)
        held->valid = false;
}

void wn_u64map_reset(wn_u64map *m, size_t expected)
{
    size_t want = 16;
    while (want < expected * 2)
        want <<= 1;
    /* shrink after a huge document so later small ones stay in cache */
    if (want > m->cap || (m->cap > 65536 && m->cap > want * 64)) {
        free(m->slots);
        m->slots = wn_xcalloc(want, sizeof *m->slots);
        m->cap = want;
        m->gen = 0;
    }
    if (++m->gen == 0) { /* wrapped: clear once every 2^32 resets */
        for (size_t i = 0; i < m->cap; i++)
            m->slots[i].gen = 0;
        m->gen = 1;
    }
    m->n = 0;
}

void wn_u64map_grow(wn_u64map *m)
{
    wn_u64map big = {0};
    wn_u64map_reset(&big, m->cap);
    for (size_t i = 0; i < m->cap; i++) {
        if (!wn_u64map_used(m, i))
            continue;
        size_t j = m->slots[i].key & (big.cap - 1);
        while (wn_u64map_used(&big, j))
            j = (j + 1) & (big.cap - 1);
        big.slots[j] = m->slots[i];
        big.slots[j].gen = big.gen;
        big.n++;
    }
    wn_u64map_release(m);
    *m = big;
}

void wn_u64map_release(wn_u64map *m)
{
    free(m->slots);
    memset(m, 0, sizeof *m);
}

