/* test_dedup_semantic.c: k-means + SemDeDup selection, the built-in embedding, line hashes. */
#include "testutil.h"

#include "dedup/lines.h"
#include "dedup/semantic.h"

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
    wn_sem_kmeans(x, N, D, 3, 20, 1, assign);
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
        cmocka_unit_test(test_line_hash_normalises),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
