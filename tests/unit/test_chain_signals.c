/* test_chain_signals.c: wn_filter_signal (filter/chain.c) adds each signal to the histogram
 * whose index it keeps per name and thread (wn_stats_hist_find_const, wn_hist_add); its
 * plain reference is wn_stats_hist, which finds the histogram by comparing names. Several
 * statistics in turn (the chain has one per stage and thread), more names than the table
 * holds, histograms added between (their array moves), statistics released and made again
 * at the same address with their histograms in another order, and values at and past the
 * bins' edges and NaN: every histogram's bins, count and sum must be the
 * reference's, bit for bit. */
#include "filter_helpers.h"

#include "core/stats.h"
#include "filter/filter.h"

#include <math.h>

enum { NAMES = 400, STATS = 3, CALLS = 30000 };

static uint64_t rng_state = 0x9E3779B97F4A7C15ull;

static uint64_t rnd(uint64_t n)
{
    uint64_t z = (rng_state += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return (z ^ (z >> 31)) % n;
}

/* A value for a histogram over [lo, hi) of 50 bins: inside, on a bin's edge, just beside
 * one, outside, or not a number. */
static double value(double lo, double hi)
{
    double w = (hi - lo) / 50;
    switch (rnd(8)) {
    case 0: return lo + (double)rnd(51) * w;                 /* an edge */
    case 1: return nextafter(lo + (double)rnd(51) * w, -INFINITY);
    case 2: return nextafter(lo + (double)rnd(51) * w, INFINITY);
    case 3: return lo - (double)rnd(1000);                    /* below */
    case 4: return hi + (double)rnd(1000);                    /* above */
    case 5: return NAN; /* (not infinities: converting them to a bin is undefined) */
    default: return lo + (hi - lo) * (double)rnd(1000003) / 1000003.0;
    }
}

static void assert_same_hists(const wn_stats *got, const wn_stats *want)
{
    assert_int_equal(got->n_hists, want->n_hists);
    for (size_t i = 0; i < want->n_hists; i++) {
        const wn_hist *a = &got->hists[i], *b = &want->hists[i];
        assert_string_equal(a->name, b->name);
        assert_int_equal(a->nbins, b->nbins);
        assert_memory_equal(&a->lo, &b->lo, sizeof a->lo);
        assert_memory_equal(&a->hi, &b->hi, sizeof a->hi);
        assert_int_equal(a->n, b->n);
        if (memcmp(&a->sum, &b->sum, sizeof a->sum) && !(isnan(a->sum) && isnan(b->sum)))
            fail_msg("'%s': sum %.17g, reference %.17g", a->name, a->sum, b->sum);
        assert_memory_equal(a->bins, b->bins, (size_t)a->nbins * sizeof *a->bins);
    }
}

static void test_signals_match_reference_histograms(void **state)
{
    (void)state;
    static char names[NAMES][32]; /* the same bytes at each address for the process's life */
    static double lo[NAMES], hi[NAMES];
    for (int i = 0; i < NAMES; i++) {
        snprintf(names[i], sizeof names[i], "test_chain.signal_%d", i);
        lo[i] = i % 3 ? 0 : -(double)(i % 7);
        hi[i] = i % 5 == 0 ? 1.0001 : i % 5 == 1 ? 0.2 : (double)(1 + i % 200);
    }
    wn_stats got[STATS], want[STATS];
    for (int k = 0; k < STATS; k++) {
        wn_stats_init(&got[k], "got");
        wn_stats_init(&want[k], "want");
    }
    wn_doc d;
    wn_doc_init(&d);
    for (int c = 0; c < CALLS; c++) {
        int k = (int)rnd(STATS);
        /* mostly a few names in turn, as a chain's stages add theirs; now and then any */
        int i = rnd(8) ? (int)(c % 40) : (int)rnd(NAMES);
        double v = value(lo[i], hi[i]);
        wn_filter_signal(&d, 10, &got[k], names[i], v, lo[i], hi[i]);
        wn_stats_hist(&want[k], names[i], lo[i], hi[i], 50, v);
        if (c % 97 == 0) { /* a new document: its attributes start again */
            wn_doc_release(&d);
            wn_doc_init(&d);
        }
        if (c % 5000 == 4999) { /* statistics made again at the same address */
            assert_same_hists(&got[k], &want[k]);
            wn_stats_release(&got[k]);
            wn_stats_release(&want[k]);
            wn_stats_init(&got[k], "got");
            wn_stats_init(&want[k], "want");
            /* another order of the names than their kept indexes */
            for (int j = NAMES - 1; j >= 0; j -= 37) {
                double x = value(lo[j], hi[j]);
                wn_filter_signal(&d, 10, &got[k], names[j], x, lo[j], hi[j]);
                wn_stats_hist(&want[k], names[j], lo[j], hi[j], 50, x);
            }
        }
    }
    for (int k = 0; k < STATS; k++) {
        assert_same_hists(&got[k], &want[k]);
        wn_stats_release(&got[k]);
        wn_stats_release(&want[k]);
    }
    wn_doc_release(&d);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_signals_match_reference_histograms),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
