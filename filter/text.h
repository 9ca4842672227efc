/* text.h: one pass over a document's text that every heuristic filter shares.
 *
 * The analysis splits the text into lines (on '\n', a trailing '\r' is not part of the
 * line) and into word tokens, the way datatrove's filters see words:
 *   - tokens are runs of non-space characters; leading and trailing punctuation is split off
 *     as separate "symbol" tokens ("hello," -> "hello" ","; "#tag" -> "#" "tag"), inner
 *     punctuation stays ("e-mail", "3.5");
 *   - ASCII is classified by a table, and a run of plain ASCII 16 bytes at a time (SSE2;
 *     the fast path), or whole 64-byte windows of plain ASCII at once where the CPU has
 *     AVX2 and BMI2; other code points by ICU (u_isUWhiteSpace, u_ispunct, u_isalpha);
 *     control characters separate words;
 *   - a token holding Han, Kana, Hangul-less CJK, Thai, Lao, Khmer or Myanmar text is
 *     segmented with ICU's word break iterator, because those scripts do not space words;
 *   - invalid UTF-8 bytes count as one non-alphabetic word character each.
 * Offsets and lengths are in bytes; ratios in the filters are byte ratios (equal to code
 * point ratios on ASCII text).
 *
 * Ownership: the result stays valid until the next wn_text_analyze* or wn_text_release on
 * the same thread. wn_text_analyze caches on (text pointer, length, input_index and a hash
 * of the text), in a per-batch cache shared by the threads once wn_text_cache_init ran (the
 * chain does it), so the filters of a chain analyse a document once although the runner
 * runs them stage by stage; a stage that rewrites a document's text calls
 * wn_text_invalidate() all the same. The hash is computed at most once per document in a
 * chain: the next filters on the same document and thread are served without it
 * (wn_text_stage_begin), and a chain that takes each document through all its filters at
 * once does not compute it (wn_text_stage_doc_at_a_time).
 */
#ifndef WN_FILTER_TEXT_H
#define WN_FILTER_TEXT_H

#include "core/doc.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#if defined(__SSE2__)
#include <emmintrin.h>
#endif

enum {
    WN_WORD_ALPHA = 1,  /* holds at least one alphabetic character */
    WN_WORD_SYMBOL = 2, /* punctuation or symbols only */
    WN_WORD_DIGIT = 4,  /* holds at least one ASCII digit 0-9 */
    /* the wn_text.gram_hint tokens from this one may occur again in the text (unset: they
     * occur nowhere else as consecutive tokens); only meaningful when gram_hint != 0 */
    WN_WORD_GRAM_REPEATS = 8,
    /* the token is plain ASCII: set on the word cores the 16-byte path read (most words);
     * a token without it may be ASCII too, so it only spares a filter reading its bytes */
    WN_WORD_ASCII = 16,
};

typedef struct wn_word {
    uint32_t off, len;
    uint32_t line;
    uint32_t flags;
    uint64_t hash; /* wn_text_word_hash of the token's bytes (case-sensitive) */
} wn_word;

typedef struct wn_line {
    uint32_t off, len;           /* without the '\n' and a trailing '\r' */
    uint32_t first_word, n_words; /* tokens (symbols included) on this line */
} wn_line;

typedef struct wn_text {
    const char *s;
    size_t n;
    wn_line *lines;
    size_t n_lines;
    wn_word *words; /* all tokens, symbols included, in text order */
    size_t n_words;
    size_t n_nonsym; /* tokens that are not WN_WORD_SYMBOL */
    size_t n_chars;  /* code points (invalid bytes count one each) */
    bool ascii;      /* all bytes < 0x80 */
    /* valid UTF-8 (then n_chars is also wn_text_utf8_count's count); false may also mean
     * unknown (the kept lines of an invalid text) */
    bool valid;
    /* n when WN_WORD_GRAM_REPEATS is known for this text's n-grams (gopher_repetition
     * counts them, llama3_lines then looks up only grams that can repeat); 0: unknown */
    uint32_t gram_hint;
} wn_text;

/* Analyse d->text (cached per thread, see above). Never fails: any byte sequence gives a
 * defined result. Documents over 4 GiB are analysed up to the first 4 GiB. */
const wn_text *wn_text_analyze(const wn_doc *d);
/* Analyse an arbitrary buffer (not cached; the result is thread-local like above). */
const wn_text *wn_text_analyze_buf(const char *s, size_t n);
/* Windows of 64 bytes this thread's analyses have read with the AVX2 path (tests check
 * that it ran; 0 where the CPU or the build has no AVX2 and BMI2, or with
 * wn_filter_use_avx2 false, when the analysis reads every run on its own). */
size_t wn_text_windows_read(void);
/* Code points of s as wn_text_analyze counts them (the n_chars field: an invalid byte
 * counts one), without the analysis: for a filter that may drop a document before any
 * filter needs its words. */
