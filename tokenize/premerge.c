/* premerge.c: merging whole characters, and pairs of ASCII bytes, before BPE starts, where
 * that provably changes no id.
 *
 * In text outside ASCII most merges join the bytes of one character: two per CJK character,
 * one per Cyrillic letter. Each costs BPE a full step (find the lowest-ranked pair, merge,
 * look up the two new pairs). Here a character X whose bytes make one token T is merged up
 * front when BPE would merge it before anything else touched its bytes, so BPE starts from
 * fewer parts and takes the same steps after.
 *
 * When that holds. Let R be the highest rank among X's own merges (BPE of its bytes alone,
 * ending as T). While X is not yet T, one of its own pairs, of rank <= R, is always there,
 * so each merge BPE makes meanwhile has rank <= R. So X's bytes merge only among themselves
 * if every other merge that could take one of its parts ranks above R:
 *   - a merge of its first byte with whatever ends just before it: the table `min_before`
 *     gives the lowest rank of any merge whose right part is that single byte and whose left
 *     part ends with the byte the text has there;
 *   - a merge of its last byte with what follows: `min_after`, alike;
 *   - for a three-byte character made through a two-byte part P, a merge of P with its
 *     outer neighbour: the lowest rank of any merge with P on that side.
 * And merging X early must not let BPE take a merge with T sooner than it would have: every
 * merge with T as a part must rank above R as well (true of nearly every token: 81 Llama 3
 * merges rank below one of their parts). Then, by induction over BPE's steps, starting from
 * the merged characters gives the same merges in the same order, less X's own. The first
 * three are known per character and kept in a table by code point; the first two depend on
 * the neighbouring bytes and are checked per piece.
 *
 * On the multilingual corpus about 80% of two-byte and 66% of three-byte characters in
 * merging pieces qualify (28% of all merges).
 *
 * A three-byte character that does not qualify whole may still start as two parts. When BPE
 * of its bytes alone first merges b0 b1 into P (rank R), P is made first in any text too if
 * no merge of the single byte b1 with a right part starting with b2 ranks R or lower
 * (min_after, known at load), none of b0 with the part before it does (checked per piece,
 * as above), and every merge with P as a part ranks above R; the parts are then P and the
 * byte b2, and the argument above holds for P with b2 as its fixed right neighbour. The
 * mirror case: b1 b2 first (Q), b0 and Q. On the multilingual corpus 12,700 characters per
 * pass, one merge each. Tested against BPE from bytes with a table of
 * every split (test_tokenizer.c).
 */
#include "tokenize/pretok.h" /* utf8_decode */
#include "tokenize/tok_internal.h"

#include "core/buf.h"

#include <stdlib.h>
#include <string.h>
#include <unicode/utf8.h>

#define NONE UINT32_MAX

static uint32_t token_len(const wn_tok *t, uint32_t id)
{
    return t->off[id + 1] - t->off[id];
}

static uint8_t first_byte(const wn_tok *t, uint32_t id)
{
    return (uint8_t)t->blob[t->off[id]];
}

static uint8_t last_byte(const wn_tok *t, uint32_t id)
{
    return (uint8_t)t->blob[t->off[id + 1] - 1];
}

static void lower(uint32_t *slot, uint32_t rank)
{
    if (rank < *slot)
        *slot = rank;
}

/* The entry of the character with UTF-8 bytes b[0..n) (n = 2 or 3): merged << 32 | (R + 1),
 * or 0 when it does not qualify. as_left[x] / as_right[x]: lowest rank of a merge with x as
 * its left / right part. */
/* The entry of the three-byte character b[0..3) as two parts (see the top of this file),
 * when BPE of its bytes alone merges p = b0 b1 or q = b1 b2 first; or 0. */
