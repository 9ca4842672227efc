/* test_handout.c: core/handout.h. Every item is handed out exactly once, whatever the
 * number of threads that come for them (fewer than planned, more stealing than owning);
 * one thread gets them in key order, equal keys in input order; each thread's first item
 * is its stretch's, big items come before small ones in a stretch, a stretch ends at a change
 * of group nearby, and the radix sort
 * agrees with qsort on keys that differ in any byte. */
#include "testutil.h"

#include "core/handout.h"

#include <omp.h>

static uint64_t rng_next(uint64_t *s)
{
    *s = *s * 6364136223846793005ull + 1442695040888963407ull;
    return *s >> 11;
}

/* n items with keys drawn from `distinct` values spread over all 8 bytes of the key. */
static void fill(wn_handout *h, size_t n, unsigned distinct, uint64_t seed)
{
    wn_handout_item *it = wn_handout_reset(h, n);
    for (size_t i = 0; i < n; i++) {
        uint64_t k = rng_next(&seed) % distinct;
        it[i] = (wn_handout_item){ k * 0x0101010101010101ull ^ (k << 40), 1 + rng_next(&seed) % 5000,
                                   i };
    }
}

static int by_key_then_index(const void *a, const void *b)
{
    const wn_handout_item *x = a, *y = b;
    if (x->key != y->key)
        return x->key < y->key ? -1 : 1;
    return (x->index > y->index) - (x->index < y->index);
}

static void test_one_thread_key_order(void **state)
{
    (void)state;
    wn_handout h;
    wn_handout_init(&h);
    for (unsigned distinct = 1; distinct <= 4096; distinct *= 8) {
        size_t n = 3000;
        fill(&h, n, distinct, distinct);
        wn_handout_item *want = malloc(n * sizeof *want);
        memcpy(want, h.items, n * sizeof *want);
        qsort(want, n, sizeof *want, by_key_then_index);
        wn_handout_plan(&h, 1);
        for (size_t k = 0; k < n; k++) {
            assert_int_equal(wn_handout_next(&h, 0), want[k].index);
        }
        assert_int_equal(wn_handout_next(&h, 0), WN_HANDOUT_DONE);
        free(want);
    }
    wn_handout_release(&h);
}

static void test_empty_and_single(void **state)
{
    (void)state;
    wn_handout h;
    wn_handout_init(&h);
    wn_handout_reset(&h, 0);
    wn_handout_plan(&h, 4);
    for (int t = 0; t < 4; t++)
        assert_int_equal(wn_handout_next(&h, t), WN_HANDOUT_DONE);
    wn_handout_item *it = wn_handout_reset(&h, 1);
    it[0] = (wn_handout_item){ 7, 100, 42 };
    wn_handout_plan(&h, 4);
    /* thread 3's stretch is empty: it steals the one item */
    assert_int_equal(wn_handout_next(&h, 3), 42);
    for (int t = 0; t < 4; t++)
        assert_int_equal(wn_handout_next(&h, t), WN_HANDOUT_DONE);
    wn_handout_release(&h);
}

/* Threads of a team of `team` take all items of a plan made for `planned` threads: each
 * index exactly once. */
static void take_all(wn_handout *h, size_t n, int planned, int team)
{
    unsigned char *seen = calloc(n, 1);
    wn_handout_plan(h, planned);
    size_t taken = 0;
#pragma omp parallel num_threads(team) reduction(+ : taken)
    {
        int t = omp_get_thread_num();
        for (size_t i; (i = wn_handout_next(h, t)) != WN_HANDOUT_DONE;) {
            unsigned char was;
#pragma omp atomic capture
            was = seen[i]++;
            if (was == 0)
                taken++;
        }
    }
    assert_int_equal(taken, n);
    for (size_t i = 0; i < n; i++)
        assert_int_equal(seen[i], 1);
    free(seen);
}

