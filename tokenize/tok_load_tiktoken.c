/* tok_load_tiktoken.c: Meta's tokenizer.model, the tiktoken BPE file: one token per line,
 * "base64(token bytes) rank", ranks 0..n-1 (as read by tiktoken's load_tiktoken_bpe). The
 * file holds no special tokens; Llama 3 appends 256 after the ranks, named as in Meta's
 * llama3 tokenizer.py (or as in Llama 3.1's with WN_TOK_LOAD_LLAMA31_NAMES). */
#include "tokenize/tok_internal.h"

#include "core/buf.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define N_SPECIAL 256

static int b64_value(unsigned char c)
{
    if (c >= 'A' && c <= 'Z') return c - 'A';
    if (c >= 'a' && c <= 'z') return c - 'a' + 26;
    if (c >= '0' && c <= '9') return c - '0' + 52;
    if (c == '+') return 62;
    if (c == '/') return 63;
    return -1;
}

/* Standard base64 with '=' padding; returns decoded length or -1. */
static long b64_decode(const char *s, size_t n, unsigned char *out)
{
    if (n % 4)
        return -1;
    long o = 0;
    for (size_t i = 0; i < n; i += 4) {
        int v[4], pad = 0;
        for (int k = 0; k < 4; k++) {
            if (s[i + k] == '=' && i + 4 == n && k >= 2) {
                v[k] = 0;
                pad++;
            } else if (pad || (v[k] = b64_value((unsigned char)s[i + k])) < 0) {
                return -1;
            }
        }
        uint32_t w = (uint32_t)v[0] << 18 | (uint32_t)v[1] << 12 | (uint32_t)v[2] << 6 | (uint32_t)v[3];
        out[o++] = (unsigned char)(w >> 16);
        if (pad < 2) out[o++] = (unsigned char)(w >> 8);
        if (pad < 1) out[o++] = (unsigned char)w;
    }
    return o;
}

static void special_name(unsigned k, unsigned flags, char *buf, size_t n)
{
    static const char *const llama3[] = {
        "<|begin_of_text|>", "<|end_of_text|>", "<|reserved_special_token_0|>",
        "<|reserved_special_token_1|>", "<|reserved_special_token_2|>",
        "<|reserved_special_token_3|>", "<|start_header_id|>", "<|end_header_id|>",
        "<|reserved_special_token_4|>", "<|eot_id|>",
    };
    static const char *const llama31[] = {
        "<|begin_of_text|>", "<|end_of_text|>", "<|reserved_special_token_0|>",
        "<|reserved_special_token_1|>", "<|finetune_right_pad_id|>",
        "<|reserved_special_token_2|>", "<|start_header_id|>", "<|end_header_id|>",
        "<|eom_id|>", "<|eot_id|>", "<|python_tag|>",
    };
    if (flags & WN_TOK_LOAD_LLAMA31_NAMES) {
        if (k < sizeof llama31 / sizeof *llama31)
            snprintf(buf, n, "%s", llama31[k]);
        else
            snprintf(buf, n, "<|reserved_special_token_%u|>", k - 8);
    } else {
        if (k < sizeof llama3 / sizeof *llama3)
            snprintf(buf, n, "%s", llama3[k]);
        else
            snprintf(buf, n, "<|reserved_special_token_%u|>", k - 5);
    }
}

wn_tok *wn_tok_parse_tiktoken(const char *text, size_t len, const char *path, unsigned flags,
                              char *err, size_t errlen)
{
    wn_tok *t = wn_tok_new_empty();
    wn_buf blob = WN_BUF_INIT;
    unsigned char tok[512];
    size_t line = 0;
    for (size_t p = 0; p < len;) {
        const char *nl = memchr(text + p, '\n', len - p);
        size_t e = nl ? (size_t)(nl - text) : len;
        line++;
        size_t le = e;
        if (le > p && text[le - 1] == '\r')
            le--;
        if (le > p) {
            const char *sp = memchr(text + p, ' ', le - p);
            char *end = NULL;
            unsigned long rank = sp ? strtoul(sp + 1, &end, 10) : 0;
            long n = -1;
            if (sp && (size_t)(sp - text - p) <= 4 * sizeof tok / 3)
                n = b64_decode(text + p, (size_t)(sp - text) - p, tok);
            if (!sp || n <= 0 || end != text + le) {
                snprintf(err, errlen, "'%s' line %zu: expected 'base64 rank'", path, line);
                goto fail;
            }
            if (rank != t->n_total) {
                snprintf(err, errlen, "'%s' line %zu: rank %lu out of order (expected %u)",
                         path, line, rank, t->n_total);
                goto fail;
            }
            if (t->n_total + N_SPECIAL >= WN_TOK_MAX_IDS) {
                snprintf(err, errlen, "'%s': more than %u tokens", path,
                         WN_TOK_MAX_IDS - N_SPECIAL);
                goto fail;
            }
            wn_tok_add_token(t, &blob, tok, (size_t)n);
        }
        p = e + 1;
    }
    if (t->n_total == 0) {
        snprintf(err, errlen, "'%s': no tokens", path);
        goto fail;
    }
    t->n_ranks = t->n_total;
    for (unsigned k = 0; k < N_SPECIAL; k++) {
        char name[64];
        special_name(k, flags, name, sizeof name);
        wn_tok_add_token(t, &blob, name, strlen(name));
    }
    char why[200];
    if (wn_tok_finish(t, &blob, why, sizeof why) < 0) {
        snprintf(err, errlen, "'%s': %s", path, why);
        goto fail;
    }
    return t;
fail:
    wn_buf_release(&blob);
    wn_tok_free(t);
    return NULL;
}