static uint64_t two_parts_entry(const wn_tok *t, const uint8_t *b, int64_t p, int64_t q,
                                const uint32_t *as_left, const uint32_t *as_right)
{
    const wn_tok_premerge *pm = &t->premerge;
    uint64_t flag;
    int64_t r;
    if (p >= 0 && (q < 0 || p < q)) { /* b0 b1 first: b1's right neighbour is b2 */
        if (pm->min_after[(b[1] - 0x80) * 256 + b[2]] <= p)
            return 0;
        r = p;
        flag = WN_TOK_PREMERGE_FIRST_TWO;
    } else if (q >= 0) { /* b1 b2 first: b1's left neighbour is b0 */
        if (pm->min_before[b[0] * 128 + (b[1] - 0x80)] <= q)
            return 0;
        r = q;
        flag = WN_TOK_PREMERGE_LAST_TWO;
    } else {
        return 0;
    }
    if (as_left[r] <= r || as_right[r] <= r)
        return 0;
    return flag | (uint64_t)r << 32 | (uint64_t)(r + 1);
}

static uint64_t char_entry(const wn_tok *t, const uint8_t *b, size_t n, const uint32_t *as_left,
                           const uint32_t *as_right)
{
    int64_t merged, high;
    if (n == 2) {
        merged = high = wn_tok_pair(t, t->byte_id[b[0]], t->byte_id[b[1]]);
        if (merged < 0)
            return 0;
    } else {
        int64_t p = wn_tok_pair(t, t->byte_id[b[0]], t->byte_id[b[1]]);
        int64_t q = wn_tok_pair(t, t->byte_id[b[1]], t->byte_id[b[2]]);
        if (p >= 0 && (q < 0 || p < q)) { /* P = b0 b1 first: P's left neighbour may take it */
            merged = wn_tok_pair(t, (uint32_t)p, t->byte_id[b[2]]);
            high = merged > p ? merged : p;
            if (merged < 0 || as_right[p] <= high)
                return two_parts_entry(t, b, p, q, as_left, as_right);
        } else if (q >= 0) { /* Q = b1 b2 first: Q's right neighbour may take it */
            merged = wn_tok_pair(t, t->byte_id[b[0]], (uint32_t)q);
            high = merged > q ? merged : q;
            if (merged < 0 || as_left[q] <= high)
                return two_parts_entry(t, b, p, q, as_left, as_right);
        } else {
            return 0;
        }
        if (as_left[merged] <= high || as_right[merged] <= high)
            return two_parts_entry(t, b, p, q, as_left, as_right);
        return (uint64_t)merged << 32 | (uint64_t)(high + 1);
    }
    if (as_left[merged] <= high || as_right[merged] <= high)
        return 0;
    return (uint64_t)merged << 32 | (uint64_t)(high + 1);
}

/* pm->ascii (see tok_internal.h). */
static void build_ascii(wn_tok *t, const uint32_t *triples, size_t n, const uint32_t *as_left,
                        const uint32_t *as_right)
{
    wn_tok_premerge *pm = &t->premerge;
    uint32_t *first = wn_xmalloc(128 * 128 * sizeof *first);
    uint32_t *before = wn_xmalloc(128 * 128 * sizeof *before);
    uint32_t *after = wn_xmalloc(128 * 128 * sizeof *after);
    pm->ascii_before_high = wn_xmalloc(128 * 128 * sizeof *pm->ascii_before_high);
    pm->ascii_after_high = wn_xmalloc(128 * 128 * sizeof *pm->ascii_after_high);
    for (size_t i = 0; i < 128 * 128; i++)
        first[i] = before[i] = after[i] = pm->ascii_before_high[i] = pm->ascii_after_high[i] =
            WN_TOK_ASCII_NONE;
    for (size_t i = 0; i < n; i++) {
        uint32_t a = triples[3 * i], b = triples[3 * i + 1], c = triples[3 * i + 2];
        uint8_t x = last_byte(t, a), y = first_byte(t, b);
        if (x >= 0x80 && y < 0x80 && token_len(t, b) == 1)
            lower(&pm->ascii_before_high[(x - 0x80) * 128 + y], c);
        if (x < 0x80 && y >= 0x80 && token_len(t, a) == 1)
            lower(&pm->ascii_after_high[x * 128 + y - 0x80], c);
        if (x >= 0x80 || y >= 0x80)
            continue;
        if (token_len(t, b) == 1)
            lower(&before[x * 128 + y], c);
        if (token_len(t, a) == 1)
            lower(&after[x * 128 + y], c);
        if (token_len(t, a) == 1 && token_len(t, b) == 1 && as_left[c] > c && as_right[c] > c)
            first[x * 128 + y] = c;
    }
    pm->ascii = wn_xmalloc(128 * 128 * sizeof *pm->ascii);
    for (size_t i = 0; i < 128 * 128; i++)
        pm->ascii[i] = (uint64_t)after[i] << (2 * WN_TOK_ASCII_BITS) |
                               (uint64_t)before[i] << WN_TOK_ASCII_BITS | first[i];
    free(first);
    free(before);
    free(after);
}

