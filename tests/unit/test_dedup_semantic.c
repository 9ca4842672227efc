/* test_dedup_semantic.c: k-means + SemDeDup selection, the built-in embedding, line hashes. */
#include "testutil.h"

#include "core/io.h"
#include "dedup/format.h"
#include "dedup/lines.h"
#include "dedup/semantic.h"
#include "dedup/sem_files.h"

#include <jansson.h>
#include <math.h>

static void normalise(float *v, unsigned d)
{
    double n = 0;
    for (unsigned i = 0; i < d; i++) n += (double)v[i] * v[i];
    for (unsigned i = 0; i < d; i++) v[i] = (float)(v[i] / sqrt(n));
}

/* Three directions, each with a near copy (cos > 0.99) and a far member (cos ~ 0.8). */
static void test_select_drops_near_copies_only(void **state)
{
    enum { D = 8, N = 9 };
    float x[N * D] = {0};
    for (int g = 0; g < 3; g++) {
        float *a = x + (3 * g) * D, *b = a + D, *c = b + D;
        a[g] = 1;
        b[g] = 1; b[(g + 3) % D] = 0.05f;  /* near copy */
        c[g] = 1; c[(g + 4) % D] = 0.75f;  /* related, not a copy */
        normalise(a, D); normalise(b, D); normalise(c, D);
    }
    uint32_t assign[N];
    uint8_t keep[N];
    size_t kept_of[N];
    wn_sem_kmeans(x, N, D, 3, 20, 1, assign, NULL);
    wn_sem_select(x, N, D, assign, 3, 0.01, keep, kept_of);
    for (int g = 0; g < 3; g++) {
        assert_int_equal(keep[3 * g], 1);
        assert_int_equal(keep[3 * g + 1], 0);
        assert_int_equal(kept_of[3 * g + 1], 3 * g);
        assert_int_equal(keep[3 * g + 2], 1);
    }
    /* eps 0.5: the related member goes too, if it shares the cluster */
    wn_sem_select(x, N, D, assign, 3, 0.5, keep, kept_of);
    for (int g = 0; g < 3; g++)
        if (assign[3 * g + 2] == assign[3 * g]) assert_int_equal(keep[3 * g + 2], 0);
}

static void test_builtin_embedding(void **state)
{
    static uint32_t df[1u << 20]; /* no document frequencies: every feature equally rare */
    enum { D = 256 };
    float a[D], b[D], c[D];
    const char *ta = "the quick brown fox jumps over the lazy dog near the river bank today";
    const char *tb = "The quick brown fox jumps over the lazy dog near the river bank, today";
    const char *tc = "completely different words about compilers and linkers and loaders";
    wn_sem_embed(ta, strlen(ta), df, 100, D, 1, a);
    wn_sem_embed(tb, strlen(tb), df, 100, D, 1, b);
    wn_sem_embed(tc, strlen(tc), df, 100, D, 1, c);
    double ab = 0, ac = 0, aa = 0;
    for (int i = 0; i < D; i++) { ab += a[i] * b[i]; ac += a[i] * c[i]; aa += a[i] * a[i]; }
    assert_true(fabs(aa - 1) < 1e-4);
    assert_true(ab > 0.7);
    assert_true(fabs(ac) < 0.4);
}

/* Built-in embeddings of the real near-duplicate README history (72 versions). */
enum { RD = 256 };
static float *embed_history(size_t *n)
{
    char path[512];
    SHARED_OR_SKIP(path, "dedup/doc-history.jsonl.gz");
    static uint32_t df[1u << 20];
    char err[256];
    wn_in *in = wn_in_open(path, WN_COMP_AUTO, err, sizeof err);
    assert_non_null(in);
    float *x = NULL;
    size_t len;
    const char *line;
    *n = 0;
    while ((line = wn_in_line(in, &len))) {
        json_t *j = json_loadb(line, len, 0, NULL);
        assert_non_null(j);
        const char *text = json_string_value(json_object_get(j, "text"));
        x = realloc(x, (*n + 1) * RD * sizeof *x);
        wn_sem_embed(text, strlen(text), df, 72, RD, 1, x + *n * RD);
        (*n)++;
        json_decref(j);
    }
    wn_in_close(in);
    assert_true(*n >= 50);
    return x;
}

typedef struct collected {
    uint64_t uid[128], kept[128];
    size_t n;
} collected;

static int collect(void *ctx, uint64_t uid, uint64_t kept)
{
    collected *c = ctx;
    c->uid[c->n] = uid;
    c->kept[c->n++] = kept;
    return 0;
}

/* Feeds rows to a selector in (cluster, uid) order, as the assign phase's sort does. */
static void run_selector(const float *x, size_t n, const uint32_t *assign, unsigned k,
                         double eps, uint64_t mem, collected *out, uint64_t *blocked)
{
    char *dir = tmpdir_new(), spill[512], err[256];
    assert_non_null(dir);
    snprintf(spill, sizeof spill, "%s/spill", dir ? dir : "?");
    wn_sem_selector *s = wn_sem_selector_new(RD, eps, mem, spill, collect, out);
    for (unsigned c = 0; c < k; c++)
        for (size_t i = 0; i < n; i++)
            if (assign[i] == c) assert_int_equal(wn_sem_selector_add(s, c, i, x + i * RD, err, sizeof err), 0);
    assert_int_equal(wn_sem_selector_finish(s, blocked, err, sizeof err), 0);
    assert_int_equal(access(spill, F_OK), -1); /* the spill file is gone */
    tmpdir_remove(dir);
}

/* The bounded selector removes exactly what the in-memory rule removes, with the same kept
 * row named, whether clusters fit (k = 8) or one cluster is far larger than memory (k = 1:
 * blocks of 7 rows, kept rows spilled 3 at a time). */
