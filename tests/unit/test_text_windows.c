/* test_text_windows.c: the analysis's 64-byte window path (filter/text.c, ascii_windows:
 * AVX2 and BMI2) against its plain reference, the run-by-run path the analysis takes with
 * wn_filter_use_avx2 false: every token (offset, length, line, flags, hash), every line and
 * the text's counts must be the same, on real text (../shared/data: prose, spam, Debian
 * copyright files, README histories, 43 languages), each also cut short at offsets around
 * the window's 64 + 16 bytes, and on random texts built from the edge cases (invalid UTF-8,
 * CR/LF mixes, empty lines, no final newline, runs of 60-70 bytes, non-ASCII letters,
 * spaceless scripts, controls, NUL). The tests also check that the window path ran. */
#include "filter_helpers.h"

#include "filter/text.h"
#include "text_test_rng.h"

/* A copy of an analysis: wn_text_analyze_buf's result is overwritten by the next one. */
typedef struct text_copy {
    wn_text t;
    wn_word *words;
    wn_line *lines;
} text_copy;

static void copy_analysis(text_copy *c, const wn_text *t)
{
    c->t = *t;
    c->words = malloc((t->n_words + 1) * sizeof *c->words);
    c->lines = malloc((t->n_lines + 1) * sizeof *c->lines);
    assert_non_null(c->words);
    assert_non_null(c->lines);
    if (t->n_words) /* the arrays may not exist yet */
        memcpy(c->words, t->words, t->n_words * sizeof *c->words);
    if (t->n_lines)
        memcpy(c->lines, t->lines, t->n_lines * sizeof *c->lines);
}

static size_t texts_compared;

/* The window path's analysis of s equals the run-by-run path's. */
static void check_paths_agree(const char *s, size_t n)
{
    wn_filter_use_avx2 = false;
    text_copy ref;
    copy_analysis(&ref, wn_text_analyze_buf(s, n));
    wn_filter_use_avx2 = true;
    const wn_text *t = wn_text_analyze_buf(s, n);
    assert_int_equal(t->n_words, ref.t.n_words);
    assert_int_equal(t->n_lines, ref.t.n_lines);
    assert_int_equal(t->n_nonsym, ref.t.n_nonsym);
    assert_int_equal(t->n_chars, ref.t.n_chars);
    assert_int_equal(t->ascii, ref.t.ascii);
    assert_int_equal(t->valid, ref.t.valid);
    for (size_t i = 0; i < t->n_words; i++) {
        const wn_word *a = &t->words[i], *b = &ref.words[i];
        if (a->off != b->off || a->len != b->len || a->line != b->line ||
            a->flags != b->flags || a->hash != b->hash)
            fail_msg("token %zu of a %zu-byte text: window path %u+%u line %u flags %u, "
                     "run-by-run %u+%u line %u flags %u (hash %s)",
                     i, n, a->off, a->len, a->line, a->flags, b->off, b->len, b->line,
                     b->flags, a->hash == b->hash ? "equal" : "differs");
    }
    for (size_t i = 0; i < t->n_lines; i++) {
        const wn_line *a = &t->lines[i], *b = &ref.lines[i];
        if (a->off != b->off || a->len != b->len || a->first_word != b->first_word ||
            a->n_words != b->n_words)
            fail_msg("line %zu of a %zu-byte text: window path %u+%u words %u+%u, run-by-run "
                     "%u+%u words %u+%u",
                     i, n, a->off, a->len, a->first_word, a->n_words, b->off, b->len,
                     b->first_word, b->n_words);
    }
    free(ref.words);
    free(ref.lines);
    texts_compared++;
}

/* Cuts that put the text's end at every place around the window's reach (64 bytes and
 * the 16 a word's hash reads after its start). */
static void check_with_cuts(const char *s, size_t n)
{
    check_paths_agree(s, n);
    static const size_t cuts[] = {1, 2, 15, 16, 17, 63, 64, 65, 79, 80, 81, 97, 130};
    for (size_t k = 0; k < sizeof cuts / sizeof *cuts; k++)
        if (cuts[k] < n)
            check_paths_agree(s, n - cuts[k]);
}

typedef struct shared_ctx {
    size_t docs, max_docs;
} shared_ctx;

static int check_doc(wn_doc *d, void *arg)
{
    shared_ctx *c = arg;
    const char *s = d->text.ptr ? d->text.ptr : "";
    if (c->docs < 300)
        check_with_cuts(s, d->text.len);
    else
        check_paths_agree(s, d->text.len);
    return ++c->docs >= c->max_docs;
}

/* Real text: every document of five shared files (up to 3,000 each), the first 300 of
 * each also cut short. */
