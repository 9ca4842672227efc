/* test_core_stats.c: statistics merge across threads and round-trip through JSON; shard
 * and size parsing; input slicing. */
#include "testutil.h"

#include "core/args.h"
#include "core/stats.h"

static void test_merge_and_json_roundtrip(void **state)
{
    wn_stats a, b, c;
    wn_stats_init(&a, "f");
    wn_stats_init(&b, "f");
    a.docs_in = 3;
    a.docs_out = 1;
    wn_stats_drop(&a, "x.short", 10, 10);
    wn_stats_drop(&a, "x.long", 1, 1);
    b.docs_in = 2;
    b.docs_out = 1;
    wn_stats_drop(&b, "x.short", 5, 4);
    wn_stats_error(&b, "io.bad", "f.gz", 42, "detail %d", 1);
    for (int i = 0; i < 1000; i++) {
        char name[32];
        snprintf(name, sizeof name, "domain%d", i % 300);
        wn_stats_count(i % 2 ? &a : &b, name, 1, 2, 3);
    }
    wn_stats_hist(&a, "h", 0, 1, 10, 0.05);
    wn_stats_hist(&b, "h", 0, 1, 10, 0.95);
    wn_stats_hist(&b, "h", 0, 1, 10, 7); /* clamps to the last bin */
    wn_stats_merge(&a, &b);
    assert_int_equal(a.docs_in, 5);
    assert_int_equal(wn_stats_drop_docs(&a, "x.short"), 2);
    assert_int_equal(wn_stats_drops_total(&a), 3);
    assert_int_equal(wn_stats_error_count(&a, "io.bad"), 1);
    assert_int_equal(a.n_counts, 300);
    /* reconciliation: in = out + drops (no errors consumed documents here) */
    assert_int_equal(a.docs_in, a.docs_out + wn_stats_drops_total(&a));

    json_t *j = wn_stats_to_json(&a);
    assert_int_equal(wn_stats_from_json(&c, j), 0);
    json_decref(j);
    assert_int_equal(c.docs_in, 5);
    assert_int_equal(wn_stats_drop_docs(&c, "x.short"), 2);
    assert_int_equal(c.errors[0].sample_offset, 42);
    assert_int_equal(c.n_counts, 300);
    assert_int_equal(c.hists[0].bins[0], 1);
    assert_int_equal(c.hists[0].bins[9], 2);
    wn_stats_release(&a);
    wn_stats_release(&b);
    wn_stats_release(&c);
}

static void test_shard_and_size_parsing(void **state)
{
    wn_shard s;
    assert_int_equal(wn_parse_shard("3/8", &s), 0);
    assert_int_equal(s.index, 3);
    assert_int_equal(s.count, 8);
    assert_int_equal(wn_parse_shard("8/8", &s), -1);
    assert_int_equal(wn_parse_shard("1/0", &s), -1);
    assert_int_equal(wn_parse_shard("x", &s), -1);
    uint64_t v;
    assert_int_equal(wn_parse_size("256M", &v), 0);
    assert_int_equal(v, 256ull << 20);
    assert_int_equal(wn_parse_size("1.5G", &v), 0);
    assert_int_equal(v, 3ull << 29);
    assert_int_equal(wn_parse_size("12Q", &v), -1);
}

static void test_slices_are_disjoint_and_cover(void **state)
{
    char *dir = tmpdir_new();
    for (int i = 0; i < 7; i++) {
        char p[512];
        snprintf(p, sizeof p, "%s/f%d.jsonl", dir, i);
        FILE *f = fopen(p, "w");
        fclose(f);
    }
    int seen[7] = { 0 };
    for (unsigned k = 0; k < 3; k++) {
        wn_common_opts c;
        wn_common_init(&c);
        c.shard.index = k;
        c.shard.count = 3;
        char *argv[] = { "cmd", dir };
        assert_int_equal(wn_common_finish(&c, 2, argv, 1, false), 0);
        for (size_t i = 0; i < c.n_inputs; i++)
            seen[c.inputs[i][strlen(c.inputs[i]) - 7] - '0']++;
        wn_common_release(&c);
    }
    for (int i = 0; i < 7; i++)
        assert_int_equal(seen[i], 1);
    tmpdir_remove(dir);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_merge_and_json_roundtrip),
        cmocka_unit_test(test_shard_and_size_parsing),
        cmocka_unit_test(test_slices_are_disjoint_and_cover),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
