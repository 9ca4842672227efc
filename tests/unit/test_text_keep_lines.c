/* test_text_keep_lines.c: wn_text_keep_lines (filter/text.c) derives the analysis of a
 * text made of parts of another's lines by moving the old tokens (moved_words: four header
 * fields changed in one SSE2 register); its plain reference is a fresh analysis of the new
 * text. Here the parts are not only whole or stripped lines (test_filter_heuristics.c
 * checks those on real mail) but any part of a line from one token's start to a later
 * token's end, so that tokens at a line's start and end are left out, on real prose and
 * README histories and on edge cases (CR LF, empty lines, no final newline, punctuation
 * tokens at the cuts). */
#include "filter_helpers.h"

#include "filter/text.h"
#include "text_test_rng.h"

static size_t pick(size_t n)
{
    return (size_t)text_rnd(n);
}

/* The analysis the cache serves d now equals a fresh one of d's text. */
static void assert_same_as_fresh(wn_doc *d)
{
    wn_text_stage_begin(d, true); /* as the chain's next filter: served without a hash */
    const wn_text *got = wn_text_analyze(d);
    const wn_text *want = wn_text_analyze_buf(d->text.ptr, d->text.len);
    assert_ptr_not_equal(got, want);
    assert_int_equal(got->n_words, want->n_words);
    assert_int_equal(got->n_nonsym, want->n_nonsym);
    assert_int_equal(got->n_lines, want->n_lines);
    assert_int_equal(got->n_chars, want->n_chars);
    /* WN_WORD_ASCII is a hint (text.h): where a cut starts a run of the new text before a
     * token the old run-by-run read took byte by byte, the fresh analysis may give it; the
     * derived one must only never claim it wrongly */
    const unsigned hint = WN_WORD_ASCII;
    for (size_t i = 0; i < got->n_words; i++) {
        const wn_word *a = &got->words[i], *b = &want->words[i];
        for (size_t k = 0; (a->flags & hint) && k < a->len; k++)
            assert_true((unsigned char)got->s[a->off + k] < 0x80);
        if (a->off != b->off || a->len != b->len || a->line != b->line ||
            (a->flags & ~hint) != (b->flags & ~hint) || a->hash != b->hash)
            fail_msg("token %zu: derived %u+%u line %u flags %u, fresh %u+%u line %u flags %u",
                     i, a->off, a->len, a->line, a->flags, b->off, b->len, b->line, b->flags);
    }
    if (got->n_lines)
        assert_memory_equal(got->lines, want->lines, got->n_lines * sizeof *got->lines);
}

/* Keep a part of some lines of d: whole, dropped, or from the start of a token to the end
 * of a later one (mode 2 only). */
static void keep_parts(wn_doc *d, int mode)
{
    const wn_text *t = wn_text_analyze(d);
    wn_text_span *spans = wn_xmalloc((t->n_lines + 1) * sizeof *spans);
    wn_buf out = WN_BUF_INIT;
    size_t n = 0;
    for (size_t li = 0; li < t->n_lines; li++) {
        const wn_line *l = &t->lines[li];
        size_t off = l->off, len = l->len;
        if (pick(4) == 0)
            continue;
        if (mode == 2 && l->n_words >= 2) {
            size_t a = l->first_word + pick(l->n_words);
            size_t b = a + pick(l->first_word + l->n_words - a);
            off = t->words[a].off;
            len = t->words[b].off + t->words[b].len - off;
        }
        if (n)
            wn_buf_appendc(&out, '\n');
        wn_buf_append(&out, t->s + off, len);
        spans[n++] = (wn_text_span){(uint32_t)li, (uint32_t)off, (uint32_t)len};
    }
    wn_filter_set_text(d, out.data ? out.data : "", out.len);
    assert_true(wn_text_keep_lines(d, t, spans, n));
    assert_same_as_fresh(d);
    wn_text_release();
    wn_buf_release(&out);
    free(spans);
}

static int keep_parts_of_doc(wn_doc *d, void *ctx)
{
    size_t *docs = ctx;
    d->input_index = *docs;
    keep_parts(d, 2);
    keep_parts(d, 1);
    return ++*docs >= 400;
}

/* Texts in which the analysis's tokens do not depend on what is around them (ASCII and
 * spaced scripts: ICU's segmentation of spaceless scripts does). */
static void test_keep_parts_of_lines(void **state)
{
    (void)state;
    wn_text_cache_init(1024);
    static const char *const files[] = {"quality/quality.jsonl.gz", "dedup/doc-history.jsonl.gz"};
    for (size_t f = 0; f < sizeof files / sizeof *files; f++) {
        char path[4096];
        SHARED_OR_SKIP(path, files[f]);
        size_t docs = 0;
        each_shared_doc(path, keep_parts_of_doc, &docs);
        assert_true(docs > 0);
    }
    static const char *const edge[] = {
        "", "\n", "a", "(word) \"quoted,\" [x]\n\n-- end.", "a\r\nb c\r\n(d)\r\n",
        "no final newline: (one) two, three.", "\n\n  lead and trail  \n\t(x)\t\n",
        "caf\xc3\xa9 (na\xc3\xafve) \xe2\x80\x9cquoted\xe2\x80\x9d, \xff bytes\n#tag ...",
    };
    for (int round = 0; round < 40; round++)
        for (size_t i = 0; i < sizeof edge / sizeof *edge; i++) {
            wn_doc d;
            wn_doc_init(&d);
            wn_str_set(&d.text, edge[i], strlen(edge[i]));
            d.input_index = 100000 + i;
            keep_parts(&d, 1 + round % 2);
            wn_doc_release(&d);
        }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_keep_parts_of_lines),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
