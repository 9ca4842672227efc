/* test_filter_realtext.c: the filters' fast paths (word hashes loaded and masked, Gopher
 * quality's branch-free counts, ...) against plain references written here from the rules
 * in the headers, on real text (../shared/data: English prose and spam, Debian copyright
 * files, README histories, 43 languages of the langid set) and on edge cases: the empty
 * text, no newline, invalid UTF-8, controls, a 1 MB line. */
#include "filter_helpers.h"

#include <math.h>

/* ---- documents: the real ones and the edge cases ---- */

typedef void (*text_check)(const char *s, size_t n);

typedef struct shared_run {
    text_check check;
    size_t docs, max_docs;
} shared_run;

static int run_one(wn_doc *d, void *ctx)
{
    shared_run *r = ctx;
    r->check(d->text.ptr ? d->text.ptr : "", d->text.len);
    return ++r->docs >= r->max_docs;
}

/* check() on the first max_docs documents of each shared file, then on the edge cases. */
static void on_real_and_edge_texts(text_check check, size_t max_docs)
{
    static const char *const files[] = {"quality/quality.jsonl.gz", "dedup/copyright.jsonl.gz",
                                        "dedup/doc-history.jsonl.gz", "langid/langid.jsonl.gz"};
    for (size_t f = 0; f < sizeof files / sizeof *files; f++) {
        char path[4096];
        SHARED_OR_SKIP(path, files[f]);
        shared_run r = {check, 0, max_docs};
        each_shared_doc(path, run_one, &r);
        assert_true(r.docs > 0);
    }
    static const char *const edge[] = {
        "", "word", "no newline at all, just words and the end.", "\n\n\n", "a\r\nb\r\n",
        "bad \xff\xfe utf-8 \xc3 and \xe2\x80 cut", "ctl\x01\x02 words\x7f here\x0c",
        "the... and.... with...... \xe2\x80\xa6 # ## of to be that have", "#####",
        "caf\xc3\xa9 na\xc3\xafve \xe6\x97\xa5\xe6\x9c\xac\xe8\xaa\x9e the and",
    };
    for (size_t i = 0; i < sizeof edge / sizeof *edge; i++)
        check(edge[i], strlen(edge[i]));
    /* a 1 MB line: words of every length up to 40 bytes, with dots and stop words */
    wn_buf b = WN_BUF_INIT;
    for (unsigned k = 0; b.len < (1u << 20); k++) {
        static const char *const w[] = {"the", "of", "x", "supercalifragilistic", "3.14",
                                        "...", "#tag", "na\xc3\xafve", "with", "abcdefghijklmnopqrstuvwxyz0123456789ABCD"};
        wn_buf_appends(&b, w[k % 10]);
        wn_buf_append(&b, w[(k * 7) % 10], k % 41 < 40 ? k % 41 % 17 : 0);
        wn_buf_appendc(&b, ' ');
    }
    check(b.data, b.len);
    wn_buf_release(&b);
}

/* ---- word hashes ---- */

/* Every token's hash is wn_text_word_hash of a copy of its bytes (so the load-and-mask path
 * of the analysis gives the copy path's value), and distinct short words of a document
 * have distinct hashes. */
static void check_word_hashes(const char *s, size_t n)
{
    const wn_text *t = wn_text_analyze_buf(s, n);
    for (size_t i = 0; i < t->n_words; i++) {
        const wn_word *w = &t->words[i];
        char *copy = malloc(w->len + 1);
        memcpy(copy, s + w->off, w->len);
        if (w->hash != wn_text_word_hash(copy, w->len))
            fail_msg("word %zu ('%.*s'): analysis hash differs", i, (int)w->len, s + w->off);
        assert_true(w->hash != 0);
        free(copy);
    }
    /* distinct words, distinct hashes: for each word, the first with the same hash */
    wn_u64map first = {0};
    wn_u64map_reset(&first, t->n_words);
    for (size_t i = 0; i < t->n_words && i < 20000; i++) {
        const wn_word *w = &t->words[i];
        bool added;
        uint32_t *at = wn_u64map_slot(&first, w->hash, &added);
        if (added) {
            *at = (uint32_t)i;
            continue;
        }
        const wn_word *o = &t->words[*at];
        if (o->len != w->len || memcmp(s + o->off, s + w->off, w->len))
            fail_msg("'%.*s' and '%.*s' share a hash", (int)o->len, s + o->off, (int)w->len,
                     s + w->off);
    }
    wn_u64map_release(&first);
}

static void test_word_hashes(void **state)
{
    (void)state;
    on_real_and_edge_texts(check_word_hashes, 400);
}

/* ---- Gopher quality ---- */

static size_t ref_count(const char *s, size_t n, const char *pat)
{
    size_t c = 0, k = strlen(pat);
    for (size_t i = 0; i + k <= n;)
        if (!memcmp(s + i, pat, k)) {
            c++;
            i += k; /* without overlap, as str.count */
        } else {
            i++;
        }
    return c;
}

static size_t ref_code_points(const char *s, size_t n)
{
    size_t c = 0;
    for (size_t i = 0; i < n; i++)
        c += ((unsigned char)s[i] & 0xC0) != 0x80;
    return c;
}

static bool ref_stop_word(const char *s, size_t n)
{
    static const char *const stop[] = {"the", "be", "to", "of", "and", "that", "have", "with"};
    for (size_t i = 0; i < 8; i++)
        if (strlen(stop[i]) == n && !memcmp(stop[i], s, n))
            return true;
    return false;
}

static wn_stage *gq_stage;

/* The word-based signals of gopher_quality against byte-by-byte references. */
static void check_gopher_quality(const char *s, size_t n)
{
    wn_doc d;
    filter_run(gq_stage, &d, s, n, NULL);
    const wn_text *t = wn_text_analyze_buf(s, n);
    size_t words = 0, chars = 0, stop = 0, alpha = 0;
    for (size_t i = 0; i < t->n_words; i++) {
        const wn_word *w = &t->words[i];
        alpha += (w->flags & WN_WORD_ALPHA) != 0;
        if (w->flags & WN_WORD_SYMBOL)
            continue;
        words++;
        chars += ref_code_points(s + w->off, w->len);
        stop += ref_stop_word(s + w->off, w->len);
    }
    double nw = words ? (double)words : 1.0;
    double hashes = (double)ref_count(s, n, "#") / nw;
    double ell = (double)(ref_count(s, n, "...") + ref_count(s, n, "\xE2\x80\xA6")) / nw;
    assert_true(attr(&d, "gopher.word_count") == (double)words);
    assert_true(attr(&d, "gopher.mean_word_length") == (words ? (double)chars / nw : 0.0));
    assert_true(attr(&d, "gopher.symbol_ratio") == (hashes > ell ? hashes : ell));
    assert_true(attr(&d, "gopher.stop_words") == (double)stop);
    assert_true(attr(&d, "gopher.alpha_words_ratio") == (words ? (double)alpha / nw : 0.0));
    wn_doc_release(&d);
}

static void test_gopher_quality_counts(void **state)
{
    (void)state;
    gq_stage = filter_make("gopher_quality", "");
    on_real_and_edge_texts(check_gopher_quality, 400);
    wn_stage_free(gq_stage);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_word_hashes),
        cmocka_unit_test(test_gopher_quality_counts),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