static void test_bounded_select_equals_in_memory(void **state)
{
    size_t n;
    float *x = embed_history(&n);
    uint32_t *assign = calloc(n, sizeof *assign);
    uint8_t *keep = malloc(n);
    size_t *kept_of = malloc(n * sizeof *kept_of);
    /* 16,000 bytes: a buffer of 7 rows, 3 kept rows in memory */
    const unsigned ks[] = {8, 8, 1};
    const uint64_t mems[] = {1u << 20, 16000, 16000};
    for (int t = 0; t < 3; t++) {
        unsigned k = ks[t];
        wn_sem_kmeans(x, n, RD, k, 20, 1, assign, NULL);
        wn_sem_select(x, n, RD, assign, k, 0.02, keep, kept_of);
        collected got = {0};
        uint64_t blocked = 0;
        run_selector(x, n, assign, k, 0.02, mems[t], &got, &blocked);
        size_t removed = 0;
        for (size_t i = 0; i < n; i++) {
            if (keep[i]) continue;
            size_t j = 0;
            while (j < got.n && got.uid[j] != i) j++;
            assert_true(j < got.n);
            assert_int_equal(got.kept[j], kept_of[i]);
            removed++;
        }
        assert_int_equal(got.n, removed);
        assert_true(removed > 10);
        if (t == 2) assert_int_equal(blocked, 1);
    }
    free(x); free(assign); free(keep); free(kept_of);
}

/* k-means hands back the centroids its assignment used: nearest() reproduces it. */
static void test_kmeans_centroids_reproduce_assignment(void **state)
{
    size_t n;
    float *x = embed_history(&n);
    uint32_t *assign = calloc(n, sizeof *assign);
    enum { K = 8 };
    float *cent = malloc(K * RD * sizeof *cent);
    const unsigned iters[] = {1, 3, 20};
    for (int t = 0; t < 3; t++) {
        wn_sem_kmeans(x, n, RD, K, iters[t], 1, assign, cent);
        for (size_t i = 0; i < n; i++)
            assert_int_equal(wn_sem_nearest(x + i * RD, cent, K, RD), assign[i]);
    }
    free(x); free(assign); free(cent);
}

static char *read_all(const char *path, size_t *len)
{
    char err[256];
    char *d = wn_read_file(path, len, err, sizeof err);
    assert_non_null(d);
    return d;
}

/* The phases on files: a run whose every step is squeezed (a 48 KB budget: many sorted
 * runs, clusters in blocks) gives the same removal file as a roomy one, and a k-means
 * sample smaller than the corpus still covers every document. */
static void test_phases_bounded_equal_roomy(void **state)
{
    char path[512];
    SHARED_OR_SKIP(path, "dedup/doc-history.jsonl.gz");
    char *inputs[] = {path};
    wn_sem_config c;
    wn_sem_config_default(&c);
    c.eps = 0.02;
    c.k = 2;
    c.sample = 1000; /* every row: k-means is the same in both runs */
    char *d1 = tmpdir_new(), *d2 = tmpdir_new(), err[1024];
    wn_sem_state roomy = {d1, 1u << 30}, tight = {d2, 48 * 1024};
    assert_int_equal(wn_sem_run(&c, &roomy, inputs, 1, NULL, NULL, err, sizeof err), 0);
    assert_int_equal(wn_sem_run(&c, &tight, inputs, 1, NULL, NULL, err, sizeof err), 0);
    char *r1 = wn_sem_path(&roomy, WN_SEM_REMOVE), *r2 = wn_sem_path(&tight, WN_SEM_REMOVE);
    size_t l1, l2;
    char *a = read_all(r1, &l1), *b = read_all(r2, &l2);
    assert_true(l1 > WN_DEDUP_HEADER_SIZE + 10 * 16);
    assert_int_equal(l1, l2);
    assert_memory_equal(a, b, l1);
    free(a); free(b);
    char *rep = wn_sem_path(&tight, WN_SEM_REPORT);
    json_t *j = json_load_file(rep, 0, NULL);
    assert_true(json_integer_value(json_object_get(j, "clusters_in_blocks")) >= 1);
    json_decref(j);
    /* a sample of 10 rows: k-means trains on 10, every document still gets a cluster */
    c.sample = 10;
    assert_int_equal(wn_sem_run(&c, &tight, inputs, 1, NULL, NULL, err, sizeof err), 0);
    j = json_load_file(rep, 0, NULL);
    assert_int_equal(json_integer_value(json_object_get(j, "kmeans_sample")), 10);
    assert_int_equal(json_integer_value(json_object_get(j, "documents")), 72);
    json_decref(j);
    free(rep); free(r1); free(r2);
    tmpdir_remove(d1);
    tmpdir_remove(d2);
}

static void test_line_hash_normalises(void **state)
{
    uint64_t a, b, c;
    assert_true(wn_lines_hash("  Hello   World\r", 16, &a));
    assert_true(wn_lines_hash("hello world", 11, &b));
    assert_true(wn_lines_hash("hello world!", 12, &c));
    assert_true(a == b);
    assert_true(a != c);
    assert_false(wn_lines_hash(" \t\r", 3, &a));
    assert_false(wn_lines_hash("", 0, &a));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_select_drops_near_copies_only),
        cmocka_unit_test(test_builtin_embedding),
        cmocka_unit_test(test_bounded_select_equals_in_memory),
        cmocka_unit_test(test_kmeans_centroids_reproduce_assignment),
        cmocka_unit_test(test_phases_bounded_equal_roomy),
        cmocka_unit_test(test_line_hash_normalises),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
