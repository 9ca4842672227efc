/* test_tok_premerge.c: wn_tok_premerge_parts (premerge.c) against its definition written
 * plainly (a character at a time, both neighbours checked where they exist), and the ids
 * BPE makes from its parts against BPE from bytes, on random pieces mixing scripts, ASCII
 * and broken UTF-8. */
#include "tests/unit/tok_test_util.h"
#include "tokenize/pretok.h" /* utf8_decode */
#include "tokenize/tok_internal.h"

static wn_tok *g_tok;

static int setup(void **state)
{
    (void)state;
    g_tok = tok_load_repo();
    return g_tok ? 0 : -1;
}

static int teardown(void **state)
{
    (void)state;
    wn_tok_free(g_tok);
    return 0;
}

/* The parts of p[0..n), a character at a time: the definition wn_tok_premerge_parts
 * implements with sentinels and without bound checks. */
static size_t reference_parts(const wn_tok *t, const uint8_t *p, size_t n, uint32_t *id)
{
    const wn_tok_premerge *pm = &t->premerge;
    size_t m = 0;
    for (size_t i = 0; i < n;) {
        uint8_t b = p[i];
        uint32_t cp = 0;
        size_t len = b >= 0x80 ? utf8_decode(p + i, n - i, &cp) : 0;
        uint64_t e = WN_TOK_PREMERGE_NOT;
        if (len == 2 || len == 3)
            e = pm->blocks[(size_t)pm->block_of[cp >> 8] * 256 + (cp & 255)];
        bool ok = WN_TOK_PREMERGE_BEFORE(e) != WN_TOK_PREMERGE_NOT;
        if (ok && i > 0 && pm->min_before[p[i - 1] * 128 + (b - 0x80)] < WN_TOK_PREMERGE_BEFORE(e))
            ok = false;
        if (ok && i + len < n &&
            pm->min_after[(p[i + len - 1] - 0x80) * WN_TOK_PREMERGE_AFTER_COLS + p[i + len]] <
                WN_TOK_PREMERGE_AFTER(e))
            ok = false;
        if (ok) {
            if (e & WN_TOK_PREMERGE_LAST_TWO)
                id[m++] = t->byte_id[b];
            id[m++] = WN_TOK_PREMERGE_MERGED(e);
            if (e & WN_TOK_PREMERGE_FIRST_TWO)
                id[m++] = t->byte_id[p[i + 2]];
            i += len;
        } else if (b < 0x80 && i + 1 < n && p[i + 1] < 0x80 &&
                   wn_tok_premerge_ascii_pair_first(pm, p, n, i)) {
            id[m++] = WN_TOK_ASCII_FIRST(pm->ascii[b * 128 + p[i + 1]]);
            i += 2;
        } else {
            id[m++] = t->byte_id[b];
            i++;
        }
    }
    return m;
}

/* Pieces drawn from: ASCII letters, space and punctuation; Latin-1, Cyrillic, Greek,
 * Hebrew, Arabic (two bytes); Devanagari (lead E0), CJK, kana, Hangul syllables (lead
 * EA..ED), private use and fullwidth forms (EE, EF: three bytes); an emoji (four bytes);
 * and broken UTF-8: lone continuation bytes, lone leads (C3, E4, F0), C0, C1, a surrogate
 * (ED A0 80), an overlong E0 80 80, bytes F5..FF. Each draw is one of these strings, so a
 * piece may end in a character's middle when cut at a random length. */
static const char *const g_pieces[] = {
    "a",           "e",           "t",           " ",           ".",
    "\n",          "th",          "\xC3\xA9",    "\xC3\xB6",    "\xD0\xB4",
    "\xD0\xB0",    "\xD1\x80",    "\xD1\x8F",    "\xCE\xB1",    "\xCF\x89",
    "\xD7\xA9",    "\xD8\xB3",    "\xD9\x84",    "\xDB\x8C",    "\xE0\xA4\x95",
    "\xE0\xA4\xBE", "\xE4\xB8\xAD", "\xE6\x96\x87", "\xE3\x81\x82", "\xE3\x82\xAB",
    "\xEA\xB0\x80", "\xEC\x9D\xB4", "\xED\x95\x9C", "\xEE\x80\x80", "\xEF\xBC\x8C",
    "\xEF\xBB\xBF", "\xF0\x9F\x98\x80", "\x80",    "\xBF",        "\xC3",
    "\xE4",        "\xF0",        "\xC0\xAF",    "\xC1\xBF",    "\xED\xA0\x80",
    "\xE0\x80\x80", "\xF5",        "\xFF",        "\xE2\x80\x99", "\xC2\xA0",
};