static void test_windows_on_real_text(void **state)
{
    (void)state;
    static const char *const files[] = {"quality/quality.jsonl.gz", "quality/spamassassin.jsonl.gz",
                                        "dedup/copyright.jsonl.gz", "dedup/doc-history.jsonl.gz",
                                        "langid/langid.jsonl.gz"};
    size_t before = wn_text_windows_read();
    for (size_t f = 0; f < sizeof files / sizeof *files; f++) {
        char path[4096];
        SHARED_OR_SKIP(path, files[f]);
        shared_ctx c = {0, 3000};
        each_shared_doc(path, check_doc, &c);
        assert_true(c.docs > 0);
    }
    wn_filter_use_avx2 = true;
    if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("bmi2"))
        assert_true(wn_text_windows_read() - before > 10000); /* the path under test ran */
}

static unsigned rnd(unsigned n)
{
    return (unsigned)text_rnd(n);
}

/* Pieces: mostly plain ASCII words and punctuation (so that whole windows are ASCII), the
 * separators the window must treat as the run-by-run path does, and now and then a piece
 * it must leave to the general loop. */
static const char *const common[] = {
    "the", "word", "a", "I", "of", "x7", "42", "3.5", "e-mail", "U.S.", "don't", "(see", "it)",
    "\"quoted\"", "end.", "list,", "#tag", "...", "--", "a,b", ",a,", "!?", "[1]", "{x}", "_",
    "ab12cd", "Zz", "9"};
static const char *const separators[] = {" ", " ", " ", "  ", "\n", "\n\n", "\r\n", "\r",
                                         "\t", "\v", "\f", "\x01", "\x1f", "\x7f"};
static const char *const rare[] = {
    "caf\xc3\xa9", "\xc2\xa0", "\xe2\x80\x94", "\xe2\x80\x99", "\xe6\x97\xa5\xe6\x9c\xac",
    "\xe0\xb8\xaa\xe0\xb8\xa7\xe0\xb8\xb1\xe0\xb8\xaa", "\xff", "\xe2\x82", "\xc0\xaf",
    "\xed\xa0\x80", "\x00"};

static void random_text(wn_buf *b, size_t pieces)
{
    for (size_t i = 0; i < pieces; i++) {
        unsigned r = rnd(100);
        if (r < 3) { /* a run of 55..75 bytes: across the window's end, or longer than it */
            for (unsigned k = 55 + rnd(21); k; k--)
                wn_buf_appendc(b, "ab9.,-"[rnd(6)]);
        } else if (r < 5) {
            const char *p = rare[rnd(sizeof rare / sizeof *rare)];
            wn_buf_append(b, p, *p ? strlen(p) : 1);
        } else if (r < 8) { /* a word of 14..20 bytes: hashed whole or by XXH3 */
            for (unsigned k = 14 + rnd(7); k; k--)
                wn_buf_appendc(b, (char)('a' + rnd(26)));
        } else {
            wn_buf_appends(b, common[rnd(sizeof common / sizeof *common)]);
        }
        wn_buf_appends(b, separators[rnd(sizeof separators / sizeof *separators)]);
    }
}

static void test_windows_on_edge_cases(void **state)
{
    (void)state;
    static const char *const edge[] = {
        "", " ", "\n", "word", "no newline at all, just words and the end of it all here.",
        "\n\n\n\n\n\n\n\n\n\n\n\n\n\n\n\n\n\n\n\n\n\n\n\n\n\n\n\n\n\n\n\n\n\n\n\n\n\n\n\n\n\n"
        "\n\n\n\n\n\n\n\n\n\n\n\n\n\n\n\n\n\n\n\n\n\n\n\n\n\n\n\n\n\n\n\n\n\n\n\n\n\n\n\n",
        ",a, ,a, ,a, ,a, ,a, ,a, ,a, ,a, ,a, ,a, ,a, ,a, ,a, ,a, ,a, ,a, ,a, ,a, ,a, ,a, x",
        "................................................................................ x",
        "a b c d e f g h i j k l m n o p q r s t u v w x y z a b c d e f g h i j k l m n o p",
    };
    size_t before = wn_text_windows_read();
    for (size_t i = 0; i < sizeof edge / sizeof *edge; i++)
        check_with_cuts(edge[i], strlen(edge[i]));
    wn_buf b = WN_BUF_INIT;
    for (int round = 0; round < 1500; round++) {
        wn_buf_reset(&b);
        random_text(&b, rnd(300));
        check_paths_agree(b.data ? b.data : "", b.len);
        /* every start within a window: runs and lines cut at every offset */
        for (size_t k = 1; round % 25 == 0 && k < 70 && k < b.len; k++)
            check_paths_agree(b.data + k, b.len - k);
    }
    /* texts that grow the word and line arrays in the middle of a window stretch */
    for (size_t count = 500; count <= 40000; count = count * 2) {
        wn_buf_reset(&b);
        random_text(&b, count);
        check_paths_agree(b.data, b.len);
    }
    wn_buf_release(&b);
    wn_filter_use_avx2 = true;
    if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("bmi2"))
        assert_true(wn_text_windows_read() - before > 1000);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_windows_on_edge_cases),
        cmocka_unit_test(test_windows_on_real_text),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
