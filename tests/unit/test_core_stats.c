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

static uint64_t family_docs(const json_t *counts, const char *family, size_t *n_keys)
{
    uint64_t docs = 0;
    const char *k;
    json_t *v;
    *n_keys = 0;
    json_object_foreach((json_t *)counts, k, v) {
        if (strncmp(k, family, strlen(family)))
            continue;
        docs += (uint64_t)json_integer_value(json_object_get(v, "docs"));
        (*n_keys)++;
    }
    return docs;
}

/* Counters with a key per web domain are bounded (WN_STATS_FAMILY_MAX per family) when
 * written and when merged: the busiest keys stay exact, a key ranked high in any family
 * stays in all (PII rates stay computable), the rest is summed into "(other)", and the
 * totals do not change. */
static void test_count_families_bounded(void **state)
{
    (void)state;
    wn_stats s;
    wn_stats_init(&s, "f");
    uint64_t lost_total = 0;
    char name[64];
    for (int i = 0; i < 25000; i++) {
        uint64_t docs = i < 100 ? 50 : 1;
        snprintf(name, sizeof name, "lost:h%d", i);
        wn_stats_count(&s, name, docs, docs, docs);
        lost_total += docs;
        snprintf(name, sizeof name, "pii.seen:h%d", i);
        wn_stats_count(&s, name, 2, 0, 0);
    }
    wn_stats_count(&s, "pii.hit:h24999", 1, 0, 3); /* a quiet domain, but with PII */
    json_t *j = wn_stats_to_json(&s);
    const json_t *counts = json_object_get(j, "counts");
    size_t n_lost, n_seen, n_hit;
    assert_int_equal(family_docs(counts, "lost:", &n_lost), lost_total);
    assert_int_equal(family_docs(counts, "pii.seen:", &n_seen), 2 * 25000);
    assert_int_equal(family_docs(counts, "pii.hit:", &n_hit), 1);
    /* each family keeps at most the keys ranked in some family's top (3 families here) */
    assert_true(n_lost <= 3 * WN_STATS_FAMILY_MAX + 1 && n_lost < 25000);
    assert_true(n_seen <= 3 * WN_STATS_FAMILY_MAX + 1 && n_seen < 25000);
    assert_int_equal(json_integer_value(json_object_get(json_object_get(counts, "lost:h7"),
                                                        "docs")), 50);
    assert_non_null(json_object_get(counts, "pii.seen:h24999"));
    assert_non_null(json_object_get(counts, "lost:h24999"));
    assert_non_null(json_object_get(counts, "lost:(other)"));

    /* in place, then back from JSON: the same counts */
    wn_stats_prune_counts(&s, WN_STATS_FAMILY_MAX);
    assert_true(s.n_counts < 2 * 25000);
    json_t *j2 = wn_stats_to_json(&s);
    assert_true(json_equal(json_object_get(j2, "counts"), (json_t *)counts));
    wn_stats back;
    assert_int_equal(wn_stats_from_json(&back, j2), 0);
    assert_int_equal(back.n_counts, s.n_counts);

    /* merging many shards of distinct domains stays bounded, totals kept */
    wn_stats all;
    wn_stats_init(&all, "f");
    for (int shard = 0; shard < 10; shard++) {
        wn_stats one;
        wn_stats_init(&one, "f");
        for (int i = 0; i < 9000; i++) {
            snprintf(name, sizeof name, "lost:s%d-h%d", shard, i);
            wn_stats_count(&one, name, 1, 1, 1);
        }
        wn_stats_merge(&all, &one);
        wn_stats_release(&one);
    }
    assert_true(all.n_counts <= 8 * WN_STATS_FAMILY_MAX && all.n_counts < 10 * 9000);
    uint64_t docs = 0;
    for (size_t i = 0; i < all.n_counts; i++)
        docs += all.counts[i].docs;
    assert_int_equal(docs, 10 * 9000);
    json_decref(j);
    json_decref(j2);
    wn_stats_release(&s);
    wn_stats_release(&back);
    wn_stats_release(&all);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_merge_and_json_roundtrip),
        cmocka_unit_test(test_shard_and_size_parsing),
        cmocka_unit_test(test_slices_are_disjoint_and_cover),
        cmocka_unit_test(test_count_families_bounded),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
