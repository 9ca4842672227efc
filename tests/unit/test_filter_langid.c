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

static uint64_t rng(uint64_t *s)
{
    *s ^= *s << 13;
    *s ^= *s >> 7;
    *s ^= *s << 17;
    return *s;
}

/* The span of "langid.score" ends at the text's characters as wn_text_count_chars counts
 * them (the stage checks UTF-8 16 bytes at a time and counts the continuations): random
 * texts of ASCII, valid 2-, 3- and 4-byte characters and every kind of invalid sequence
 * (bad leads, lone continuations, cut sequences, overlongs, surrogates, > U+10FFFF), at
 * every offset of a 16-byte chunk, with runs of ASCII over 64 bytes, and cut at the end, each
 * in a buffer of its exact length. */
static void test_langid_char_count(void **state)
{
    (void)state;
    static const char *const pieces[] = {
        "a", "the quick brown fox jumps over the lazy dog ", "\n", "\xC3\xA9", "\xD0\x96", "\xE6\x97\xA5", "\xE0\xA4\x85",
        "\xED\x9F\xBF", "\xEF\xBF\xBD", "\xF0\x9F\x98\x80", "\xF4\x8F\xBF\xBF",
        "\xC0\xAF", "\xC1\xBF", "\xF5\x80\x80\x80", "\xFF", "\x80", "\xBF\xBF",
        "\xE0\x80\x80", "\xE0\x9F\xBF", "\xED\xA0\x80", "\xF0\x80\x80\x80",
        "\xF0\x8F\xBF\xBF", "\xF4\x90\x80\x80", "\xE6\x97", "\xF0\x9F\x98", "\xC3",
        "\xE6\x41\x41", "\xC3\xC3\xA9",
    };
    wn_stage *st = filter_make("langid", "");
    uint64_t s = 2024;
    char buf[400];
    for (int t = 0; t < 20000; t++) {
        size_t n = rng(&s) % 16; /* the first piece at any offset of a chunk */
        for (size_t k = 0; k < n; k++)
            buf[k] = 'x';
        size_t target = rng(&s) % 300;
        bool only_valid = rng(&s) % 2; /* half the texts valid: the fast path's result */
        while (n < target) {
            size_t p = rng(&s) % (only_valid ? 11 : sizeof pieces / sizeof *pieces);
            size_t len = strlen(pieces[p]);
            memcpy(buf + n, pieces[p], len);
            n += len;
        }
        if (rng(&s) % 4 == 0 && n)
            n -= 1 + rng(&s) % (n < 3 ? n : 3); /* cut inside the last character */
        char *text = malloc(n ? n : 1);
        assert_non_null(text);
        memcpy(text, buf, n);
        wn_doc d;
        filter_run(st, &d, text, n, NULL);
        const wn_attr *a = wn_doc_attr_find(&d, "langid.score");
        assert_non_null(a);
        if (a->n_chars != wn_text_count_chars(text, n))
            fail_msg("%zu characters counted, %zu wanted, for a text of %zu bytes", a->n_chars,
                     wn_text_count_chars(text, n), n);
        wn_doc_release(&d);
        free(text);
    }
    /* a lead, then ASCII (whole chunks of it), then continuations: invalid, however far */
    static const char leads[] = {'\xC3', '\xE6', '\xF0'};
    for (size_t l = 0; l < sizeof leads; l++)
        for (size_t at = 0; at < 16; at++)
            for (size_t gap = 0; gap < 150; gap++) {
                size_t n = 0;
                memset(buf, 'x', at);
                n = at;
                buf[n++] = leads[l];
                memset(buf + n, ' ', gap);
                n += gap;
                memcpy(buf + n, "\x97\xA5\x80" "abc", 6);
                n += 6;
                wn_doc d;
                filter_run(st, &d, buf, n, NULL);
                const wn_attr *a = wn_doc_attr_find(&d, "langid.score");
                assert_non_null(a);
                assert_int_equal(a->n_chars, wn_text_count_chars(buf, n));
                wn_doc_release(&d);
            }
    wn_stage_free(st);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_langid_language_set_and_threshold),
        cmocka_unit_test(test_langid_char_count),
        cmocka_unit_test(test_langid_accuracy),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
