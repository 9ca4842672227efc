/* test_mix_split.c: the mix's validation draw (select.c's mx_split_is_val, which writes the
 * document index's digits itself after a key made once per dataset) against the plain
 * reference it replaced: snprintf of "<source>\n<file name>\n<index>" and XXH64 under the
 * seed, the top 53 bits as a fraction. The fixtures' dataset names with indexes 0-19,999
 * (every index they have, and more), indexes at each decimal length up to 2^64-1, several
 * seeds and fractions: the same draw each time. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "core/buf.h"
#include "mix/mix_internal.h"

#include <stdio.h>
#include <string.h>
#include <xxhash.h>

static bool reference_is_val(const char *source, const char *file, uint64_t doc, uint64_t seed,
                             double fraction)
{
    if (fraction <= 0)
        return false;
    char key[512];
    int n = snprintf(key, sizeof key, "%s\n%s\n%llu", source, file, (unsigned long long)doc);
    uint64_t h = XXH64(key, (size_t)n, seed);
    return (double)(h >> 11) * 0x1.0p-53 < fraction;
}

/* Draws for docs of one dataset under both, counting validation documents. */
static uint64_t compare(const char *source, const char *prefix, const uint64_t *docs, size_t n,
                        uint64_t seed, double fraction)
{
    const char *base = strrchr(prefix, '/');
    wn_buf key = WN_BUF_INIT;
    mx_split_key(&key, source, prefix);
    uint64_t val = 0;
    for (size_t i = 0; i < n; i++) {
        bool want = reference_is_val(source, base ? base + 1 : prefix, docs[i], seed, fraction);
        bool got = mx_split_is_val(&key, docs[i], seed, fraction);
        if (want != got)
            fail_msg("%s %s doc %llu seed %llu fraction %g: got %d, want %d", source, prefix,
                     (unsigned long long)docs[i], (unsigned long long)seed, fraction, got, want);
        val += got;
    }
    wn_buf_release(&key);
    return val;
}

static void test_fixture_documents(void **state)
{
    (void)state;
    static const char *const names[] = {"web", "code", "multilingual"};
    static const uint64_t seeds[] = {0, 7, 42, 0xffffffffffffffffull};
    static const double fractions[] = {0, 0.005, 0.3, 1};
    uint64_t docs[20000];
    for (size_t i = 0; i < 20000; i++)
        docs[i] = i; /* every index the fixtures have (< 2,000) and more */
    for (size_t f = 0; f < 3; f++)
        for (size_t s = 0; s < 4; s++)
            for (size_t k = 0; k < 4; k++) {
                char prefix[256];
                snprintf(prefix, sizeof prefix, "/some/dir/tests/data/mix/%s", names[f]);
                uint64_t val = compare(names[f], prefix, docs, 20000, seeds[s], fractions[k]);
                double share = (double)val / 20000;
                assert_true(share >= fractions[k] - 0.02 && share <= fractions[k] + 0.02);
            }
}

static void test_every_decimal_length(void **state)
{
    (void)state;
    uint64_t docs[64 * 3];
    size_t n = 0;
    for (uint64_t p = 1; n < sizeof docs / sizeof *docs && p <= UINT64_MAX / 10; p *= 10) {
        docs[n++] = p - 1; /* 9, 99, ... */
        docs[n++] = p;
        docs[n++] = p + 1;
    }
    docs[n++] = UINT64_MAX;
    /* a prefix without a directory, and a long source name (the key outgrows 64 bytes) */
    compare("general", "tokens-00000", docs, n, 3, 0.5);
    compare("a-source-name-long-enough-to-need-the-buffer-to-grow-more-than-once-0123456789",
            "x/y/z/tokens-00001", docs, n, 3, 0.5);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_fixture_documents),
        cmocka_unit_test(test_every_decimal_length),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
