/* test_dedup_minhash.c: words, signatures, phase files, external sort, union-find and the
 * keep rule, URL normalisation. */
#include "testutil.h"

#include "core/buf.h"
#include "core/io.h"
#include "dedup/extsort.h"
#include "dedup/format.h"
#include "dedup/minhash.h"
#include "dedup/normalize.h"

#include <math.h>
#include <xxhash.h>

static const char *CFG = "minhash v1 ngram=5 bands=14 rows=8 seed=1";

static char *path_in(const char *dir, const char *name)
{
    wn_buf b = WN_BUF_INIT;
    wn_buf_appendf(&b, "%s/%s", dir, name);
    return wn_buf_detach(&b, NULL);
}

/* Words are those of Python's text.lower().split(): Unicode case, Unicode white space. */
static void test_words_follow_python_split(void **state)
{
    uint64_t *a = NULL, *b = NULL;
    size_t ca = 0, cb = 0;
    const char *x = "  \xc3\x80 Hello\xc2\xa0WORLD\x1f" "caf\xc3\x89\t\n";  /* À, nbsp, U+001F */
    const char *y = "\xc3\xa0 hello world caf\xc3\xa9";
    size_t na = wn_dedup_word_hashes(x, strlen(x), &a, &ca);
    size_t nb = wn_dedup_word_hashes(y, strlen(y), &b, &cb);
    assert_int_equal(na, 4);
    assert_int_equal(nb, 4);
    assert_memory_equal(a, b, 4 * sizeof *a);
    assert_int_equal(wn_dedup_word_hashes("", 0, &a, &ca), 0);
    assert_int_equal(wn_dedup_word_hashes(" \t\n ", 4, &a, &ca), 0);
    free(a);
    free(b);
}

/* Random ASCII (controls, every Python white space, capitals, punctuation) against a plain
 * reference split: exercises the eight-bytes-at-a-time scan at every alignment. */
static void test_words_random_ascii(void **state)
{
    static const char alphabet[] = "abcXYZ019 !\t\n\v\f\r\x1c\x1f\x01\x7f@[`{~";
    uint64_t rng = 42, *got = NULL;
    size_t cap = 0;
    for (int t = 0; t < 3000; t++) {
        char text[64], word[64];
        size_t len = (size_t)(t % 60);
        for (size_t i = 0; i < len; i++) {
            rng = rng * 6364136223846793005ull + 1442695040888963407ull;
            text[i] = alphabet[(rng >> 33) % (sizeof alphabet - 1)];
        }
        size_t n = wn_dedup_word_hashes(text, len, &got, &cap), k = 0, wl = 0;
        for (size_t i = 0; i <= len; i++) {
            unsigned char c = i < len ? (unsigned char)text[i] : ' ';
            bool space = c == ' ' || (c >= 9 && c <= 13) || (c >= 0x1c && c <= 0x1f);
            if (!space) {
                word[wl++] = (char)(c >= 'A' && c <= 'Z' ? c + 32 : c);
                continue;
            }
            if (wl) {
                assert_true(k < n);
                assert_true(got[k] == XXH3_64bits(word, wl));
                k++;
                wl = 0;
            }
        }
        assert_int_equal(k, n);
    }
    free(got);
}

static void words_text(wn_buf *b, int from, int to, const char *tag)
{
    for (int i = from; i < to; i++) wn_buf_appendf(b, "%s%d ", tag, i);
}