static void test_every_item_once_at_any_team_size(void **state)
{
    (void)state;
    wn_handout h;
    wn_handout_init(&h);
    for (int round = 0; round < 50; round++) {
        size_t n = 1 + (size_t)round * 97;
        fill(&h, n, 1 + (unsigned)round % 40, (uint64_t)round);
        int planned = 1 + round % 8;
        take_all(&h, n, planned, planned);
        fill(&h, n, 7, (uint64_t)round);
        take_all(&h, n, planned, 1 + round % 3); /* fewer threads came: the rest is stolen */
    }
    wn_handout_release(&h);
}

/* With two threads: thread 0 starts at the front of the key order, thread 1 where half
 * the bytes are before it, each with its stretch's big items first; a thread done with its
 * own takes from the back of the other's. */
static void test_stretches_and_big_items_first(void **state)
{
    (void)state;
    wn_handout h;
    wn_handout_init(&h);
    /* item 0: key 0, 1000 bytes; items 1..8: keys 1..8, 10 bytes; item 9: key 5, 500 bytes */
    wn_handout_item *it = wn_handout_reset(&h, 10);
    it[0] = (wn_handout_item){ 0, 1000, 0 };
    for (size_t i = 1; i <= 8; i++)
        it[i] = (wn_handout_item){ i, 10, i };
    it[9] = (wn_handout_item){ 5, 500, 9 };
    wn_handout_plan(&h, 2);
    /* 1580 bytes: stretch 0 is item 0 alone, stretch 1 the rest in key order (1 2 3 4 5 9
     * 6 7 8) with item 9, big (at least 1/16 of a thread's 790), moved to its front */
    assert_int_equal(wn_handout_next(&h, 1), 9);
    assert_int_equal(wn_handout_next(&h, 0), 0);
    assert_int_equal(wn_handout_next(&h, 1), 1);
    assert_int_equal(wn_handout_next(&h, 0), 8); /* stolen from the back */
    assert_int_equal(wn_handout_next(&h, 0), 7);
    assert_int_equal(wn_handout_next(&h, 1), 2);
    wn_handout_release(&h);
}

/* Two threads over a items of group 1 then b of group 2, 100 bytes each: the first item
 * thread 1 takes, which begins its stretch. */
static size_t second_stretch_start(wn_handout *h, size_t a, size_t b)
{
    wn_handout_item *it = wn_handout_reset(h, a + b);
    for (size_t i = 0; i < a + b; i++)
        it[i] = (wn_handout_item){ (uint64_t)(i < a ? 1 : 2) << 32, 100, i };
    wn_handout_plan(h, 2);
    return wn_handout_next(h, 1);
}

/* A stretch ends at a change of group (the key's high half) when one is within a third of
 * a thread's share of the cut by bytes, so that one thread takes a whole group. */
static void test_stretches_end_at_groups(void **state)
{
    (void)state;
    wn_handout h;
    wn_handout_init(&h);
    /* the half falls after item 8 of 10 of group 1; its end is 200 bytes on (share 800) */
    assert_int_equal(second_stretch_start(&h, 10, 6), 10);
    /* 400 bytes on: too far, the cut stays at the half */
    assert_int_equal(second_stretch_start(&h, 12, 4), 8);
    /* the half falls after the first item of group 2: the cut moves back 100 bytes */
    assert_int_equal(second_stretch_start(&h, 7, 9), 7);
    for (size_t k = 0; k < 7; k++) /* thread 0: group 1 alone, then group 2 from its back */
        assert_int_equal(wn_handout_next(&h, 0), k);
    assert_int_equal(wn_handout_next(&h, 0), 15);
    wn_handout_release(&h);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_one_thread_key_order),
        cmocka_unit_test(test_empty_and_single),
        cmocka_unit_test(test_every_item_once_at_any_team_size),
        cmocka_unit_test(test_stretches_and_big_items_first),
        cmocka_unit_test(test_stretches_end_at_groups),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