size_t wn_text_count_chars(const char *s, size_t n);
/* A part of one line of an analysed text: byte offset and length in that text. */
typedef struct wn_text_span {
    uint32_t line, off, len;
} wn_text_span;

/* d's text was just replaced (wn_filter_set_text) by parts of lines of `old`, its analysis
 * before, joined by '\n': kept[0 .. n) in line order, each cutting no token (a line whole,
 * or stripped of spaces at its ends). Derives the new text's analysis from `old` in place,
 * the same as analysing the new text, without reading it word by word. Returns false and
 * does nothing (the next wn_text_analyze analyses) when the spans do not fit. Only on the
 * thread that got `old` from wn_text_analyze, before wn_text_release. */
bool wn_text_keep_lines(const wn_doc *d, const wn_text *old, const wn_text_span *kept,
                        size_t n);

/* A filter that counted t's n-grams passes on what it found: pos[0 .. m) are the token
 * indexes whose n-gram may occur more than once in the text (rep[k] != 0: it does), and
 * the n-gram starting at any other token occurs once. Sets WN_WORD_GRAM_REPEATS on the
 * tokens whose n-gram repeats and t->gram_hint = n. The flags stay right (a flag set means
 * "may repeat") in the analysis wn_text_keep_lines derives, since kept lines hold no new
 * n-gram within a line. Only on the thread that got t from wn_text_analyze. */
void wn_text_note_gram_repeats(const wn_text *t, size_t n, const uint32_t *pos,
                               const unsigned char *rep, size_t m);

/* The count core's wn_utf8_count gives (bytes that are not UTF-8 continuation bytes),
 * 16 bytes at a time: for whole documents, such as the chain's per-domain accounting, and
 * kept lines of valid UTF-8. */
size_t wn_text_utf8_count(const char *s, size_t n);
/* wn_text_utf8_count of d's text, taken from the analysis this thread served for d in the
 * chain's current filter when it is at hand and the text valid UTF-8 (the count is then
 * the analysis's n_chars) or from wn_text_doc_count_chars, else counted: the chain's
 * per-domain accounting, for documents that pii, or the filter that dropped them, had
 * analysed or counted. */
size_t wn_text_doc_chars(const wn_doc *d);
void wn_text_invalidate(void);
/* End this thread's use of the analysis it was served (the chain calls it after each
 * filter's process_doc): the chain's trust ends, and the cache slot it holds is let go for
 * other threads when this thread next begins a filter on another document (or looks up a
 * document in another slot); until then another thread analyses that slot's documents
 * into its own buffers. */
void wn_text_release(void);
/* The chain, before a filter's process_doc on d: `follows` when the filter before it in
 * the same chain ran on d on this thread just before (nothing else touched d between).
 * Until wn_text_release, the analysis this thread served for d is then served again
 * without hashing the text to check it; any other caller gets the full check. */
void wn_text_stage_begin(const wn_doc *d, bool follows);
/* The chain, after wn_text_stage_begin: whether the chain's next filter analyses every
 * document it gets first thing (gopher, c4, fineweb, llama3_lines), for
 * wn_text_next_doc_chars. wn_text_release forgets it. */
void wn_text_stage_next_analyses(bool yes);
/* The chain, after wn_text_stage_begin: whether the chain takes each document through all
 * its filters one after the other on this thread (no filter sees whole batches), so that
 * an analysis made now is served to its later filters through the trust alone. Then the
 * text is not hashed for the cache's key; a later lookup outside the trust (which would
 * have needed the hash) analyses the text again. wn_text_release forgets it. */
void wn_text_stage_doc_at_a_time(bool yes);
/* The characters of d's text as wn_text_count_chars counts them, for a filter that passes d
 * on to the chain's next filter: when that filter analyses d first thing, taken from the
 * analysis, made now and served to it through the chain's trust (counting read the whole
 * text once more: ~3% of the chain on web pages); otherwise counted. */
size_t wn_text_next_doc_chars(const wn_doc *d);
/* wn_text_count_chars of d's text, for a filter that drops d: when the text is valid UTF-8
 * the count is also wn_text_utf8_count's, and wn_text_doc_chars serves it to the chain's
 * per-domain accounting until wn_text_release (counting again was ~0.5% of the chain on
 * web pages, whose other languages language ID drops). */
size_t wn_text_doc_count_chars(const wn_doc *d);
/* Make the shared cache `n` documents big (>= the runner's batch size; a larger batch only
 * loses some hits). Once per process, single-threaded; later calls do nothing. */
void wn_text_cache_init(size_t n);