static void test_signature_estimates_jaccard(void **state)
{
    wn_dedup_config c;
    wn_dedup_config_default(&c, WN_DEDUP_MINHASH);
    wn_mh_hasher *h = wn_mh_hasher_new(&c);
    unsigned n = wn_dedup_config_values(&c);
    assert_int_equal(n, 112);
    uint32_t sa[112], sb[112], sc[112];
    void *scr = NULL;
    size_t cap = 0;
    /* A: w0..w399; B: w0..w359 + 40 other words. Shingles: 396 each, 356 shared. */
    wn_buf a = WN_BUF_INIT, b = WN_BUF_INIT;
    words_text(&a, 0, 400, "w");
    words_text(&b, 0, 360, "w");
    words_text(&b, 0, 40, "other");
    assert_int_equal(wn_mh_signature(h, a.data, a.len, sa, &scr, &cap), 396);
    assert_int_equal(wn_mh_signature(h, b.data, b.len, sb, &scr, &cap), 396);
    double j = 356.0 / (396 + 396 - 356);
    double est = wn_mh_estimate(sa, sb, n);
    assert_true(fabs(est - j) < 4 * sqrt(j * (1 - j) / n)); /* within 4 sigma */
    /* the same text, whatever its case and spacing, has the same signature */
    wn_buf up = WN_BUF_INIT;
    for (size_t i = 0; i < a.len; i++) {
        char ch = a.data[i];
        wn_buf_appendc(&up, ch == ' ' ? '\n' : (ch >= 'a' && ch <= 'z') ? (char)(ch - 32) : ch);
    }
    wn_mh_signature(h, up.data, up.len, sc, &scr, &cap);
    assert_memory_equal(sa, sc, sizeof sa);
    /* fewer words than one shingle: no signature */
    assert_int_equal(wn_mh_signature(h, "one two three four", 18, sc, &scr, &cap), 0);
    assert_int_equal(sc[0], UINT32_MAX);
    assert_int_equal(wn_mh_signature(h, "", 0, sc, &scr, &cap), 0);
    wn_buf_release(&a); wn_buf_release(&b); wn_buf_release(&up);
    free(scr);
    wn_mh_hasher_free(h);
}

/* Independent pairs with a known Jaccard: the share of pairs that share a band must follow
 * 1 - (1 - J^r)^b. A = 100 fresh random words, B = A's first k words + 100-k fresh ones:
 * 96 shingles each, k-4 shared. */
static void test_s_curve_matches_theory(void **state)
{
    wn_dedup_config c;
    wn_dedup_config_default(&c, WN_DEDUP_MINHASH);
    wn_mh_hasher *h = wn_mh_hasher_new(&c);
    uint32_t sa[112], sb[112];
    void *scr = NULL;
    size_t cap = 0;
    uint64_t rng = 0x9e3779b97f4a7c15ull;
    static const int ks[] = {70, 80, 88};
    enum { PAIRS = 1500 };
    for (size_t t = 0; t < sizeof ks / sizeof *ks; t++) {
        int k = ks[t], hits = 0;
        double j = (k - 4.0) / (192.0 - (k - 4.0));
        double p = 1 - pow(1 - pow(j, 8), 14);
        for (int n = 0; n < PAIRS; n++) {
            wn_buf a = WN_BUF_INIT, b = WN_BUF_INIT;
            for (int i = 0; i < 100; i++) {
                rng ^= rng << 13; rng ^= rng >> 7; rng ^= rng << 17;
                wn_buf_appendf(&a, "a%llx ", (unsigned long long)rng);
                if (i < k) wn_buf_appendf(&b, "a%llx ", (unsigned long long)rng);
                else wn_buf_appendf(&b, "b%llx ", (unsigned long long)rng);
            }
            wn_mh_signature(h, a.data, a.len, sa, &scr, &cap);
            wn_mh_signature(h, b.data, b.len, sb, &scr, &cap);
            for (int band = 0; band < 14; band++)
                if (!memcmp(sa + band * 8, sb + band * 8, 32)) { hits++; break; }
            wn_buf_release(&a);
            wn_buf_release(&b);
        }
        double got = (double)hits / PAIRS, sd = sqrt(p * (1 - p) / PAIRS);
        print_message("J %.3f: %.4f of pairs share a band, theory %.4f (sd %.4f)\n", j, got, p, sd);
        assert_true(fabs(got - p) < 4 * sd + 0.002);
    }
    free(scr);
    wn_mh_hasher_free(h);
}

