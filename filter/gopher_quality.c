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

#include <stdlib.h>
#include <string.h>

typedef struct gq {
    double min_words, max_words, min_mean, max_mean, max_symbol, max_bullet, max_ellipsis,
        min_alpha, min_stop;
} gq;

static size_t count_sub(const char *s, size_t n, const char *pat, size_t k)
{
    size_t c = 0;
    const char *p = s, *end = s + n;
    while (p < end && (p = memmem(p, (size_t)(end - p), pat, k))) {
        c++;
        p += k;
    }
    return c;
}

/* count_sub(s, n, "...", 3): a run of k dots holds k / 3 of them (counted from the left,
 * without overlap), found with memchr, which is much faster than memmem's search. */
static size_t count_ellipses(const char *s, size_t n)
{
    size_t c = 0;
    const char *p = s, *end = s + n;
    while (p < end && (p = memchr(p, '.', (size_t)(end - p)))) {
        const char *q = p + 1;
        while (q < end && *q == '.')
            q++;
        c += (size_t)(q - p) / 3;
        p = q;
    }
    return c;
}

/* Bytes of s that are not UTF-8 continuation bytes (wn_utf8_count, inlined per word). */
static inline size_t code_points(const char *s, size_t n)
{
    size_t c = n;
    for (size_t i = 0; i < n; i++)
        c -= ((unsigned char)s[i] & 0xC0) == 0x80;
    return c;
}

/* Does the line end (spaces, tabs, '\r' aside) with "..." or "\u2026"? */
static bool ellipsis_end(const char *s, size_t n)
{
    while (n && (s[n - 1] == ' ' || s[n - 1] == '\t' || s[n - 1] == '\r'))
        n--;
    return n >= 3 && (!memcmp(s + n - 3, "...", 3) || !memcmp(s + n - 3, "\xE2\x80\xA6", 3));
}

static size_t count_byte(const char *s, size_t n, char ch)
{
    size_t c = 0;
    const char *p = s, *end = s + n;
    while (p < end && (p = memchr(p, ch, (size_t)(end - p)))) {
        c++;
        p++;
    }
    return c;
}

/* the, be, to, of, and, that, have, with (compared by length first: most words fail at once) */
static bool is_stop_word(const char *w, size_t n)
{
    switch (n) {
    case 2:
        return !memcmp(w, "be", 2) || !memcmp(w, "to", 2) || !memcmp(w, "of", 2);
    case 3:
        return !memcmp(w, "the", 3) || !memcmp(w, "and", 3);
    case 4:
        return !memcmp(w, "that", 4) || !memcmp(w, "have", 4) || !memcmp(w, "with", 4);
    default:
        return false;
    }
}

static void gq_doc(void *state, wn_doc *d, wn_stats *s)
{
    const gq *g = state;
    const wn_text *t = wn_text_analyze(d);
    size_t words = t->n_nonsym, alpha = 0, stop = 0, chars = 0;
    for (size_t i = 0; i < t->n_words; i++) {
        const wn_word *w = &t->words[i];
        alpha += (w->flags & WN_WORD_ALPHA) != 0;
        if (w->flags & WN_WORD_SYMBOL)
            continue;
        chars += t->ascii ? w->len : code_points(t->s + w->off, w->len); /* ASCII: a byte each */
        stop += w->len <= 4 && is_stop_word(t->s + w->off, w->len);
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
    double hash_ratio = (double)count_byte(t->s, t->n, '#') / nw;
    size_t ellipses = count_ellipses(t->s, t->n); /* "\u2026" only outside ASCII */
    if (!t->ascii)
        ellipses += count_sub(t->s, t->n, "\xE2\x80\xA6", 3);
    double ell_ratio = (double)ellipses / nw;
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
    gq *g = wn_xcalloc(1, sizeof *g);
    g->min_words = wn_fp_num(p, "min_doc_words", 50);
    g->max_words = wn_fp_num(p, "max_doc_words", 100000);
    g->min_mean = wn_fp_num(p, "min_avg_word_length", 3);
    g->max_mean = wn_fp_num(p, "max_avg_word_length", 10);
    g->max_symbol = wn_fp_num(p, "max_symbol_word_ratio", 0.1);
    g->max_bullet = wn_fp_num(p, "max_bullet_lines_ratio", 0.9);
    g->max_ellipsis = wn_fp_num(p, "max_ellipsis_lines_ratio", 0.3);
    g->min_alpha = wn_fp_num(p, "min_alpha_words_ratio", 0.8);
    g->min_stop = wn_fp_num(p, "min_stop_words", 2);
    return wn_filter_stage_new("gopher_quality", g, gq_doc, NULL);
}