/* Hash of bytes (XXH3), never 0 (0 marks empty slots in wn_u64map). */
uint64_t wn_text_hash(const void *p, size_t n);
/* Hash of a word's bytes, never 0, as wn_word.hash holds it: one 64x64->128-bit multiply
 * of the bytes zero-padded to 16, up to 16 bytes, wn_text_hash beyond. Equal bytes give
 * equal hashes; words of up to 16 bytes that differ only by NUL bytes at their end hash
 * alike (no token holds a NUL: the analysis reads it as a space). It is not the same value
 * as wn_text_hash, so do not compare the two. */
uint64_t wn_text_word_hash(const void *p, size_t n);

/* A small open-addressing map from 64-bit keys to counts, reused between documents:
 * wn_u64map_reset keeps the allocation and empties the map in O(1) (a slot is in use only
 * when its generation is the map's current one), so a big document does not make every
 * later reset clear a big table. */
typedef struct wn_u64slot {
    uint64_t key;
    uint32_t val, gen; /* one 16-byte slot: a probe touches one cache line, not three */
} wn_u64slot;

typedef struct wn_u64map {
    wn_u64slot *slots;
    uint32_t gen;
    size_t cap, n;
} wn_u64map;

/* Is slot i in use? (for iterating over slots[0 .. cap)) */
#define wn_u64map_used(m, i) ((m)->slots[i].gen == (m)->gen)

void wn_u64map_reset(wn_u64map *m, size_t expected);
/* Double the table (called by wn_u64map_slot when it is half full). */
void wn_u64map_grow(wn_u64map *m);

/* The value slot of key, inserted with value 0 when absent (*added tells). Inline: the
 * repetition filters call it once per n-gram. */
static inline uint32_t *wn_u64map_slot(wn_u64map *m, uint64_t key, bool *added)
{
    if (!m->cap || (m->n + 1) * 2 > m->cap) {
        if (!m->cap)
            wn_u64map_reset(m, 16);
        else
            wn_u64map_grow(m);
    }
    size_t mask = m->cap - 1, j = key & mask;
    wn_u64slot *sl;
    while ((sl = &m->slots[j])->gen == m->gen) {
        if (sl->key == key) {
            *added = false;
            return &sl->val;
        }
        j = (j + 1) & mask;
    }
    sl->key = key;
    sl->gen = m->gen;
    sl->val = 0;
    m->n++;
    *added = true;
    return &sl->val;
}

/* Add one to key's count and return the new count. */
static inline uint32_t wn_u64map_add(wn_u64map *m, uint64_t key)
{
    bool added;
    return ++*wn_u64map_slot(m, key, &added);
}

/* key's count (0 when absent). */
static inline uint32_t wn_u64map_get(const wn_u64map *m, uint64_t key)
{
    if (!m->cap)
        return 0;
    size_t mask = m->cap - 1, j = key & mask;
    const wn_u64slot *sl;
    while ((sl = &m->slots[j])->gen == m->gen) {
        if (sl->key == key)
            return sl->val;
        j = (j + 1) & mask;
    }
    return 0;
}
void wn_u64map_release(wn_u64map *m);

/* Is the code point in a script written without spaces (Han, Kana, Thai, Lao, Khmer,
 * Myanmar)? Such text is segmented by ICU / matched as substrings. */
bool wn_text_spaceless(int32_t cp);
#if defined(__SSE2__)
/* Bit k set when byte k of v is c: the SSE2 paths' byte search, 16 bytes at a time. */
static inline uint32_t wn_bytes_eq16(__m128i v, char c)
{
    return (uint32_t)_mm_movemask_epi8(_mm_cmpeq_epi8(v, _mm_set1_epi8(c)));
}
#endif

/* Set bits of a 16-bit mask, as the SSE2 paths count bytes of a movemask (baseline x86-64
 * has no POPCNT: __builtin_popcount would be a library call). */
static inline unsigned wn_bits16(uint32_t m)
{
    m = m - ((m >> 1) & 0x5555);
    m = (m & 0x3333) + ((m >> 2) & 0x3333);
    m = (m + (m >> 4)) & 0x0F0F;
    return (m + (m >> 8)) & 0x1F;
}

/* UTF-8 continuation bytes (10xxxxxx) among the 8 bytes of w: bit 7 set and bit 6 clear
 * (moved to bit 7 by << 1), summed by a multiply. */
static inline size_t wn_text_continuations8(uint64_t w)
{
    uint64_t c = w & ~(w << 1) & 0x8080808080808080ull;
    return (size_t)(((c >> 7) * 0x0101010101010101ull) >> 56);
}

/* Character classes of the ASCII fast path. */
bool wn_ascii_punct(unsigned char c);

/* The length of the line (s, n) without its trailing spaces, tabs and '\r': where the
 * line-ending rules (Gopher's ellipsis, C4's punctuation) look for the last character. */
static inline size_t wn_text_trim_end(const char *s, size_t n)
{
    while (n && (s[n - 1] == ' ' || s[n - 1] == '\t' || s[n - 1] == '\r'))
        n--;
    return n;
}

#endif