static void test_config_text_and_limits(void **state)
{
    wn_dedup_config c;
    wn_dedup_config_default(&c, WN_DEDUP_MINHASH);
    char t[256], err[256];
    assert_int_equal(wn_dedup_config_text(&c, t, sizeof t, err, sizeof err), 0);
    assert_string_equal(t, CFG);
    c.bands = 20; c.rows = 13;
    assert_int_equal(wn_dedup_config_text(&c, t, sizeof t, err, sizeof err), 0);
    assert_string_equal(t, "minhash v1 ngram=5 bands=20 rows=13 seed=1");
    c.bands = 0;
    assert_int_equal(wn_dedup_config_text(&c, t, sizeof t, err, sizeof err), -1);
}

static void test_file_header_checks(void **state)
{
    char *dir = tmpdir_new();
    char *p = path_in(dir, "e.wed"), err[512];
    wn_dedup_file *f = wn_dedup_file_create(p, WN_DEDUP_KIND_EDGES, CFG, 16, 2, 4, err, sizeof err);
    assert_non_null(f);
    wn_dedup_edge_rec e[3] = {{1, 2}, {3, 4}, {5, 6}};
    assert_int_equal(wn_dedup_file_write(f, e, sizeof e, 3), 0);
    assert_int_equal(wn_dedup_file_commit(f, err, sizeof err), 0);
    f = wn_dedup_file_open(p, WN_DEDUP_KIND_EDGES, CFG, err, sizeof err);
    assert_non_null(f);
    const wn_dedup_header *h = wn_dedup_file_header(f);
    assert_int_equal(h->count, 3);
    assert_int_equal(h->shard_index, 2);
    assert_int_equal(h->shard_count, 4);
    wn_dedup_edge_rec back[4];
    assert_int_equal(wn_dedup_file_read(f, back, 4), 3);
    assert_memory_equal(back, e, sizeof e);
    wn_dedup_file_close(f);
    /* another config: refused, naming both */
    assert_null(wn_dedup_file_open(p, WN_DEDUP_KIND_EDGES,
                                   "minhash v1 ngram=5 bands=20 rows=13 seed=1", err, sizeof err));
    assert_non_null(strstr(err, "refusing to mix"));
    assert_non_null(strstr(err, "bands=14 rows=8"));
    assert_non_null(strstr(err, "bands=20 rows=13"));
    /* another kind */
    assert_null(wn_dedup_file_open(p, WN_DEDUP_KIND_BANDS, CFG, err, sizeof err));
    assert_non_null(strstr(err, "edges"));
    /* truncated */
    assert_int_equal(truncate(p, 256 + 20), 0);
    assert_null(wn_dedup_file_open(p, WN_DEDUP_KIND_EDGES, CFG, err, sizeof err));
    assert_non_null(strstr(err, "truncated"));
    /* not ours */
    FILE *fp = fopen(p, "w");
    fputs("hello", fp);
    fclose(fp);
    assert_null(wn_dedup_file_open(p, WN_DEDUP_KIND_EDGES, CFG, err, sizeof err));
    assert_non_null(strstr(err, "bad magic"));
    free(p);
    tmpdir_remove(dir);
}

static int u64_rec_cmp(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return x < y ? -1 : x > y;
}

static unsigned u64_part(const void *rec, unsigned n)
{
    return (unsigned)(*(const uint64_t *)rec % n);
}

/* A budget of 800 bytes (50 records of 8 bytes and qsort's copy of them) forces many runs;
 * the merge must equal an in-memory sort. */
