/* bpe_windows.c: BPE of a long piece (a run of one letter, a line of base64, a long URL) as
 * the BPE of short overlapping windows, spliced where two windows agree on a token.
 *
 * Why it is exact. Call a sequence of tokens valid when it is BPE's output for the bytes it
 * spells. Two facts about BPE (rank order, leftmost on ties; stated and argued in GitHub's
 * `bpe` crate, crates/bpe/README.md, "Corollary II" and "III"):
 *   - any run of consecutive tokens of a valid sequence is valid: BPE of the whole never
 *     merged across their outer boundaries, so BPE of their bytes alone makes the same
 *     merges in the same order;
 *   - if e_0..e_i and e_i..e_n are both valid and e_i is the same token at the same place
 *     of the text, then e_0..e_n is valid: BPE of the whole makes the merges of each side,
 *     and a first merge across either end of e_i would have been made by that side alone.
 * So if the ids so far (valid for the text up to the end of the current window) and BPE of
 * the next window (which starts inside the current one) hold a token at the same offsets,
 * the ids up to that token followed by the next window's ids from it are valid for the text
 * up to the end of the next window; at the piece's end they are BPE of the piece, which is
 * unique. Where no token is shared in the overlap, nothing is assumed: the caller merges
 * the whole piece the old way (bpe.c's heap, bpe_sweep.c).
 *
 * Why it is fast. BPE of n bytes in one heap costs a heap operation a merge; a window of 32
 * bytes goes through the short pieces' merge loops (bpe_small.h), which take the lowest
 * pair by a branch-free minimum over a few keys. A window whose bytes equal the current
 * one's (a run of one character, after its first window) takes its ids without merging; a
 * window starts at a token of the current one, so the windows of a run all start at the
 * same phase of its tokens. Measured (tok_bench --pathological, docs/tokenize.md): 10 MB of
 * one letter 29 -> 1,200-1,700 MB/s, 10 MB of spaces 21 -> 790-1,025, a megabyte of letters
 * without a space 37 -> 89-102; pieces of 4 KB of real letters, English 8 -> 35 MB/s. */
#include "tokenize/tok_internal.h"

#include <stdbool.h>
#include <stdint.h>
#include <string.h>

/* Windows of 32 bytes, the next starting at the last token that starts 8 bytes or more
 * before the current one's end: on 4 KB pieces of letters, 16 to 256 bytes were timed, and
 * 24 to 48 were within 10% of each other; 16 failed to splice on 10% of the pieces. Where
 * 32 fails (a run of spaces: Llama 3 has tokens of 64 and 128 of them, longer than the
 * window), 256 and 64 (twice the longest token) are tried before the heap. */
#define SMALL_WINDOW 32
#define SMALL_OVERLAP 8
#define LARGE_WINDOW 256
#define LARGE_OVERLAP 64
_Static_assert(2 * LARGE_WINDOW <= WN_TOK_BPE_IDS_MAX, "a wide window is twice the window");

/* BPE of the bytes p[at .. at + n): ids, and where each ends in the piece. */
typedef struct window {
    size_t at, m;
    uint32_t id[WN_TOK_BPE_IDS_MAX];
    size_t end[WN_TOK_BPE_IDS_MAX];
} window;

static void window_encode(const wn_tok *t, const uint8_t *p, size_t at, size_t n, window *w)
{
    w->at = at;
    w->m = wn_tok_bpe_ids(t, p + at, n, w->id);
    size_t e = at;
    for (size_t i = 0; i < w->m; i++) {
        e += t->off[w->id[i] + 1] - t->off[w->id[i]];
        w->end[i] = e;
    }
}

/* The window of the bytes p[at .. at + n) whose bytes are those of prev, shifted. */
static void window_shift(const window *prev, size_t at, window *w)
{
    w->at = at;
    w->m = prev->m;
    memcpy(w->id, prev->id, prev->m * sizeof *w->id);
    for (size_t i = 0; i < prev->m; i++)
        w->end[i] = prev->end[i] - prev->at + at;
}