void wn_tok_premerge_build(wn_tok *t, const uint32_t *triples, size_t n)
{
    wn_tok_premerge *pm = &t->premerge;
    uint32_t *as_left = wn_xmalloc(t->n_total * sizeof *as_left);
    uint32_t *as_right = wn_xmalloc(t->n_total * sizeof *as_right);
    memset(as_left, 0xff, t->n_total * sizeof *as_left);
    memset(as_right, 0xff, t->n_total * sizeof *as_right);
    pm->min_before = wn_xmalloc(256 * 128 * sizeof *pm->min_before);
    pm->min_after = wn_xmalloc(64 * 256 * sizeof *pm->min_after);
    memset(pm->min_before, 0xff, 256 * 128 * sizeof *pm->min_before);
    memset(pm->min_after, 0xff, 64 * 256 * sizeof *pm->min_after);
    for (size_t i = 0; i < n; i++) {
        uint32_t a = triples[3 * i], b = triples[3 * i + 1], c = triples[3 * i + 2];
        lower(&as_left[a], c);
        lower(&as_right[b], c);
        uint8_t x = first_byte(t, b);
        if (token_len(t, b) == 1 && x >= 0x80)
            lower(&pm->min_before[last_byte(t, a) * 128 + (x - 0x80)], c);
        x = last_byte(t, a);
        if (token_len(t, a) == 1 && x >= 0x80 && x < 0xC0)
            lower(&pm->min_after[(x - 0x80) * 256 + first_byte(t, b)], c);
    }
    /* code points U+0080..U+FFFF by blocks of 256; blocks where none qualifies share 0 */
    wn_buf blocks = WN_BUF_INIT;
    uint64_t block[256];
    memset(block, 0, sizeof block);
    wn_buf_append(&blocks, block, sizeof block); /* block 0: none */
    size_t n_blocks = 1;
    for (uint32_t hi = 0; hi < 256; hi++) {
        bool any = false;
        for (uint32_t lo = 0; lo < 256; lo++) {
            UChar32 cp = (UChar32)(hi << 8 | lo);
            uint8_t b[U8_MAX_LENGTH];
            int32_t len = 0;
            if (cp >= 0x80 && !U_IS_SURROGATE(cp))
                U8_APPEND_UNSAFE(b, len, cp); /* two or three bytes below U+10000 */
            block[lo] = len ? char_entry(t, b, (size_t)len, as_left, as_right) : 0;
            any |= block[lo] != 0;
        }
        pm->block_of[hi] = 0;
        if (any) {
            wn_buf_append(&blocks, block, sizeof block);
            pm->block_of[hi] = (uint16_t)n_blocks++;
        }
    }
    pm->blocks = (uint64_t *)(void *)wn_buf_detach(&blocks, NULL);
    build_ascii(t, triples, n, as_left, as_right);
    free(as_left);
    free(as_right);
}

void wn_tok_premerge_free(wn_tok_premerge *pm)
{
    free(pm->blocks);
    free(pm->min_before);
    free(pm->min_after);
    free(pm->ascii);
    free(pm->ascii_before_high);
    free(pm->ascii_after_high);
    memset(pm, 0, sizeof *pm);
}

/* Whether the ASCII bytes p[i], p[i + 1] start as their token (see
 * wn_tok_premerge_ascii_parts), in a piece that may have other bytes around them. */
static bool ascii_pair_first(const wn_tok_premerge *pm, const uint8_t *p, size_t n, size_t i)
{
    uint8_t x = p[i], y = p[i + 1];
    uint32_t first = WN_TOK_ASCII_FIRST(pm->ascii[x * 128 + y]);
    if (first == WN_TOK_ASCII_NONE)
        return false;
    if (i > 0) {
        uint8_t w = p[i - 1];
        uint32_t before = w < 0x80 ? WN_TOK_ASCII_BEFORE(pm->ascii[w * 128 + x])
                                   : pm->ascii_before_high[(w - 0x80) * 128 + x];
        if (before <= first)
            return false;
    }
    if (i + 2 < n) {
        uint8_t z = p[i + 2];
        uint32_t after = z < 0x80 ? WN_TOK_ASCII_AFTER(pm->ascii[y * 128 + z])
                                  : pm->ascii_after_high[y * 128 + z - 0x80];
        if (after <= first)
            return false;
    }
    return true;
}