static void test_external_sort_bounded(void **state)
{
    char *dir = tmpdir_new();
    char *prefix = path_in(dir, "runs");
    wn_extsort_opts o = {.rec_size = 8, .cmp = u64_rec_cmp, .part = u64_part, .n_parts = 3,
                         .mem_bytes = 800, .prefix = prefix, .suffix = ".wed",
                         .kind = WN_DEDUP_KIND_EDGES, .config = CFG};
    wn_extsort *s = wn_extsort_new(&o);
    enum { N = 5000 };
    uint64_t *v = malloc(N * sizeof *v);
    char err[256];
    for (int i = 0; i < N; i++) {
        v[i] = ((uint64_t)i * 2654435761u) % 100003;
        assert_int_equal(wn_extsort_add(s, &v[i], err, sizeof err), 0);
    }
    char **runs = NULL;
    size_t n_runs = 0;
    assert_int_equal(wn_extsort_finish(s, &runs, &n_runs, err, sizeof err), 0);
    assert_true(n_runs >= 3 * (N / 50) - 3); /* a run per partition per 50 records */
    qsort(v, N, sizeof *v, u64_rec_cmp);
    /* merge partition 1 only: every record of it, in order */
    char **p1 = NULL;
    size_t n1 = 0;
    for (size_t i = 0; i < n_runs; i++)
        if (strstr(runs[i], "-p00001-")) wn_strv_push(&p1, &n1, runs[i]);
    wn_merge *m = wn_merge_open(p1, n1, WN_DEDUP_KIND_EDGES, CFG, 8, u64_rec_cmp, err, sizeof err);
    assert_non_null(m);
    const uint64_t *r;
    size_t k = 0;
    for (int i = 0; i < N; i++) {
        if (v[i] % 3 != 1) continue;
        r = wn_merge_next(m);
        assert_non_null(r);
        assert_int_equal(*r, v[i]);
        k++;
    }
    assert_null(wn_merge_next(m));
    assert_null(wn_merge_error(m));
    assert_true(k > 0);
    wn_merge_close(m);
    for (size_t i = 0; i < n1; i++) free(p1[i]);
    free(p1);
    for (size_t i = 0; i < n_runs; i++) free(runs[i]);
    free(runs);
    free(v);
    free(prefix);
    tmpdir_remove(dir);
}

