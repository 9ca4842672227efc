/* split.c: the tables of split.h, built once from the vocabulary (a few milliseconds). */
#include "tokenize/split.h"

#include "core/buf.h"

#include <stdlib.h>
#include <string.h>

static bool is_cont(uint8_t b)
{
    return (b & 0xC0) == 0x80;
}

/* Length of the UTF-8 sequence a lead byte starts (1 for ASCII), 0 for a byte that starts
 * none. */
static size_t seq_len(uint8_t b)
{
    return b < 0x80 ? 1 : b < 0xC0 ? 0 : b < 0xE0 ? 2 : b < 0xF0 ? 3 : b < 0xF8 ? 4 : 0;
}

/* Index of a proper suffix of a character (1 or 2 continuation bytes; 3 belong to no BMP
 * character) or a proper prefix (a lead byte, with one continuation byte for a three-byte
 * character), in the build's marks. */
#define N_PARTIAL (256 + 256 * 256)
static size_t partial_index(const uint8_t *b, size_t len)
{
    return len == 1 ? b[0] : 256 + (size_t)b[0] * 256 + b[1];
}

/* While building: which partial sides occur, by what they stand next to. */
enum { SUFFIX_BEFORE_FULL, SUFFIX_BEFORE_PARTIAL, PREFIX_AFTER_FULL, PREFIX_AFTER_PARTIAL,
       N_MARKS };

/* Flag the whole character b[0..n) (n = 1 to 3). */
static void flag_char(wn_tok_splits *s, const uint8_t *b, size_t n, uint8_t flag)
{
    uint32_t cp = b[0];
    if (n == 1 ? cp < 0x80 : utf8_decode(b, n, &cp) == n)
        s->flags[cp] |= flag;
}

/* Enter token T's crossing at offset k (T[k] starts a character): the bytes before k that
 * belong to the character ending there (all of it, or the continuation bytes T starts
 * with), then the character starting at k (all of it, or as much as T holds). Crossings no
 * pair of BMP characters can show are left out. */
static void add_crossing(wn_tok_splits *s, uint8_t *marks[N_MARKS], const uint8_t *T, size_t len,
                         size_t k)
{
    size_t r = seq_len(T[k]);
    if (r == 0 || r == 4)
        return;
    size_t nr = k + r <= len ? r : len - k;
    for (size_t q = k + 1; q < k + nr; q++)
        if (!is_cont(T[q]))
            return;
    size_t start = k;
    while (start > 0 && is_cont(T[start - 1]))
        start--;
    bool left_partial = start == 0; /* T[0..k) are all continuation bytes */
    bool right_partial = nr < r;
    size_t nl = k - (left_partial ? 0 : start - 1);
    if (left_partial ? nl > 2 : seq_len(T[k - nl]) != nl || nl == 4)
        return;
    const uint8_t *left = T + k - nl, *right = T + k;
    if (left_partial) {
        marks[right_partial ? SUFFIX_BEFORE_PARTIAL : SUFFIX_BEFORE_FULL]
             [partial_index(left, nl)] = 1;
        if (!right_partial)
            flag_char(s, right, nr, WN_TOK_SPLIT_FULL_AFTER_PARTIAL);
    }
    if (right_partial) {
        marks[left_partial ? PREFIX_AFTER_PARTIAL : PREFIX_AFTER_FULL]
             [partial_index(right, nr)] = 1;
        if (!left_partial)
            flag_char(s, left, nl, WN_TOK_SPLIT_FULL_BEFORE_PARTIAL);
    }
    uint64_t h = wn_tok_split_hash(left, nl, right, nr);
    *wn_tok_split_word(s, h) |= wn_tok_split_mask(h);
}

/* The UTF-8 bytes of a BMP code point from U+0080 on; returns their count. */
static size_t encode_bmp(uint32_t cp, uint8_t b[3])
{
    if (cp < 0x800) {
        b[0] = (uint8_t)(0xC0 | cp >> 6);
        b[1] = (uint8_t)(0x80 | (cp & 0x3F));
        return 2;
    }
    b[0] = (uint8_t)(0xE0 | cp >> 12);
    b[1] = (uint8_t)(0x80 | ((cp >> 6) & 0x3F));
    b[2] = (uint8_t)(0x80 | (cp & 0x3F));
    return 3;
}

void wn_tok_splits_build(wn_tok *t)
{
    wn_tok_splits *s = &t->splits;
    s->bloom = wn_xcalloc(WN_TOK_SPLIT_WORDS, sizeof *s->bloom);
    s->flags = wn_xcalloc(0x10000, 1);
    uint8_t *marks[N_MARKS];
    for (int i = 0; i < N_MARKS; i++)
        marks[i] = wn_xcalloc(N_PARTIAL, 1);
    for (uint32_t id = 0; id < t->n_ranks; id++) {
        const uint8_t *T = (const uint8_t *)t->blob + t->off[id];
        size_t len = t->off[id + 1] - t->off[id];
        for (size_t k = 1; k < len; k++)
            if (!is_cont(T[k]))
                add_crossing(s, marks, T, len, k);
    }
    /* per character: whether any of its proper suffixes or prefixes was entered, and next to
     * what */
    static const uint8_t flag_of[N_MARKS] = {
        WN_TOK_SPLIT_SUFFIX_BEFORE_FULL, WN_TOK_SPLIT_SUFFIX_BEFORE_PARTIAL,
        WN_TOK_SPLIT_PREFIX_AFTER_FULL, WN_TOK_SPLIT_PREFIX_AFTER_PARTIAL
    };
    for (uint32_t cp = 0x80; cp < 0x10000; cp++) {
        if (cp >= 0xD800 && cp <= 0xDFFF) {
            s->flags[cp] = WN_TOK_SPLIT_NEVER; /* never decoded; for completeness */
            continue;
        }
        uint8_t b[3];
        size_t n = encode_bmp(cp, b);
        for (size_t i = 1; i < n; i++)
            for (int m = 0; m < N_MARKS; m++) {
                bool suffix = m == SUFFIX_BEFORE_FULL || m == SUFFIX_BEFORE_PARTIAL;
                if (marks[m][partial_index(suffix ? b + n - i : b, i)])
                    s->flags[cp] |= flag_of[m];
            }
    }
    for (int i = 0; i < N_MARKS; i++)
        free(marks[i]);
}

void wn_tok_splits_free(wn_tok_splits *s)
{
    free(s->bloom);
    free(s->flags);
    memset(s, 0, sizeof *s);
}
