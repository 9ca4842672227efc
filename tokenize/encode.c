/* encode.c: text -> ids: split out special tokens when asked, pre-tokenize, BPE each piece. */
#include "tokenize/tok_internal.h"

#include <string.h>

/* Pieces are cut a few at a time and their vocabulary slots prefetched before any is looked
 * up, so the cache misses of neighbouring words overlap instead of queueing. */
#define AHEAD 8

static size_t encode_plain(const wn_tok *t, const uint8_t *s, size_t n, wn_tok_ids *out)
{
    size_t count = 0, start[AHEAD + 1];
    wn_tok_key key[AHEAD];
    for (size_t p = 0; p < n;) {
        int k = 0;
        start[0] = p;
        while (k < AHEAD && p < n) {
            p = wn_tok_next_piece(t->cls, s, n, p);
            wn_tok_key_make(&key[k], s + start[k], p - start[k], n - start[k]);
            wn_tok_prefetch(t, &key[k]);
            start[++k] = p;
        }
        for (int i = 0; i < k; i++)
            count += wn_tok_bpe_piece(t, s + start[i], start[i + 1] - start[i], &key[i], out);
    }
    return count;
}

/* Special token whose name starts at s[i] (which is '<'), or -1. */
static int64_t special_at(const wn_tok *t, const uint8_t *s, size_t n, size_t i)
{
    if (i + 1 >= n || s[i + 1] != '|')
        return -1;
    size_t lim = n - i < t->max_special_len ? n - i : t->max_special_len;
    for (size_t k = 2; k + 1 < lim; k++) {
        if (s[i + k] == '|' && s[i + k + 1] == '>') {
            size_t len = k + 2;
            for (uint32_t id = t->n_ranks; id < t->n_total; id++)
                if (t->off[id + 1] - t->off[id] == len &&
                    memcmp(t->blob + t->off[id], s + i, len) == 0)
                    return id;
            return -1;
        }
    }
    return -1;
}

static size_t encode_any(const wn_tok *t, const char *text, size_t len, unsigned flags,
                         wn_tok_ids *out)
{
    const uint8_t *s = (const uint8_t *)text;
    if (!(flags & WN_TOK_SPECIAL_IN_TEXT) || t->n_total == t->n_ranks)
        return encode_plain(t, s, len, out);
    /* As Hugging Face does: split the text at special-token names first, then encode the
     * text between them on its own. */
    size_t count = 0, start = 0;
    for (size_t i = 0; i < len; i++) {
        if (s[i] != '<')
            continue;
        int64_t id = special_at(t, s, len, i);
        if (id < 0)
            continue;
        count += encode_plain(t, s + start, i - start, out) + 1;
        if (out)
            wn_tok_ids_push(out, (wn_tok_id)id);
        i += t->off[id + 1] - t->off[id] - 1;
        start = i + 1;
    }
    return count + encode_plain(t, s + start, len - start, out);
}

void wn_tok_encode(const wn_tok *t, const char *text, size_t len, unsigned flags,
                   wn_tok_ids *out)
{
    encode_any(t, text, len, flags, out);
}

size_t wn_tok_count(const wn_tok *t, const char *text, size_t len, unsigned flags)
{
    return encode_any(t, text, len, flags, NULL);
}