/* Union-find over a chain and a pair, then the keep rule on dates and ids. */
static void test_cluster_keep_rule(void **state)
{
    char *dir = tmpdir_new();
    char *edges = path_in(dir, "e.wed"), *docs = path_in(dir, "d.wdoc");
    char *cl = path_in(dir, "c.wcl"), *rm = path_in(dir, "r.wrm"), *tsv = path_in(dir, "c.tsv");
    char err[512];
    uint64_t u[6];
    for (int i = 0; i < 6; i++) u[i] = WN_DEDUP_UID(i / 3, i % 3);
    /* chain u0-u1-u2 (edges in any order), pair u3-u5, u4 alone */
    wn_dedup_edge_rec e[3] = {{u[1], u[2]}, {u[0], u[1]}, {u[3], u[5]}};
    wn_dedup_file *f = wn_dedup_file_create(edges, WN_DEDUP_KIND_EDGES, CFG, 16, 0, 1, err, sizeof err);
    wn_dedup_file_write(f, e, sizeof e, 3);
    assert_int_equal(wn_dedup_file_commit(f, err, sizeof err), 0);
    f = wn_dedup_file_create(docs, WN_DEDUP_KIND_DOCS, CFG, 0, 0, 1, err, sizeof err);
    const char *ids[6] = {"a", "b", "c", "d", "e", "f"};
    const char *dates[6] = {"2021-01-01", "2020-05-01", "", "2019", "2018", "2019"};
    for (int i = 0; i < 6; i++)
        wn_dedup_doc_write(f, u[i], 100 + i, ids[i], 1, dates[i], strlen(dates[i]));
    assert_int_equal(wn_dedup_file_commit(f, err, sizeof err), 0);
    wn_dedup_cluster_result res;
    assert_int_equal(wn_dedup_cluster(&edges, 1, &docs, 1, CFG, WN_KEEP_EARLIEST, cl, rm, tsv,
                                      &res, err, sizeof err), 0);
    assert_int_equal(res.docs, 6);
    assert_int_equal(res.clusters, 2);
    assert_int_equal(res.clustered, 5);
    assert_int_equal(res.removed, 3);
    assert_int_equal(res.size_hist[1], 2); /* sizes 2..3 */
    wn_dedup_removal *r = wn_dedup_removal_load(rm, CFG, err, sizeof err);
    assert_non_null(r);
    /* cluster {a 2021, b 2020, c no date}: b kept. {d 2019, f 2019}: same date, d < f */
    assert_true(wn_dedup_removal_has(r, u[0]));
    assert_false(wn_dedup_removal_has(r, u[1]));
    assert_true(wn_dedup_removal_has(r, u[2]));
    assert_false(wn_dedup_removal_has(r, u[3]));
    assert_false(wn_dedup_removal_has(r, u[4]));
    assert_true(wn_dedup_removal_has(r, u[5]));
    wn_dedup_removal_free(r);
    size_t len;
    char *t = wn_read_file(tsv, &len, err, sizeof err);
    assert_string_equal(t, "a\t0\nb\t0\nc\t0\nd\t1\nf\t1\n");
    free(t);
    /* latest: a (2021) kept in the first cluster; first: u0 */
    assert_int_equal(wn_dedup_cluster(&edges, 1, &docs, 1, CFG, WN_KEEP_LATEST, cl, rm, NULL,
                                      &res, err, sizeof err), 0);
    r = wn_dedup_removal_load(rm, CFG, err, sizeof err);
    assert_false(wn_dedup_removal_has(r, u[0]));
    assert_true(wn_dedup_removal_has(r, u[1]));
    wn_dedup_removal_free(r);
    free(edges); free(docs); free(cl); free(rm); free(tsv);
    tmpdir_remove(dir);
}

static void test_url_normalisation(void **state)
{
    static const char *cases[][2] = {
        {"HTTP://Example.COM:80/a/b/#frag", "http://example.com/a/b"},
        {"https://example.com:443", "https://example.com/"},
        {"https://example.com:8443/x?q=1#f", "https://example.com:8443/x?q=1"},
        {"http://user@Host.org/", "http://user@host.org/"},
        {"https://example.com/a?b=/c/", "https://example.com/a?b=/c/"},
    };
    wn_buf out = WN_BUF_INIT;
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        assert_true(wn_dedup_url_normalize(cases[i][0], strlen(cases[i][0]), &out));
        assert_string_equal(out.data, cases[i][1]);
    }
    assert_false(wn_dedup_url_normalize("not a url", 9, &out));
    assert_false(wn_dedup_url_normalize("", 0, &out));
    wn_buf_release(&out);
}

static void test_exact_values_collapse_space(void **state)
{
    uint32_t a[4], b[4], c[4];
    assert_true(wn_dedup_text_values("a  b\n\tc ", 8, a));
    assert_true(wn_dedup_text_values("a b c", 5, b));
    assert_true(wn_dedup_text_values("a b C", 5, c));
    assert_memory_equal(a, b, sizeof a);
    assert_memory_not_equal(a, c, sizeof a);
    assert_false(wn_dedup_text_values(" \n ", 3, a));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_words_follow_python_split),
        cmocka_unit_test(test_words_random_ascii),
        cmocka_unit_test(test_signature_estimates_jaccard),
        cmocka_unit_test(test_s_curve_matches_theory),
        cmocka_unit_test(test_config_text_and_limits),
        cmocka_unit_test(test_file_header_checks),
        cmocka_unit_test(test_external_sort_bounded),
        cmocka_unit_test(test_cluster_keep_rule),
        cmocka_unit_test(test_url_normalisation),
        cmocka_unit_test(test_exact_values_collapse_space),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
