/* fineweb.c: FineWeb's own quality rules (Penedo et al. 2024; datatrove FineWebQualityFilter):
 *   no non-blank line                                              -> fineweb.empty
 *   lines ending in terminal punctuation / lines < 0.12            -> fineweb.line_punct_ratio
 *   lines of <= 30 characters / lines > 0.67                       -> fineweb.short_line_ratio
 *   characters in duplicated lines / non-newline characters > 0.01 -> fineweb.char_dup_ratio
 *   newlines / words > 0.3                                         -> fineweb.list_ratio
 * "Terminal punctuation" is the Unicode Terminal_Punctuation property (via ICU), which is
 * what datatrove's TERMINAL_PUNCTUATION list was made from. Lines are not stripped at the
 * end, as in datatrove; blank lines (only whitespace) are ignored.
 */
#include "core/doc.h"
#include "filter/filter.h"
#include "core/buf.h"
#include "filter/line_sketch.h"

#include <stdlib.h>
#include <string.h>
#include <unicode/uchar.h>

typedef struct fw {
    double line_punct, short_line, short_len, char_dup, new_line;
} fw;

static _Thread_local wn_u64map seen;

static bool blank(const char *p, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (p[i] != ' ' && p[i] != '\t' && p[i] != '\r' && p[i] != '\v' && p[i] != '\f')
            return false;
    return true;
}

/* The last code point of (p, n); -1 when invalid. */
static int32_t last_cp(const char *p, size_t n)
{
    const unsigned char *u = (const unsigned char *)p;
    size_t i = n;
    while (i > 0 && n - i < 4 && (u[i - 1] & 0xC0) == 0x80)
        i--;
    if (i == 0)
        return -1;
    i--;
    unsigned c = u[i];
    size_t len = c < 0x80 ? 1 : c >= 0xF0 ? 4 : c >= 0xE0 ? 3 : c >= 0xC0 ? 2 : 0;
    if (len != n - i)
        return -1;
    int32_t v = len == 1 ? (int32_t)c : (int32_t)(c & (0x7F >> len));
    for (size_t k = 1; k < len; k++)
        v = (v << 6) | (u[i + k] & 0x3F);
    return v;
}

static void fw_doc(void *state, wn_doc *d, wn_stats *s)
{
    const fw *f = state;
    const wn_text *t = wn_text_analyze(d);
    size_t lines = 0, punct = 0, shorts = 0, dup_chars = 0, newlines = 0;
    bool repeats = false; /* two non-blank lines share a sketch */
    wn_u64map_reset(&seen, t->n_lines);
    for (size_t i = 0; i < t->n_lines; i++) {
        const char *p = t->s + t->lines[i].off;
        size_t n = t->lines[i].len;
        if (i + 1 < t->n_lines)
            newlines++;
        if (blank(p, n))
            continue;
        lines++;
        int32_t cp = last_cp(p, n);
        punct += cp >= 0 && u_hasBinaryProperty(cp, UCHAR_TERMINAL_PUNCTUATION);
        /* bytes >= chars: a line that short in bytes, or ASCII, needs no count */
        size_t chars = (double)n <= f->short_len || t->ascii ? n : wn_text_utf8_count(p, n);
        shorts += (double)chars <= f->short_len;
        /* after the first shared sketch the exact pass below decides: no more sketches */
        repeats = repeats || wn_u64map_add(&seen, wn_line_sketch(p, n)) > 1;
    }
    /* the duplicated lines' characters, by a hash of their bytes, only when a sketch was
     * seen twice (line_sketch.h): otherwise no line repeats (most documents of prose) */
    if (repeats)
        wn_u64map_reset(&seen, t->n_lines);
    for (size_t i = 0; repeats && i < t->n_lines; i++) {
        const char *p = t->s + t->lines[i].off;
        size_t n = t->lines[i].len;
        if (!blank(p, n) && wn_u64map_add(&seen, wn_text_hash(p, n)) > 1)
            dup_chars += n;
    }
    double nl = lines ? (double)lines : 1.0;
    double punct_r = (double)punct / nl, short_r = (double)shorts / nl;
    size_t body = t->n - newlines;
    double dup_r = body ? (double)dup_chars / (double)body : 0.0;
    double list_r = t->n_words ? (double)newlines / (double)t->n_words : (newlines ? 1e9 : 0.0);

    size_t nc = t->n_chars;
    wn_filter_signal(d, nc, s, "fineweb.line_punct_ratio", punct_r, 0, 1.0001);
    wn_filter_signal(d, nc, s, "fineweb.short_line_ratio", short_r, 0, 1.0001);
    wn_filter_signal(d, nc, s, "fineweb.char_dup_ratio", dup_r, 0, 0.2);
    wn_filter_signal(d, nc, s, "fineweb.list_ratio", list_r, 0, 1.0001);

    if (lines == 0)
        d->drop_reason = "fineweb.empty";
    else if (punct_r < f->line_punct)
        d->drop_reason = "fineweb.line_punct_ratio";
    else if (short_r > f->short_line)
        d->drop_reason = "fineweb.short_line_ratio";
    else if (dup_r > f->char_dup)
        d->drop_reason = "fineweb.char_dup_ratio";
    else if (list_r > f->new_line)
        d->drop_reason = "fineweb.list_ratio";
}

wn_stage *wn_filter_fineweb_new(wn_fparams *p)
{
    fw *f = wn_xcalloc(1, sizeof *f);
    f->line_punct = wn_fp_fraction(p, "line_punct_thr", 0.12);
    f->short_len = wn_fp_num(p, "short_line_length", 30);
    f->short_line = wn_fp_fraction(p, "short_line_thr", 0.67);
    f->char_dup = wn_fp_fraction(p, "char_duplicates_ratio", 0.01);
    f->new_line = wn_fp_num(p, "new_line_ratio", 0.3);
    return wn_filter_stage_new("fineweb", f, fw_doc, NULL);
}
