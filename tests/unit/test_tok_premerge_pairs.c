/* test_tok_premerge_pairs.c: pairs of Cyrillic letters that premerge.c starts as their token
 * (cyrillic_pairs) give the ids of BPE from bytes with a table of every split (no premerging
 * at all): every pair of letters U+0400..U+047F between neighbours of every kind, and random
 * runs of letters with spaces, ASCII and broken bytes among them, as one piece each. */
#include "tokenize/tok_internal.h"
#include "tokenize/tokenizer.h"
#include "tests/unit/tok_test_util.h"

static wn_tok *g_tok, *g_all;

static int setup(void **state)
{
    (void)state;
    g_tok = tok_load_repo();
    g_all = tok_load_repo();
    return g_tok && g_all && wn_tok_use_all_pairs(g_all) == 0 ? 0 : -1;
}

static int teardown(void **state)
{
    (void)state;
    wn_tok_free(g_tok);
    wn_tok_free(g_all);
    return 0;
}

static size_t put_letter(uint8_t *s, uint32_t x)
{
    uint32_t cp = 0x400 + x;
    s[0] = (uint8_t)(0xC0 | cp >> 6);
    s[1] = (uint8_t)(0x80 | (cp & 63));
    return 2;
}

/* BPE of s[0..n) as one piece, with and without premerging, must agree. */
static void check_piece(const uint8_t *s, size_t n, wn_tok_ids *a, wn_tok_ids *b)
{
    a->len = b->len = 0;
    wn_tok_bpe_merge(g_tok, s, n, a);
    wn_tok_bpe_merge(g_all, s, n, b);
    if (a->len != b->len || memcmp(a->ids, b->ids, a->len * sizeof *a->ids) != 0) {
        char hex[3 * 64 + 1] = "";
        for (size_t i = 0; i < n && i < 64; i++)
            snprintf(hex + 3 * i, 4, "%02x ", s[i]);
        fail_msg("piece %s: ids differ from BPE from bytes", hex);
    }
}

/* Every pair X Y between each of: nothing, a space, an ASCII letter, a Cyrillic letter (three
 * of them), a CJK character, a lone continuation byte; and the count of pieces where some
 * pair did start as its token (the path was taken). */
static void test_every_letter_pair(void **state)
{
    (void)state;
    static const char *const side[] = { "",         " ",        "a",        "\xD0\xB4",
                                        "\xD0\xBE", "\xD1\x8C", "\xE4\xB8\xAD", "\x80" };
    enum { SIDES = sizeof side / sizeof *side };
    wn_tok_ids a = WN_TOK_IDS_INIT, b = WN_TOK_IDS_INIT;
    size_t n_paired = 0;
    for (uint32_t x = 0; x < WN_TOK_CYR_LETTERS; x++)
        for (uint32_t y = 0; y < WN_TOK_CYR_LETTERS; y++)
            for (int l = 0; l < SIDES; l++)
                for (int r = 0; r < SIDES; r++) {
                    uint8_t s[16];
                    size_t n = strlen(side[l]);
                    memcpy(s, side[l], n);
                    n += put_letter(s + n, x);
                    n += put_letter(s + n, y);
                    memcpy(s + n, side[r], strlen(side[r]));
                    n += strlen(side[r]);
                    check_piece(s, n, &a, &b);
                    uint32_t id[16];
                    n_paired += l == 0 && r == 0 && wn_tok_premerge_parts(g_tok, s, n, id) == 1;
                }
    assert_true(n_paired > 300); /* 416 of the 16,384 pairs alone */
    wn_tok_ids_release(&a);
    wn_tok_ids_release(&b);
}

/* Every pair X Y that is a token, with every letter Z before it and after it. */
static void test_token_pairs_with_letters(void **state)
{
    (void)state;
    wn_tok_ids a = WN_TOK_IDS_INIT, b = WN_TOK_IDS_INIT;
    size_t n_tokens = 0;
    for (uint32_t x = 0; x < WN_TOK_CYR_LETTERS; x++)
        for (uint32_t y = 0; y < WN_TOK_CYR_LETTERS; y++) {
            uint8_t s[8];
            put_letter(s, x);
            put_letter(s + 2, y);
            if (wn_tok_lookup(g_tok, (const char *)s, 4) < 0)
                continue;
            n_tokens++;
            for (uint32_t z = 0; z < WN_TOK_CYR_LETTERS; z++) {
                uint8_t t[8];
                put_letter(t, z);
                memcpy(t + 2, s, 4);
                check_piece(t, 6, &a, &b);
                put_letter(s + 4, z);
                check_piece(s, 6, &a, &b);
            }
        }
    assert_int_equal(n_tokens, 448); /* Llama 3's two-letter tokens in U+0400..U+047F */
    wn_tok_ids_release(&a);
    wn_tok_ids_release(&b);
}

/* 200,000 runs of 2 to 40 letters (seeded), one in eight characters a space, an ASCII letter,
 * a CJK character or a broken byte, as one piece. */
static void test_random_runs(void **state)
{
    (void)state;
    static const char *const other[] = { " ", "e", "\xE4\xB8\xAD", "\x80", "\xD0" };
    wn_tok_ids a = WN_TOK_IDS_INIT, b = WN_TOK_IDS_INIT;
    uint64_t rng = 0x2545F4914F6CDD1Dull;
    for (int i = 0; i < 200000; i++) {
        uint8_t s[3 * 40];
        size_t n = 0;
        rng = rng * 6364136223846793005ull + 1442695040888963407ull;
        size_t chars = 2 + (size_t)(rng >> 58) % 39;
        for (size_t c = 0; c < chars; c++) {
            rng = rng * 6364136223846793005ull + 1442695040888963407ull;
            uint32_t v = (uint32_t)(rng >> 33);
            if (v % 8 == 0) {
                const char *o = other[(v >> 3) % 5];
                memcpy(s + n, o, strlen(o));
                n += strlen(o);
            } else { /* common letters more often: Russian's а..я, then any */
                n += put_letter(s + n, v % 3 ? 0x30 + (v >> 3) % 32 : (v >> 3) % 128);
            }
        }
        check_piece(s, n, &a, &b);
    }
    wn_tok_ids_release(&a);
    wn_tok_ids_release(&b);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_every_letter_pair),
        cmocka_unit_test(test_token_pairs_with_letters),
        cmocka_unit_test(test_random_runs),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
