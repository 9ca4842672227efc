/* test_text_cache.c: the shared analysis cache (filter/text.c) never serves a stale
 * analysis, also when a chain that takes each document through all its filters at once
 * (wn_text_stage_doc_at_a_time) leaves the text's content hash out of the slot's key: the
 * chain's next filter is served that analysis through its trust, and any other lookup of a
 * text at the same address, length and index analyses it again (its plain reference: a
 * fresh analysis of the text). test_filter_heuristics.c checks the hashed path. */
#include "filter_helpers.h"

#include "filter/text.h"

/* A text long enough for the window path to read it (wn_text_windows_read counts the
 * analyses that ran), with the same length in both versions. */
static const char text_a[] =
    "The first version of this text has plain words and some punctuation, (like this); it is "
    "long enough for two windows of sixty-four bytes.";
static const char text_b[] =
    "The other version of this text has plain words and some punctuation, (like-this); it is "
    "long enough for two windows of sixty-four bytes!";

static size_t words_of(const char *s)
{
    return wn_text_analyze_buf(s, strlen(s))->n_words;
}

/* The analysis served for d equals a fresh one of its text (counts and every token). */
static void assert_fresh(const wn_text *got, const wn_doc *d)
{
    const wn_text *want = wn_text_analyze_buf(d->text.ptr, d->text.len);
    assert_int_equal(got->n_words, want->n_words);
    assert_int_equal(got->n_lines, want->n_lines);
    for (size_t i = 0; i < got->n_words; i++) {
        assert_int_equal(got->words[i].off, want->words[i].off);
        assert_int_equal(got->words[i].len, want->words[i].len);
        assert_true(got->words[i].hash == want->words[i].hash);
    }
}

/* One filter of a chain run document at a time: begin, analyse, release. */
static const wn_text *chain_filter(wn_doc *d, bool follows)
{
    wn_text_stage_begin(d, follows);
    wn_text_stage_doc_at_a_time(true);
    return wn_text_analyze(d);
}

static void test_unhashed_analysis_is_never_stale(void **state)
{
    (void)state;
    assert_int_equal(sizeof text_a, sizeof text_b);
    assert_true(words_of(text_a) != words_of(text_b)); /* "like this" vs "like-this" */
    wn_text_cache_init(1024);
    wn_doc d;
    wn_doc_init(&d);
    wn_str_set(&d.text, text_a, strlen(text_a));
    d.input_index = 11;

    /* the chain's first filter analyses; the next ones are served the same analysis */
    size_t windows = wn_text_windows_read();
    const wn_text *first = chain_filter(&d, false);
    assert_fresh(first, &d);
    bool counts = wn_text_windows_read() > windows; /* 0 without AVX2 and BMI2 */
    wn_text_release();
    windows = wn_text_windows_read();
    assert_ptr_equal(chain_filter(&d, true), first);
    assert_int_equal(wn_text_windows_read(), windows);
    wn_text_release();

    /* the text rewritten in place (same address, length and index): no lookup outside the
     * chain's trust may take the unhashed analysis for it */
    memcpy(d.text.ptr, text_b, strlen(text_b));
    assert_fresh(wn_text_analyze(&d), &d); /* a caller outside any chain */
    wn_text_release();
    memcpy(d.text.ptr, text_a, strlen(text_a));
    assert_fresh(chain_filter(&d, false), &d); /* a chain's first filter, unhashed again */
    wn_text_release();
    memcpy(d.text.ptr, text_b, strlen(text_b));
    wn_text_stage_begin(&d, false); /* a chain run stage by stage: hashes */
    assert_fresh(wn_text_analyze(&d), &d);
    wn_text_release();

    /* the hashed analysis is a hit for the next lookup outside the trust, also for a
     * document-at-a-time chain's first filter (it has the hash to check) */
    windows = wn_text_windows_read();
    wn_text_stage_begin(&d, false);
    const wn_text *t = wn_text_analyze(&d);
    wn_text_release();
    const wn_text *t2 = chain_filter(&d, false);
    if (counts)
        assert_int_equal(wn_text_windows_read(), windows); /* neither analysed */
    assert_fresh(t2, &d);
    assert_ptr_equal(t, t2);
    wn_text_release();
    /* ... and still checked by it */
    memcpy(d.text.ptr, text_a, strlen(text_a));
    assert_fresh(chain_filter(&d, false), &d);
    wn_text_release();
    wn_doc_release(&d);
}

/* Documents through a document-at-a-time chain's first filter, then each rewritten in place
 * by reversing its bytes (same address, length and index) and looked up as a caller
 * outside the chain: always the fresh analysis. */
static int rewrite_doc(wn_doc *d, void *ctx)
{
    size_t *docs = ctx;
    d->input_index = *docs;
    assert_fresh(chain_filter(d, false), d);
    wn_text_release();
    for (size_t i = 0, j = d->text.len; i + 1 < j; i++, j--) {
        char c = d->text.ptr[i];
        d->text.ptr[i] = d->text.ptr[j - 1];
        d->text.ptr[j - 1] = c;
    }
    wn_text_stage_begin(d, false);
    assert_fresh(wn_text_analyze(d), d);
    wn_text_release();
    return ++*docs >= 206;
}

static void test_real_documents_rewritten(void **state)
{
    (void)state;
    wn_text_cache_init(1024);
    /* edge cases first: empty, CR LF, empty lines, no final newline, invalid UTF-8,
     * non-ASCII and spaceless scripts, a line longer than a window */
    static const char *const edge[] = {
        "", "\n", "a\r\nb c\r\n\r\n(d)", "no final newline: (one) two, three.",
        "caf\xc3\xa9 (na\xc3\xafve) \xff\xfe bytes\n\xe0\xb8\xa0\xe0\xb8\xb2\xe0\xb8\xa9"
        "\xe0\xb8\xb2\xe0\xb9\x84\xe0\xb8\x97\xe0\xb8\xa2 \xe6\x97\xa5\xe6\x9c\xac\xe8\xaa\x9e",
        "a-line-longer-than-a-window-of-sixty-four-bytes-with-no-space-in-it-at-all,-then (x)",
    };
    size_t docs = 0;
    for (size_t i = 0; i < sizeof edge / sizeof *edge; i++) {
        wn_doc d;
        wn_doc_init(&d);
        wn_str_set(&d.text, edge[i], strlen(edge[i]));
        rewrite_doc(&d, &docs);
        wn_doc_release(&d);
    }
    char path[4096];
    SHARED_OR_SKIP(path, "quality/quality.jsonl.gz");
    each_shared_doc(path, rewrite_doc, &docs);
    assert_true(docs > sizeof edge / sizeof *edge);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_unhashed_analysis_is_never_stale),
        cmocka_unit_test(test_real_documents_rewritten),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
