/* test_filter_langid.c: the langid filter with the shipped lid.176.ftz, and its accuracy on
 * ../shared/data/langid/langid.jsonl.gz (6,647 Debian paragraphs in 43 languages); the
 * figure printed here is the one in docs/filter.md. */
#include "filter_helpers.h"

typedef struct acc {
    wn_stage *st;
    size_t n, right, kept_en, en, kept_other, other;
    size_t by_kind_n[4], by_kind_right[4];
} acc;

static int kind_index(const char *k)
{
    static const char *const kinds[4] = {"book", "faq", "manpage", "ui-string"};
    for (int i = 0; i < 4; i++)
        if (k && !strcmp(k, kinds[i]))
            return i;
    return 0;
}

static int one(wn_doc *d, void *ctx)
{
    acc *a = ctx;
    const char *want = meta_str(d, "lang");
    wn_stats s;
    wn_stats_init(&s, "langid");
    wn_text_invalidate();
    a->st->process_doc(a->st->state, d, &s);
    wn_stats_release(&s);
    const char *got = wn_doc_attr_get_string(d, "langid.language");
    assert_non_null(got);
    /* lid.176 names Norwegian Bokmal "no" */
    bool right = !strcmp(got, want) || (!strcmp(want, "nb") && !strcmp(got, "no"));
    int k = kind_index(meta_str(d, "kind"));
    a->n++;
    a->right += right;
    a->by_kind_n[k]++;
    a->by_kind_right[k] += right;
    if (!strcmp(want, "en")) {
        a->en++;
        a->kept_en += d->drop_reason == NULL;
    } else {
        a->other++;
        a->kept_other += d->drop_reason == NULL;
    }
    return 0;
}

static void test_langid_accuracy(void **state)
{
    char path[512];
    SHARED_OR_SKIP(path, "langid/langid.jsonl.gz");
    acc a = {filter_make("langid", ""), 0, 0, 0, 0, 0, 0, {0}, {0}};
    each_shared_doc(path, one, &a);
    double top1 = (double)a.right / (double)a.n;
    print_message("langid: top-1 accuracy %.2f%% on %zu paragraphs (book %.1f%%, faq %.1f%%, "
                  "manpage %.1f%%, ui-string %.1f%%)\n", 100 * top1, a.n,
                  100.0 * (double)a.by_kind_right[0] / (double)(a.by_kind_n[0] ? a.by_kind_n[0] : 1),
                  100.0 * (double)a.by_kind_right[1] / (double)(a.by_kind_n[1] ? a.by_kind_n[1] : 1),
                  100.0 * (double)a.by_kind_right[2] / (double)(a.by_kind_n[2] ? a.by_kind_n[2] : 1),
                  100.0 * (double)a.by_kind_right[3] / (double)(a.by_kind_n[3] ? a.by_kind_n[3] : 1));
    print_message("langid: default filter (en, score >= 0.65) keeps %.1f%% of English, %.2f%% of "
                  "other languages\n", 100.0 * (double)a.kept_en / (double)a.en,
                  100.0 * (double)a.kept_other / (double)a.other);
    assert_true(a.n > 6000);
    assert_true(top1 > 0.85);
    assert_true((double)a.kept_other / (double)a.other < 0.02);
    wn_stage_free(a.st);
}

static void test_langid_language_set_and_threshold(void **state)
{
    wn_stage *st = filter_make("langid", "languages: [fr, de], min_score: 0.5");
    wn_doc d;
    const char *fr = "Le chat dort sur le canap\xc3\xa9 pendant que la pluie tombe dehors.";
    assert_null(filter_run(st, &d, fr, strlen(fr), NULL));
    assert_string_equal(wn_doc_attr_get_string(&d, "langid.language"), "fr");
    wn_doc_release(&d);
    const char *en = "The cat sleeps on the sofa while the rain falls outside.";
    assert_reason(filter_run(st, &d, en, strlen(en), NULL), "langid.language");
    wn_doc_release(&d);
    wn_stage_free(st);
    st = filter_make("langid", "languages: [en], min_score: 0.9999");
    assert_reason(filter_run(st, &d, "ok", 2, NULL), "langid.low_score");
    wn_doc_release(&d);
    wn_stage_free(st);
}

/* The span of "langid.score" ends at the text's characters as wn_text_count_chars counts
 * them (its fast path is tested against a byte reference in test_filter_fastpaths.c):
 * ASCII, valid UTF-8, invalid bytes, and a character cut at the end. */
static void test_langid_char_count(void **state)
{
    (void)state;
    static const char *const texts[] = {
        "the quick brown fox jumps over the lazy dog",
        "caf\xC3\xA9 \xE6\x97\xA5\xE6\x9C\xAC \xF0\x9F\x98\x80 and more words after them",
        "bad \xC0\xAF lead, lone \x80 continuation, surrogate \xED\xA0\x80 here",
        "a character cut at the end \xE6\x97",
    };
    wn_stage *st = filter_make("langid", "");
    for (size_t i = 0; i < sizeof texts / sizeof *texts; i++) {
        size_t n = strlen(texts[i]);
        char *text = malloc(n);
        assert_non_null(text);
        memcpy(text, texts[i], n); /* a buffer of the text's exact length */
        wn_doc d;
        filter_run(st, &d, text, n, NULL);
        const wn_attr *a = wn_doc_attr_find(&d, "langid.score");
        assert_non_null(a);
        assert_int_equal(a->n_chars, wn_text_count_chars(text, n));
        wn_doc_release(&d);
        free(text);
    }
    wn_stage_free(st);
}

