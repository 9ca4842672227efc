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
#include <stdlib.h>
#include <string.h>
#if defined(__SSE2__)
#include <emmintrin.h>
#endif

typedef struct c4 {
    double max_word_length, min_words_per_line, min_sentences;
    bool terminal_punct, lorem, javascript, curly, policy, citations;
    bool rewrite;
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

#if defined(__SSE2__)
/* The phrase starts broadcast (starts[k][j] = phrase_starts[k][j] in every byte). */
typedef struct phrase_vecs {
    __m128i starts[5][3];
} phrase_vecs;

/* One 16-byte block of find_phrases: blk holds it and the 2 bytes after it; its byte k is
 * the line's byte at + k (line[0 .. len)). */
static inline void phrase_block(phrases *f, bool *cookie, const phrase_vecs *pv,
                                const char *blk, const char *line, size_t len, size_t at)
{
    const __m128i case_bit = _mm_set1_epi8(0x20);
    __m128i v = _mm_loadu_si128((const __m128i *)(const void *)blk);
    f->curly |= wn_bytes_eq16(v, '{') != 0;
    /* c | 0x20 is a lowercase letter only for that letter and its capital */
    __m128i a = _mm_or_si128(v, case_bit), hit = _mm_setzero_si128();
    __m128i b = _mm_or_si128(_mm_loadu_si128((const __m128i *)(const void *)(blk + 1)), case_bit);
    __m128i c = _mm_or_si128(_mm_loadu_si128((const __m128i *)(const void *)(blk + 2)), case_bit);
    for (int k = 0; k < 5; k++) {
        __m128i m = _mm_and_si128(_mm_cmpeq_epi8(a, pv->starts[k][0]),
                                  _mm_cmpeq_epi8(b, pv->starts[k][1]));
        hit = _mm_or_si128(hit, _mm_and_si128(m, _mm_cmpeq_epi8(c, pv->starts[k][2])));
    }
    for (unsigned m = (unsigned)_mm_movemask_epi8(hit); m; m &= m - 1) {
        size_t i = at + (unsigned)__builtin_ctz(m);
        phrase_at(f, line + i, len - i, cookie);
    }
}
#endif

/* The phrases of a kept line in one pass: SSE2 marks the bytes where one may start (its
 * first three letters, either case), only those are compared, and the four cookie phrases
 * are searched for only in a line holding "cookie". It replaced a lowered copy of each line
 * and six memmem passes over it (glibc's memmem runs about a byte per cycle on such short
 * needles). */
static phrases find_phrases(const char *line, size_t len)
{
    phrases f = {false, false, false, false};
    bool cookie = false;
    size_t i = 0;
#if defined(__SSE2__)
    /* the 15 pattern bytes broadcast once per line, read from memory in the blocks: kept in
     * registers they were too many, so GCC broadcast them again in every block */
    phrase_vecs pv;
    for (int k = 0; k < 5; k++)
        for (int j = 0; j < 3; j++)
            pv.starts[k][j] = _mm_set1_epi8(phrase_starts[k][j]);
    for (; i + 18 <= len; i += 16)
        phrase_block(&f, &cookie, &pv, line + i, line, len, i);
    /* the last bytes from a zero-padded copy (a byte loop over them took about as long as
     * the blocks before): a zero is no '{' and starts no phrase, so a candidate needs its
     * three letters in the line, as byte by byte */
    char tail[34] = {0};
    memcpy(tail, line + i, len - i);
    for (size_t o = 0; i + o < len; o += 16)
        phrase_block(&f, &cookie, &pv, tail + o, line, len, i + o);
    i = len;
#endif
    for (; i < len; i++) {
        f.curly |= line[i] == '{';
        if (i + 2 < len && phrase_start_scalar(line + i))
            phrase_at(&f, line + i, len - i, &cookie);
    }
    if (cookie && !f.policy) { /* rare: the cookie phrases on a lowered copy */
        wn_buf_reset(&lower);
        wn_buf_grow(&lower, len + 1);
        for (size_t k = 0; k < len; k++)
            lower.data[k] = lower_byte(line[k]);
        for (size_t k = 0; k < sizeof cookie_phrases / sizeof *cookie_phrases && !f.policy; k++) {
            const char *pat = cookie_phrases[k];
            f.policy = memmem(lower.data, len, pat, strlen(pat)) != NULL;
        }
    }
    return f;
}

/* split_words over p[i .. e), byte by byte: cur is the code points of the word being read */
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

#if defined(__SSE2__)
/* One block of split_words, v: the line's bytes i .. e (e <= i + 16; past e: spaces). */
static inline void words_block(__m128i v, const char *p, size_t i, size_t e, size_t max_len,
                               size_t *cur, size_t *words, bool *too_long)
{
    if (_mm_movemask_epi8(v)) { /* a non-ASCII byte: this block byte by byte */
        words_bytes(p, i, e, max_len, cur, words, too_long);
        return;
    }
    uint32_t sp = mask_space(v), word = ~sp & 0xFFFF;
    *words += wn_bits16(word & ~((word << 1) | (*cur > 0)));
    if (!sp) {
        *cur += 16;
    } else {
        if (*cur + (unsigned)__builtin_ctz(sp) > max_len)
            *too_long = true;
        *cur = 15 - (31 - (unsigned)__builtin_clz(sp)); /* the bytes after the last space */
    }
    if (*cur > max_len)
        *too_long = true;
}
#endif

/* Words (whitespace-separated) and whether one is longer than max (in code points): a
 * length is an integer, so "> max_len" is "> floor(max_len)", compared without floats. */
static size_t split_words(const char *p, size_t n, double max_len_d, bool *too_long)
{
    size_t max_len = isnan(max_len_d) || max_len_d >= 1e18 ? SIZE_MAX
                     : max_len_d < 0                       ? 0
                                                           : (size_t)max_len_d;
    size_t words = 0, cur = 0, i = 0;
#if defined(__SSE2__)
    /* plain ASCII 16 bytes at a time; a word inside a block is shorter than 16, so only
     * the words reaching a block's ends can be too long when max_len >= 16 */
    for (; max_len >= 16 && i + 16 <= n; i += 16)
        words_block(_mm_loadu_si128((const __m128i *)(const void *)(p + i)), p, i, i + 16,
                    max_len, &cur, &words, too_long);
    if (max_len >= 16 && i < n) {
        /* the last bytes from a copy padded with spaces, which make no word */
        char tail[16];
        memset(tail, ' ', sizeof tail);
        memcpy(tail, p + i, n - i);
        words_block(_mm_loadu_si128((const __m128i *)(const void *)tail), p, i, n, max_len,
                    &cur, &words, too_long);
        i = n;
    }
#endif
    words_bytes(p, i, n, max_len, &cur, &words, too_long);
    return words;
}

#if defined(__SSE2__)
/* One block of count_sentences, v: the line's bytes i .. i + 16 (past its end: spaces,
 * which end no sentence and begin none). A block without . ! ? only tells whether a
 * sentence began. */
static inline void sentences_block(__m128i v, const char *p, size_t n, size_t i,
                                   size_t *sentences, bool *in)
{
    uint32_t end = wn_bytes_eq16(v, '.') | wn_bytes_eq16(v, '!') | wn_bytes_eq16(v, '?');
    uint32_t text = ~(mask_space(v) | end) & 0xFFFF;
    uint32_t from = 0; /* bits below `from` are done */
    while (end) {
        unsigned k = (unsigned)__builtin_ctz(end);
        end &= end - 1;
        *in |= (text & ((1u << k) - 1) & ~from) != 0;
        from = (2u << k) - 1;
        size_t j = i + k + 1;
        if (*in && (j == n || is_space(p[j]) || p[j] == '"' || p[j] == '\'')) {
            (*sentences)++;
            *in = false;
        }
    }
    *in |= (text & ~from) != 0;
}
#endif

static size_t count_sentences(const char *p, size_t n)
{
    size_t sentences = 0, i = 0;
    bool in = false;
#if defined(__SSE2__)
    for (; i + 16 <= n; i += 16)
        sentences_block(_mm_loadu_si128((const __m128i *)(const void *)(p + i)), p, n, i,
                        &sentences, &in);
    if (i < n) { /* the last bytes from a copy padded with spaces */
        char tail[16];
        memset(tail, ' ', sizeof tail);
        memcpy(tail, p + i, n - i);
        sentences_block(_mm_loadu_si128((const __m128i *)(const void *)tail), p, n, i,
                        &sentences, &in);
        i = n;
    }
#endif
    for (; i < n; i++) {
        char c = p[i];
        if (c == '.' || c == '!' || c == '?') {
            if (in && (i + 1 == n || is_space(p[i + 1]) || p[i + 1] == '"' || p[i + 1] == '\'')) {
                sentences++;
                in = false;
            }
        } else if (!is_space(c)) {
            in = true;
        }
    }
    return sentences + in;
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
        bool too_long = false;
        size_t words = split_words(p, n, c->max_word_length, &too_long);
        if (n == 0 || too_long)
            goto removed;
        /* the line without citation markers, in `kept` (rolled back when removed) */
        if (kept_lines)
            wn_buf_appendc(&kept, '\n');
        size_t line_at = kept.len;
        for (size_t i = 0; i < n;) {
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
        const char *line = kept.data + line_at;
        size_t len = kept.len - line_at;
        if (c->terminal_punct && !terminal_end(line, len))
            goto rollback;
        if ((double)words < c->min_words_per_line)
            goto rollback;
        phrases f = find_phrases(line, len);
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
        sentences += count_sentences(line, len);
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
    return wn_filter_stage_new("c4", c, c4_doc, NULL);
}
