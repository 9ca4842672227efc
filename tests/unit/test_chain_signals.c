/* test_chain_signals.c: wn_filter_signal (filter/chain.c) adds each signal to the histogram
 * whose index it keeps per name and thread (wn_stats_hist_find_const), noting the add for
 * later (wn_stats_hist_later: made a thousand at a time, or when the histograms are read); its
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
    wn_stats_flush_hists(got); /* the adds noted and not made yet (reading hists directly) */
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

/* value() without NaN: a NaN makes both sums NaN, and then their order cannot show */
static double number(double lo, double hi)
{
    double v;
    do
        v = value(lo, hi);
    while (isnan(v));
    return v;
}

static void signal_both(wn_stats *got, wn_stats *want, wn_doc *d, const char *name, double lo,
                        double hi)
{
    double v = number(lo, hi);
    wn_filter_signal(d, 10, got, name, v, lo, hi);
    wn_stats_hist(want, name, lo, hi, 50, v);
}

/* The adds wn_filter_signal notes are made, in their order, before anything reads or adds to
 * the histograms otherwise: wn_stats_hist on the same histogram (the sum's order), the JSON
 * form, and a merge from those statistics (without a flush by the caller). */
static void test_noted_adds_made_before_every_reader(void **state)
{
    (void)state;
    static char names[12][32];
    for (int i = 0; i < 12; i++)
        snprintf(names[i], sizeof names[i], "test_chain.later_%d", i);
    wn_stats got, want;
    wn_stats_init(&got, "s");
    wn_stats_init(&want, "s");
    wn_doc d;
    wn_doc_init(&d);
    for (int c = 0; c < 5000; c++) {
        int i = c % 12;
        double lo = -(double)i, hi = (double)(1 + 7 * i);
        if (rnd(4)) {
            signal_both(&got, &want, &d, names[i], lo, hi);
        } else { /* the same histogram added to directly: after the noted adds */
            double v = number(lo, hi);
            wn_stats_hist(&got, names[i], lo, hi, 50, v);
            wn_stats_hist(&want, names[i], lo, hi, 50, v);
        }
        if (c % 97 == 0) {
            wn_doc_release(&d);
            wn_doc_init(&d);
        }
    }
    for (int c = 0; c < 5000; c++) /* signals alone: the notes fill (1,024) and are made */
        signal_both(&got, &want, &d, names[c % 12], -(double)(c % 12), (double)(1 + 7 * (c % 12)));
    /* the names found a place in the thread's table: their adds are noted */
    assert_true(got.later && got.later->n > 0);
    for (int i = 0; i < 12; i++) /* adds noted and not made when the JSON is asked for */
        signal_both(&got, &want, &d, names[i], -(double)i, (double)(1 + 7 * i));
    json_t *jg = wn_stats_to_json(&got), *jw = wn_stats_to_json(&want);
    assert_true(json_equal(json_object_get(jg, "histograms"), json_object_get(jw, "histograms")));
    json_decref(jg);
    json_decref(jw);
    for (int i = 0; i < 12; i++) /* and when another's statistics take them */
        signal_both(&got, &want, &d, names[i], -(double)i, (double)(1 + 7 * i));
    wn_stats mg, mw;
    wn_stats_init(&mg, "m");
    wn_stats_init(&mw, "m");
    wn_stats_merge(&mg, &got);
    wn_stats_merge(&mw, &want);
    assert_same_hists(&mg, &mw);
    assert_same_hists(&got, &want);
    wn_stats_release(&mg);
    wn_stats_release(&mw);
    wn_stats_release(&got);
    wn_stats_release(&want);
    wn_doc_release(&d);
}

int main(void)
{
    /* the readers' test first: the other fills the thread's table of names (256), and a
     * name with no place there is added at once (wn_stats_hist_const), not noted */
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_noted_adds_made_before_every_reader),
        cmocka_unit_test(test_signals_match_reference_histograms),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