static uint64_t next_random(uint64_t *s)
{
    *s = *s * 6364136223846793005ull + 1442695040888963407ull;
    return *s >> 33;
}

/* A random piece of up to cap bytes into p; returns its length. */
static size_t random_piece(uint64_t *rng, uint8_t *p, size_t cap)
{
    size_t n = 0, want = 1 + next_random(rng) % (next_random(rng) % 8 ? 24 : cap);
    while (n < want) {
        const char *s = g_pieces[next_random(rng) % (sizeof g_pieces / sizeof *g_pieces)];
        size_t l = strlen(s);
        if (n + l > cap)
            break;
        memcpy(p + n, s, l);
        n += l;
    }
    if (n > 1 && next_random(rng) % 4 == 0) /* cut anywhere: a partial character at the end */
        n = 1 + next_random(rng) % n;
    return n ? n : 1;
}

static void test_parts_match_definition(void **state)
{
    (void)state;
    uint64_t rng = 0x2545F4914F6CDD1Dull;
    uint8_t p[256];
    uint32_t got[256], want[256];
    size_t n_merged = 0;
    for (int k = 0; k < 400000; k++) {
        size_t n = random_piece(&rng, p, sizeof p);
        size_t m = wn_tok_premerge_parts(g_tok, p, n, got);
        size_t r = reference_parts(g_tok, p, n, want);
        if (m != r || memcmp(got, want, m * sizeof *got) != 0) {
            char hex[3 * 256 + 1];
            for (size_t i = 0; i < n; i++)
                snprintf(hex + 3 * i, 4, "%02X ", p[i]);
            fail_msg("piece %d (%s): %zu parts, the definition %zu", k, hex, m, r);
        }
        n_merged += n - m;
    }
    assert_true(n_merged > 1000000); /* characters and pairs did start merged */
}

/* Every character of the BMP alone (one-character pieces take a shortcut) and with a
 * letter on either side. */
static void test_parts_every_character(void **state)
{
    (void)state;
    uint32_t got[8], want[8];
    for (uint32_t cp = 0x80; cp < 0x10000; cp++) {
        if (cp >= 0xD800 && cp < 0xE000)
            continue;
        uint8_t p[8];
        size_t len = cp < 0x800 ? 2 : 3;
        p[1] = len == 2 ? (uint8_t)(0xC0 | cp >> 6) : (uint8_t)(0xE0 | cp >> 12);
        if (len == 3)
            p[2] = (uint8_t)(0x80 | (cp >> 6 & 0x3F));
        p[len] = (uint8_t)(0x80 | (cp & 0x3F));
        p[0] = 'a';
        p[len + 1] = 'b';
        for (int v = 0; v < 4; v++) { /* alone, after 'a', before 'b', between them */
            const uint8_t *s = p + !(v & 1);
            size_t n = len + (v & 1) + (v >> 1);
            size_t m = wn_tok_premerge_parts(g_tok, s, n, got);
            size_t r = reference_parts(g_tok, s, n, want);
            if (m != r || memcmp(got, want, m * sizeof *got) != 0)
                fail_msg("U+%04X (variant %d): parts differ from the definition", cp, v);
        }
    }
}

/* BPE from the parts against BPE from bytes with a table of every split, on random pieces. */
static void test_bpe_from_parts(void **state)
{
    (void)state;
    wn_tok *all = tok_load_all_pairs();
    wn_tok_ids a = WN_TOK_IDS_INIT, b = WN_TOK_IDS_INIT;
    uint64_t rng = 0x9E3779B97F4A7C15ull;
    uint8_t p[256];
    for (int k = 0; k < 100000; k++) {
        size_t n = random_piece(&rng, p, sizeof p);
        a.len = b.len = 0;
        wn_tok_bpe_merge(g_tok, p, n, &a);
        wn_tok_bpe_merge(all, p, n, &b);
        if (a.len != b.len || memcmp(a.ids, b.ids, a.len * sizeof *a.ids) != 0)
            fail_msg("piece %d: ids differ from BPE from bytes", k);
    }
    wn_tok_ids_release(&a);
    wn_tok_ids_release(&b);
    wn_tok_free(all);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_parts_match_definition),
        cmocka_unit_test(test_parts_every_character),
        cmocka_unit_test(test_bpe_from_parts),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