size_t wn_tok_premerge_parts(const wn_tok *t, const uint8_t *p, size_t n, uint32_t *id)
{
    const wn_tok_premerge *pm = &t->premerge;
    size_t m = 0;
    for (size_t i = 0; i < n;) {
        uint8_t b = p[i];
        uint32_t cp;
        size_t len = b >= 0x80 ? utf8_decode_quick(p + i, n - i, &cp) : 0; /* 0: ill-formed */
        uint64_t e = 0;
        if (len == 2 || len == 3)
            e = pm->blocks[(size_t)pm->block_of[cp >> 8] * 256 + (cp & 255)];
        if (e) { /* a neighbour checked at load (two parts) is not checked again */
            uint32_t high = (uint32_t)e - 1;
            if ((!(e & WN_TOK_PREMERGE_LAST_TWO) && i > 0 &&
                 pm->min_before[p[i - 1] * 128 + (b - 0x80)] <= high) ||
                (!(e & WN_TOK_PREMERGE_FIRST_TWO) && i + len < n &&
                 pm->min_after[(p[i + len - 1] - 0x80) * 256 + p[i + len]] <= high))
                e = 0;
        }
        if (e) {
            if (e & WN_TOK_PREMERGE_LAST_TWO)
                id[m++] = t->byte_id[b];
            id[m++] = (uint32_t)(e >> 32) & (WN_TOK_MAX_IDS - 1);
            if (e & WN_TOK_PREMERGE_FIRST_TWO)
                id[m++] = t->byte_id[p[i + 2]];
            i += len;
        } else if (b < 0x80 && i + 1 < n && p[i + 1] < 0x80 && ascii_pair_first(pm, p, n, i)) {
            id[m++] = WN_TOK_ASCII_FIRST(pm->ascii[b * 128 + p[i + 1]]);
            i += 2;
        } else {
            id[m++] = t->byte_id[b]; /* one byte; a character that does not qualify */
            i++;                     /* goes byte by byte */
        }
    }
    return m;
}

/* A pair of ASCII bytes x y at p[i] whose token T = FIRST(x, y) has rank R starts as T when
 * no merge that could take x ranks R or lower (BEFORE of the byte before it and x) and none
 * that could take y does (AFTER of y and the byte after it): then, as for characters above,
 * BPE merges x y before anything else touches them, and nothing merges with T before BPE
 * would have made it. Two overlapping pairs never both qualify (each would have to rank
 * below the other), so pairs are taken left to right. On the multilingual corpus this
 * starts half of the merges of ASCII pieces that are not tokens. One table read per byte. */
size_t wn_tok_premerge_ascii_parts(const wn_tok *t, const uint8_t *p, size_t n, uint32_t *id)
{
    const uint64_t *tab = t->premerge.ascii;
    const uint64_t none = ~0ull; /* every field NONE: the edge of the piece */
    uint32_t before = WN_TOK_ASCII_NONE; /* BEFORE of the byte before p[i] and p[i] */
    uint64_t e = tab[p[0] * 128 + p[1]]; /* the entry of p[i], p[i + 1] */
    size_t m = 0, i = 0;
    while (i + 1 < n) {
        uint64_t next = i + 2 < n ? tab[p[i + 1] * 128 + p[i + 2]] : none;
        uint32_t first = WN_TOK_ASCII_FIRST(e);
        if (first < before && first < WN_TOK_ASCII_AFTER(next)) {
            id[m++] = first;
            i += 2;
            before = WN_TOK_ASCII_BEFORE(next);
            e = i + 1 < n ? tab[p[i] * 128 + p[i + 1]] : none;
        } else {
            id[m++] = t->byte_id[p[i]];
            i++;
            before = WN_TOK_ASCII_BEFORE(e);
            e = next;
        }
    }
    if (i < n)
        id[m++] = t->byte_id[p[i]];
    return m;
}
