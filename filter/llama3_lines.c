/* llama3_lines.c: Llama 3's duplicated n-gram coverage ratio applied per line (Llama 3
 * paper, section 3.1.1): it removes lines made of repeated content, such as runs of log or
 * error messages, which are long and unique so line deduplication misses them.
 *
 * Word n-grams (n = ngram_size, within a line, digits folded to '0' so "12:00:01" and
 * "12:00:02" match) are collected line by line. A line of at least min_line_words words
 * whose word characters are covered >= max_line_coverage by n-grams that earlier lines
 * already had is removed: the first of a run of repeated lines stays, the repeats go. The document is dropped ("llama3.dup_ngram_lines") when the removed
 * lines hold more than max_removed_frac of its characters; otherwise its text loses those
 * lines (not with --annotate-only). Signals: llama3.dup_ngram_line_frac (removed chars /
 * chars) and llama3.dup_ngram_lines (lines removed).
 */
#include "filter/filter.h"
#include "core/buf.h"

#include <stdlib.h>
#include <string.h>

typedef struct l3 {
    double n, min_words, max_cov, max_removed;
    bool rewrite;
} l3;

/* The n-grams seen, by key (0: an empty slot), and 1 + the first line that had each. */
static _Thread_local uint64_t *gram_keys;
static _Thread_local uint32_t *gram_line;
static _Thread_local size_t gram_cap, gram_mask;
static _Thread_local uint64_t *folded;
/* from[i].grams: how many grams from word i on may occur elsewhere (are looked up);
 * from[i].bytes: the bytes of the words from i on (a text's words are under 4 GiB), side
 * by side: as two arrays, their pointers were one more than the backward pass had
 * registers for, and it read one back from the stack for every word;
 * look[k]: where the gram with k such grams after it starts (from[look[k]].grams = k + 1) */
typedef struct suffix {
    uint32_t grams, bytes;
} suffix;
static _Thread_local suffix *from;
static _Thread_local uint32_t *look;
static _Thread_local size_t folded_cap;
static _Thread_local wn_buf kept;
static _Thread_local unsigned char *dropped; /* per line */
static _Thread_local size_t dropped_cap;
static _Thread_local wn_text_span *spans; /* the kept lines, for wn_text_keep_lines */

/* The hash of a word holding digits, with its digits folded to '0' (wn_text_word_hash of
 * the folded bytes, as the analysis hashes words; a word over 64 bytes keeps its own hash). */
static uint64_t fold_hash(const char *s, size_t n, uint64_t own)
{
    char tmp[64];
    if (n > sizeof tmp)
        return own;
    for (size_t i = 0; i < n; i++)
        tmp[i] = s[i] >= '0' && s[i] <= '9' ? '0' : s[i];
    return wn_text_word_hash(tmp, n);
}

static uint64_t gram_at(const uint64_t *h, size_t n)
{
    uint64_t x = 0x2545F4914F6CDD1Dull;
    for (size_t k = 0; k < n; k++) {
        x ^= h[k];
        x *= 0x9E3779B97F4A7C15ull;
        x ^= x >> 29;
    }
    return x ? x : 1;
}

/* An empty table for `grams` keys, at most a quarter full. Its own table rather than a
 * wn_u64map: that one stays as large as the thread's largest document, so a small
 * document's keys were spread over it and missed the cache, and one sized to the document
 * (half full) collided more: either way about half of this filter's time went to
 * lookups. Here the slots in use are cleared for each document (a memset of 8 bytes a
 * slot) and stay in L1. */
static void grams_clear(size_t grams)
{
    size_t cap = wn_filter_table_cap(64, 4 * grams);
    if (wn_filter_table_renew(gram_cap, cap)) {
        free(gram_keys);
        free(gram_line);
        gram_keys = wn_xmalloc(cap * sizeof *gram_keys);
        gram_line = wn_xmalloc(cap * sizeof *gram_line);
        gram_cap = cap;
    }
    memset(gram_keys, 0, cap * sizeof *gram_keys);
    gram_mask = cap - 1;
}

/* The slot of key (never 0): where it is, or the empty slot where it goes. */
static inline size_t gram_slot(uint64_t key)
{
    size_t j = key & gram_mask;
    while (gram_keys[j] && gram_keys[j] != key)
        j = (j + 1) & gram_mask;
    return j;
}

/* Line li (l): is it covered >= max_cov by n-grams that earlier lines had (when it is
 * long enough to be judged)? Records its own n-grams as seen, in the same lookup: a
 * gram's line is 1 + the first line that had it, so "seen before this line" is a value
 * <= li and a gram repeated within the line does not cover it. Only the grams to look up
 * are visited (look[], in word order), not every word: the covered words are the union
 * of the covering grams' words, and word characters are differences of suffix sums. The
 * loop over every word it replaces branched on each word's "look up?", which mispredicted
 * (a few words in a line of prose have a gram that can repeat). */
static bool line_covered(const l3 *c, const wn_line *l, size_t li, size_t n)
{
    bool judged = (double)l->n_words >= c->min_words && l->n_words >= n;
    size_t a = l->first_word;
    size_t line_grams = l->n_words >= n ? l->n_words - n + 1 : 0;
    /* the grams to look up from word a on are look[from[a].grams - 1] down to ... */
    uint32_t hi = from[a].grams, lo = from[a + line_grams].grams;
    if (hi == lo) /* none to look up or record: nothing covers a word */
        return judged && 0.0 >= c->max_cov;
    /* grams come in word order, so the words covered so far end at the end of the last
     * covering gram */
    size_t cov = 0, cover_end = a;
    for (uint32_t k = hi; k-- > lo;) {
        size_t i = look[k];
        uint64_t key = gram_at(folded + i, n);
        size_t j = gram_slot(key);
        if (!gram_keys[j]) {
            gram_keys[j] = key;
            gram_line[j] = (uint32_t)li + 1;
        } else if (gram_line[j] <= li) {
            size_t at = i > cover_end ? i : cover_end;
            cov += from[at].bytes - from[i + n].bytes;
            cover_end = i + n;
        }
    }
    if (!judged)
        return false;
    size_t total = from[a].bytes - from[a + l->n_words].bytes;
    return (total ? (double)cov / (double)total : 0.0) >= c->max_cov;
}