/* In a chain whose next filter analyses every document (gopher_repetition), langid takes
 * the count from the analysis it makes for that filter (wn_text_next_doc_chars): the same
 * count, invalid bytes included (core's wn_utf8_count differs there), for a document it
 * keeps and, with --annotate-only, for one it would drop; and the next filter's span is
 * the same. */
static const char *const chain_texts[] = {
    "the quick brown fox jumps over the lazy dog and runs far away from here",
    "caf\xC3\xA9 \xE6\x97\xA5\xE6\x9C\xAC \xF0\x9F\x98\x80 and more words after them",
    "bad \xC0\xAF lead, lone \x80 continuation, surrogate \xED\xA0\x80 here \xFF\xFE",
    "a character cut at the end \xE6\x97",
    "\xD0\xBF\xD1\x80\xD0\xB8\xD0\xB2\xD0\xB5\xD1\x82 \xD0\xBC\xD0\xB8\xD1\x80 "
    "\xD0\xBA\xD0\xB0\xD0\xBA \xD0\xB4\xD0\xB5\xD0\xBB\xD0\xB0 \xD1\x83 "
    "\xD1\x82\xD0\xB5\xD0\xB1\xD1\x8F \xD1\x81\xD0\xB5\xD0\xB3\xD0\xBE\xD0\xB4\xD0\xBD\xD1\x8F",
};

static void chain_from(wn_filter_chain *c, const char *yaml, bool annotate_only)
{
    char err[512];
    json_t *cfg = wn_yaml_parse(yaml, strlen(yaml), err, sizeof err);
    assert_non_null(cfg);
    if (wn_filter_chain_build(c, cfg, NULL, annotate_only, err, sizeof err))
        fail_msg("%s", err);
    json_decref(cfg);
}

/* d holds text (not copied), s is empty, and no analysis is cached */
static void fresh_doc(wn_doc *d, wn_stats *s, const char *text, size_t n)
{
    wn_doc_init(d);
    wn_str_set(&d->text, text, n);
    wn_stats_init(s, "chain");
    wn_text_invalidate();
}

static void check_chain_counts(const char *yaml, bool annotate_only)
{
    const char *const *texts = chain_texts;
    wn_filter_chain c;
    chain_from(&c, yaml, annotate_only);
    for (size_t i = 0; i < sizeof chain_texts / sizeof *chain_texts; i++) {
        size_t n = strlen(texts[i]);
        wn_doc d;
        wn_stats s;
        fresh_doc(&d, &s, texts[i], n);
        for (size_t k = 0; k < c.n && !d.drop_reason; k++)
            c.stages[k]->process_doc(c.stages[k]->state, &d, &s);
        size_t want = wn_text_count_chars(texts[i], n);
        const wn_attr *a = wn_doc_attr_find(&d, "langid.score");
        assert_non_null(a);
        assert_int_equal(a->n_chars, want);
        const wn_attr *g = wn_doc_attr_find(&d, "gopher_rep.dup_para_frac");
        assert_non_null(g);
        assert_int_equal(g->n_chars, want);
        wn_stats_release(&s);
        wn_doc_release(&d);
    }
    wn_filter_chain_release(&c);
}

static void test_langid_char_count_in_chain(void **state)
{
    (void)state;
    /* any language: every document goes on */
    check_chain_counts("filters: [{name: langid, languages: [], min_score: 0},"
                       " {name: gopher_repetition}]", false);
    /* a language none of them is: each would be dropped, and goes on */
    check_chain_counts("filters: [{name: langid, languages: [sw]}, {name: gopher_repetition}]",
                       true);
}

/* A document language ID drops is counted once (wn_text_doc_count_chars): the chain's
 * "lost:" counter takes that count when the text is valid UTF-8, and must equal
 * wn_text_utf8_count's (core's count) on every text, invalid bytes included, as the
 * signal's span must equal wn_text_count_chars's. */
static void test_langid_lost_count(void **state)
{
    (void)state;
    const char *const *texts = chain_texts;
    wn_filter_chain c;
    chain_from(&c, "filters: [{name: langid, languages: [sw]}, {name: gopher_repetition}]",
               false);
    for (size_t i = 0; i < sizeof chain_texts / sizeof *chain_texts; i++) {
        size_t n = strlen(texts[i]);
        wn_doc d;
        wn_stats s;
        fresh_doc(&d, &s, texts[i], n);
        c.stages[0]->process_doc(c.stages[0]->state, &d, &s);
        assert_non_null(d.drop_reason);
        const wn_attr *a = wn_doc_attr_find(&d, "langid.score");
        assert_non_null(a);
        assert_int_equal(a->n_chars, wn_text_count_chars(texts[i], n));
        const wn_count *lost = NULL;
        for (size_t k = 0; k < s.n_counts; k++)
            if (!strncmp(s.counts[k].name, "lost:", 5))
                lost = &s.counts[k];
        assert_non_null(lost);
        assert_int_equal(lost->docs, 1);
        assert_int_equal(lost->chars, wn_text_utf8_count(texts[i], n));
        wn_stats_release(&s);
        wn_doc_release(&d);
    }
    wn_filter_chain_release(&c);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_langid_language_set_and_threshold),
        cmocka_unit_test(test_langid_char_count),
        cmocka_unit_test(test_langid_char_count_in_chain),
        cmocka_unit_test(test_langid_lost_count),
        cmocka_unit_test(test_langid_accuracy),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
