/* test_tok_backtrack.c: the backtracking encoder (bpe_backtrack.c) against plain BPE by
 * rank from bytes (the exact pair table, lowest-ranked pair first), on every token, on
 * random concatenations of tokens and on windows of real text in many scripts; and its pair
 * check against its definition. */
#include "tests/unit/tok_test_util.h"
#include "tokenize/bpe_backtrack.h"
#include "tokenize/tok_internal.h"

static wn_tok *g_tok;

static int setup(void **state)
{
    (void)state;
    g_tok = tok_load_repo();
    return g_tok && g_tok->prefixes.buckets ? 0 : -1;
}

static int teardown(void **state)
{
    (void)state;
    wn_tok_free(g_tok);
    return 0;
}

static uint64_t next_rand(uint64_t *rng)
{
    *rng ^= *rng << 13, *rng ^= *rng >> 7, *rng ^= *rng << 17;
    return *rng;
}

/* BPE by rank from the bytes p[0..n) into id[0..n), tiktoken's way: parts are byte spans,
 * and the adjacent two whose concatenation is the lowest-ranked token join, until none is a
 * token (no merge table involved). */
static size_t reference(const uint8_t *p, size_t n, uint32_t *id)
{
    size_t len[WN_TOK_BACKTRACK_MAX * 2], m = n;
    for (size_t i = 0; i < n; i++)
        len[i] = 1;
    for (;;) {
        int64_t low = -1;
        size_t at = 0, off = 0;
        for (size_t i = 0; i + 1 < m; off += len[i++]) {
            int64_t r = wn_tok_lookup(g_tok, p + off, len[i] + len[i + 1]);
            if (r >= 0 && (low < 0 || r < low))
                low = r, at = i;
        }
        if (low < 0)
            break;
        len[at] += len[at + 1];
        m--;
        for (size_t i = at + 1; i < m; i++)
            len[i] = len[i + 1];
    }
    size_t off = 0;
    for (size_t i = 0; i < m; off += len[i++])
        id[i] = (uint32_t)wn_tok_lookup(g_tok, p + off, len[i]);
    return m;
}

/* Counts of cases compared and of cases the encoder declined (an ambiguous fingerprint). */
static size_t g_compared, g_declined;

static void check(const uint8_t *p, size_t n, const char *what, size_t which)
{
    uint32_t want[WN_TOK_BACKTRACK_MAX], got[WN_TOK_BACKTRACK_MAX];
    size_t mw = reference(p, n, want);
    size_t mg = wn_tok_bpe_backtrack(g_tok, p, n, n, got);
    if (mg == 0) {
        g_declined++;
        return;
    }
    if (mg != mw || memcmp(got, want, mw * sizeof *got) != 0)
        fail_msg("%s %zu (%zu bytes): backtracking differs from BPE", what, which, n);
    g_compared++;
}

/* The bytes of every token, alone: BPE of a token BPE makes is that token, of the others
 * something else, and the encoder must give the same in both cases. */
static void test_every_token(void **state)
{
    (void)state;
    g_compared = g_declined = 0;
    for (uint32_t id = 0; id < g_tok->n_ranks; id++) {
        size_t len = g_tok->off[id + 1] - g_tok->off[id];
        if (len >= 2 && len <= WN_TOK_BACKTRACK_MAX)
            check((const uint8_t *)g_tok->blob + g_tok->off[id], len, "token", id);
    }
    size_t used = 0, full = 0, slots = (size_t)8 << g_tok->prefixes.bits;
    for (size_t i = 0; i < slots; i++)
        used += g_tok->prefixes.buckets[i] != 0;
    for (size_t i = 7; i < slots; i += 8)
        full += g_tok->prefixes.buckets[i] != 0;
    print_message("prefix table: %zu slots, %zu used, %zu full buckets\n", slots, used, full);
    print_message("%zu tokens compared, %zu declined\n", g_compared, g_declined);
    assert_true(g_compared > 127000);
    assert_true(g_declined < 100);
}