static void l3_doc(void *state, wn_doc *d, wn_stats *s)
{
    const l3 *c = state;
    const wn_text *t = wn_text_analyze(d);
    size_t n = (size_t)c->n;
    /* word hashes of non-symbol words, digits folded; line boundaries come from wn_line */
    if (folded_cap < t->n_words + 1) {
        folded_cap = t->n_words + 1024;
        free(folded);
        free(from);
        free(look);
        folded = wn_xmalloc(folded_cap * sizeof *folded);
        from = wn_xmalloc(folded_cap * sizeof *from);
        look = wn_xmalloc(folded_cap * sizeof *look);
    }
    /* Which grams need a lookup. When gopher_repetition counted this text's n-grams
     * (gram_hint), a gram it found once occurs nowhere else, so no other line can have it
     * and it covers nothing: only grams it saw repeat, and those holding a word with a
     * digit (folding makes "12:01" and "12:02" equal, which it told apart), are looked up
     * and recorded. Words without digits fold to themselves and never equal a folded
     * word (that holds a '0'), so the rest of the grams compare as it compared them. */
    bool hint = t->gram_hint == n;
    size_t next_digit = SIZE_MAX - n; /* the first word with a digit after i */
    uint32_t grams = 0; /* in a register: through from[i + 1].grams each word waited on
                         * the store before */
    uint32_t bytes = 0;
    /* the arrays in locals: through the thread-local pointers GCC read each of them again
     * for every word (the fold_hash call could change them) */
    const wn_word *words = t->words;
    uint64_t *fo = folded;
    suffix *fr = from;
    uint32_t *lk = look;
    fr[t->n_words] = (suffix){0, 0};
    for (size_t i = t->n_words; i-- > 0;) {
        const wn_word *w = &words[i];
        bool digit = w->flags & WN_WORD_DIGIT;
        fo[i] = digit ? fold_hash(t->s + w->off, w->len, w->hash) : w->hash;
        next_digit = digit ? i : next_digit;
        /* stored whether or not the gram at i is looked up: a word that is not is
         * overwritten by the next one down, until the one that is (no branch) */
        lk[grams] = (uint32_t)i;
        grams += !hint | ((w->flags & WN_WORD_GRAM_REPEATS) != 0) | (next_digit < i + n);
        bytes += w->len;
        fr[i] = (suffix){grams, bytes};
    }
    grams_clear(grams);
    /* pass 1: which lines go */
    if (dropped_cap < t->n_lines) {
        dropped_cap = t->n_lines + 256;
        free(dropped);
        free(spans);
        dropped = wn_xmalloc(dropped_cap);
        spans = wn_xmalloc(dropped_cap * sizeof *spans);
    }
    size_t removed_chars = 0, removed_lines = 0;
    for (size_t li = 0; li < t->n_lines; li++) {
        const wn_line *l = &t->lines[li];
        /* this line's n-grams count as seen for the lines after it: the first of a run
         * of repeated lines stays, the repeats go */
        dropped[li] = line_covered(c, l, li, n);
        if (dropped[li]) {
            removed_chars += l->len + 1;
            removed_lines++;
        }
    }
    /* pass 2, only when a line goes: the text without them */
    wn_buf_reset(&kept);
    size_t n_spans = 0;
    for (size_t li = 0; removed_lines && c->rewrite && li < t->n_lines; li++) {
        if (dropped[li])
            continue;
        if (n_spans)
            wn_buf_appendc(&kept, '\n');
        wn_buf_append(&kept, t->s + t->lines[li].off, t->lines[li].len);
        spans[n_spans++] = (wn_text_span){(uint32_t)li, t->lines[li].off, t->lines[li].len};
    }
    if (removed_chars > t->n)
        removed_chars = t->n;
    double frac = t->n ? (double)removed_chars / (double)t->n : 0.0;
    wn_filter_signal(d, t->n_chars, s, "llama3.dup_ngram_line_frac", frac, 0, 1.0001);
    wn_filter_signal(d, t->n_chars, s, "llama3.dup_ngram_lines", (double)removed_lines, 0, 100);
    if (!removed_lines)
        return;
    if (frac > c->max_removed) {
        d->drop_reason = "llama3.dup_ngram_lines";
        return;
    }
    if (c->rewrite) {
        wn_stats_add(s, "llama3.lines_removed", (double)removed_lines);
        wn_filter_set_text(d, kept.data, kept.len);
        wn_text_keep_lines(d, t, spans, n_spans);
    }
}

wn_stage *wn_filter_llama3_lines_new(wn_fparams *p)
{
    l3 *c = wn_xcalloc(1, sizeof *c);
    c->n = wn_fp_num(p, "ngram_size", 3);
    c->min_words = wn_fp_num(p, "min_line_words", 5);
    c->max_cov = wn_fp_fraction(p, "max_line_coverage", 0.8);
    c->max_removed = wn_fp_fraction(p, "max_removed_frac", 0.5);
    c->rewrite = !p->annotate_only;
    if (c->n < 1 || c->n > 16)
        wn_fp_fail(p, "ngram_size must be 1..16");
    return wn_filter_stage_new("llama3_lines", c, l3_doc, NULL);
}