static inline size_t start_of(const window *w, size_t i)
{
    return i ? w->end[i - 1] : w->at;
}

/* The first token cur (from its i-th) and next (from its first) share: the same bytes at the
 * same offsets of the piece. Both lists are in order of their starts. Whether found. */
static bool shared_token(const window *cur, size_t i, const window *next, size_t *ci, size_t *nk)
{
    size_t k = 0;
    while (i < cur->m && k < next->m) {
        size_t a = start_of(cur, i), b = start_of(next, k);
        if (a == b && cur->end[i] == next->end[k]) {
            *ci = i;
            *nk = k;
            return true;
        }
        if (a <= b)
            i++;
        if (b <= a)
            k++;
    }
    return false;
}

/* wn_tok_bpe_windows with windows of `width` bytes, the next one starting at the last
 * token that starts `overlap` bytes or more before the current one's end (the windows' last
 * bytes, where their tokens may differ from the piece's). */
size_t wn_tok_bpe_windows_sized(const wn_tok *t, const uint8_t *p, size_t n, wn_tok_ids *out,
                                size_t width, size_t overlap)
{
    size_t len0 = out ? out->len : 0, count = 0;
    window bufs[2], *cur = &bufs[0], *next = &bufs[1];
    size_t first = 0;          /* cur's ids before first are out already */
    size_t cur_n = n < width ? n : width;
    window_encode(t, p, 0, cur_n, cur);
    while (cur->at + cur_n < n) {
        /* the next window starts at the last of cur's tokens after its first kept one that
         * starts `overlap` bytes before cur's end or earlier */
        size_t j = first + 1, limit = cur->at + cur_n - overlap;
        if (j >= cur->m || start_of(cur, j) > limit)
            j = first; /* cur is one kept token and its end: only a wide window can follow */
        else
            while (j + 1 < cur->m && start_of(cur, j + 1) <= limit)
                j++;
        /* A window's last tokens may differ from the piece's (a run of '-' ends in 64 or 96
         * dashes by its length): when the windows share no token, the next one starts a
         * token earlier, down to after cur's first kept one; then at that one, twice as
         * long (spaces: 640 bytes of them are 128 128 128 128 64 ... but 256 are 128 128,
         * so the window at 512 of a run of 899 spaces is 128 128, and the next ones after
         * 640, 131 spaces, are 64 67: only a window from 640 on holds what both agree on) */
        size_t i, k, len;
        for (;; j--) {
            size_t at = start_of(cur, j);
            len = n - at < width ? n - at : width;
            if (j == first) {
                len = n - at < 2 * width ? n - at : 2 * width;
                if (at + len <= cur->at + cur_n)
                    goto fail; /* cur is that wide window already */
            }
            if (len == cur_n && memcmp(p + at, p + cur->at, len) == 0)
                window_shift(cur, at, next); /* the same bytes: the same ids */
            else
                window_encode(t, p, at, len, next);
            if (shared_token(cur, j, next, &i, &k))
                break;
            if (j == first)
                goto fail;
        }
        count += wn_tok_ids_emit(out, cur->id + first, i - first);
        first = k;
        cur_n = len;
        window *swap = cur;
        cur = next;
        next = swap;
    }
    return count + wn_tok_ids_emit(out, cur->id + first, cur->m - first);
fail:
    if (out)
        out->len = len0;
    return SIZE_MAX;
}

size_t wn_tok_bpe_windows(const wn_tok *t, const uint8_t *p, size_t n, wn_tok_ids *out)
{
    size_t m = wn_tok_bpe_windows_sized(t, p, n, out, SMALL_WINDOW, SMALL_OVERLAP);
    return m != SIZE_MAX ? m : wn_tok_bpe_windows_sized(t, p, n, out, LARGE_WINDOW, LARGE_OVERLAP);
}