/* Concatenations of 2 to 9 random tokens (up to the encoder's limit): the boundaries are
 * where the pair checks and the backtracking work. */
static void test_concatenations(void **state)
{
    (void)state;
    g_compared = g_declined = 0;
    uint64_t rng = 0x243F6A8885A308D3ull;
    for (size_t c = 0; c < 150000; c++) {
        uint8_t bytes[WN_TOK_BACKTRACK_MAX];
        size_t n = 0, parts = 2 + next_rand(&rng) % (c < 100000 ? 2 : 8);
        for (size_t k = 0; k < parts; k++) {
            uint32_t id = (uint32_t)(next_rand(&rng) % g_tok->n_ranks);
            size_t len = g_tok->off[id + 1] - g_tok->off[id];
            if (n + len > sizeof bytes)
                break;
            memcpy(bytes + n, g_tok->blob + g_tok->off[id], len);
            n += len;
        }
        if (n >= 2)
            check(bytes, n, "concatenation", c);
    }
    print_message("%zu concatenations compared, %zu declined\n", g_compared, g_declined);
    assert_true(g_compared > 149000);
}

/* Windows of 2 to 256 bytes of golden.jsonl (real text in many scripts, JSON and all; cut
 * anywhere, so also through characters). */
static void test_real_text_windows(void **state)
{
    (void)state;
    size_t len = 0;
    char *text = tok_slurp("../shared/data/tokenizer/golden.jsonl", &len);
    if (!text)
        skip();
    g_compared = g_declined = 0;
    uint64_t rng = 88172645463325252ull;
    for (size_t c = 0; c < 60000 && len > WN_TOK_BACKTRACK_MAX; c++) {
        size_t n = 2 + next_rand(&rng) % (WN_TOK_BACKTRACK_MAX - 1);
        size_t at = next_rand(&rng) % (len - n);
        check((const uint8_t *)text + at, n, "window", c);
    }
    free(text);
    print_message("%zu windows compared, %zu declined\n", g_compared, g_declined);
    assert_true(g_compared > 59000);
}

/* The pair check is what it says: BPE of the bytes of a then b ends as a, b. */
static void test_pair_check(void **state)
{
    (void)state;
    uint64_t rng = 0x9E3779B97F4A7C15ull;
    size_t valid = 0, invalid = 0;
    while (valid + invalid < 200000) {
        uint32_t a = (uint32_t)(next_rand(&rng) % g_tok->n_ranks);
        uint32_t b = (uint32_t)(next_rand(&rng) % (valid % 3 == 0 ? 256 : g_tok->n_ranks));
        uint8_t bytes[WN_TOK_BACKTRACK_MAX * 2];
        uint32_t id[WN_TOK_BACKTRACK_MAX * 2];
        size_t la = g_tok->off[a + 1] - g_tok->off[a], lb = g_tok->off[b + 1] - g_tok->off[b];
        if (reference((const uint8_t *)g_tok->blob + g_tok->off[a], la, id) != 1 || id[0] != a ||
            reference((const uint8_t *)g_tok->blob + g_tok->off[b], lb, id) != 1 || id[0] != b)
            continue; /* tokens BPE does not make never meet */
        memcpy(bytes, g_tok->blob + g_tok->off[a], la);
        memcpy(bytes + la, g_tok->blob + g_tok->off[b], lb);
        size_t m = reference(bytes, la + lb, id);
        bool want = m == 2 && id[0] == a && id[1] == b;
        if (wn_tok_pair_valid(g_tok, a, b) != want)
            fail_msg("pair %u %u: check says %d, BPE says %d", a, b, !want, want);
        want ? valid++ : invalid++;
    }
    print_message("%zu valid pairs, %zu invalid\n", valid, invalid);
    assert_true(valid > 1000 && invalid > 1000);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_every_token),
        cmocka_unit_test(test_concatenations),
        cmocka_unit_test(test_real_text_windows),
        cmocka_unit_test(test_pair_check),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
