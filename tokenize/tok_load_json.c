/* tok_load_json.c: a Hugging Face tokenizer.json with a ByteLevel BPE model (as for
 * Meta-Llama-3): model.vocab maps byte-level strings to ids, added_tokens holds the special
 * tokens. Byte-level strings spell each byte as one code point (GPT-2's bytes_to_unicode):
 * printable Latin-1 bytes stand for themselves, the other 68 bytes for U+0100 onwards.
 * BPE is derived from the vocabulary's order, as tiktoken defines it (tokenizer.c: each
 * token's last merge); model.merges is read only to check that it asks for the same BPE. */
#include "tokenize/tok_internal.h"

#include "core/buf.h"
#include "core/json_fast.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Inverse of bytes_to_unicode: code point -> byte, -1 if it spells none. */
static void byte_level_table(int inv[324])
{
    for (int i = 0; i < 324; i++)
        inv[i] = -1;
    int extra = 0;
    for (int b = 0; b < 256; b++) {
        int printable = (b >= 33 && b <= 126) || (b >= 161 && b <= 172) || (b >= 174);
        inv[printable ? b : 256 + extra++] = b;
    }
}

/* Decode the byte-level string s[0..n) into bytes; -1 if a character spells no byte. */
static long byte_level_decode(const int inv[324], const char *s, size_t n, unsigned char *out,
                              size_t cap)
{
    size_t o = 0;
    const unsigned char *p = (const unsigned char *)s, *end = p + n;
    while (p < end) {
        uint32_t cp;
        if (*p < 0x80) {
            cp = *p++;
        } else if ((*p & 0xE0) == 0xC0 && end - p >= 2 && (p[1] & 0xC0) == 0x80) {
            cp = (uint32_t)(*p & 0x1F) << 6 | (p[1] & 0x3F);
            p += 2;
        } else {
            return -1;
        }
        if (cp >= 324 || inv[cp] < 0 || o == cap)
            return -1;
        out[o++] = (unsigned char)inv[cp];
    }
    return (long)o;
}

#define LLAMA3_PATTERN                                                                      \
    "(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}{1,3}| "              \
    "?[^\\s\\p{L}\\p{N}]+[\\r\\n]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+"

/* The Regex of the (first) Split pre-tokenizer, inside a Sequence or alone; NULL if none. */
static const char *find_split_regex(json_t *pre)
{
    const char *type = json_string_value(json_object_get(pre, "type"));
    if (type && strcmp(type, "Split") == 0)
        return json_string_value(json_object_get(json_object_get(pre, "pattern"), "Regex"));
    json_t *list = json_object_get(pre, "pretokenizers");
    for (size_t i = 0; i < json_array_size(list); i++) {
        const char *r = find_split_regex(json_array_get(list, i));
        if (r)
            return r;
    }
    return NULL;
}

/* One entry of model.merges: its two parts and the token they make, each -1 when the entry
 * is not two tokens of the vocabulary making a third. */
typedef struct listed_merge {
    int32_t left, right, made;
} listed_merge;

static listed_merge read_merge(const wn_tok *t, const int inv[324], json_t *m)
{
    listed_merge got = { -1, -1, -1 };
    const char *left, *right;
    size_t left_len, right_len;
    if (json_is_string(m)) { /* "left right": a byte-level spelling has no space */
        left = json_string_value(m);
        right = strchr(left, ' ');
        if (!right)
            return got;
        left_len = (size_t)(right - left);
        right++;
        right_len = strlen(right);
    } else if (json_array_size(m) == 2 && json_is_string(json_array_get(m, 0)) &&
               json_is_string(json_array_get(m, 1))) {
        left = json_string_value(json_array_get(m, 0));
        left_len = json_string_length(json_array_get(m, 0));
        right = json_string_value(json_array_get(m, 1));
        right_len = json_string_length(json_array_get(m, 1));
    } else {
        return got;
    }
    unsigned char both[2048];
    long l_len = byte_level_decode(inv, left, left_len, both, 1024);
    long r_len = l_len > 0 ? byte_level_decode(inv, right, right_len, both + l_len, 1024) : -1;
    if (r_len <= 0)
        return got;
    int64_t l = wn_tok_lookup(t, both, (size_t)l_len);
    int64_t r = wn_tok_lookup(t, both + l_len, (size_t)r_len);
    int64_t made = wn_tok_lookup(t, both, (size_t)(l_len + r_len));
    if (l >= 0 && r >= 0 && made >= 0)
        got = (listed_merge){ (int32_t)l, (int32_t)r, (int32_t)made };
    return got;
}

/* Whether model.merges asks for the BPE that t does. t merges by the rank of the token two
 * parts make, and only each token's last merge (tokenizer.c, build_pairs); Hugging Face
 * merges by the position in model.merges. The two give the same ids when the list is in
 * the order of the tokens its merges make and holds every one of t's merges (a merge
 * listed beyond those never applies: the parts that make a token are those BPE makes of
 * its bytes alone). That is so for a vocabulary made from tiktoken ranks, as Llama 3's;
 * a tokenizer.json trained with its own merge order is refused, not misread. NULL when
 * they agree, else why not (in why). Entries are "left right" strings or [left, right];
 * they are read on all threads (~280,000 for Llama 3, 40 ms on one), then checked in order. */
static const char *check_merges(const wn_tok *t, json_t *merges, const int inv[324], char *why,
                                size_t cap)
{
    if (!json_is_array(merges))
        return "model.merges is missing or not a list";
    long n = (long)json_array_size(merges);
    listed_merge *listed = wn_xmalloc((size_t)(n ? n : 1) * sizeof *listed);
#pragma omp parallel for schedule(static)
    for (long i = 0; i < n; i++)
        listed[i] = read_merge(t, inv, json_array_get(merges, (size_t)i));
    /* bit c: token c's own last merge (the pair table's) is listed; each token has one */
    uint64_t *has_last = wn_xcalloc(WN_TOK_MAX_IDS / 64, sizeof *has_last);
    int32_t last_made = -1;
    const char *bad = NULL;
    for (long i = 0; i < n && !bad; i++) {
        listed_merge m = listed[i];
        if (m.made < 0) {
            snprintf(why, cap, "model.merges[%ld] is not two tokens of model.vocab making a "
                     "third", i);
            bad = why;
        } else if (m.made < last_made) {
            snprintf(why, cap, "model.merges[%ld] makes token %d after one made token %d: only "
                     "merges in the order of the tokens they make (as Llama 3's) are supported",
                     i, m.made, last_made);
            bad = why;
        } else {
            last_made = m.made;
            if (wn_tok_pair(t, (uint32_t)m.left, (uint32_t)m.right) == m.made)
                has_last[m.made / 64] |= 1ull << (m.made % 64);
        }
    }
    for (uint32_t s = 0; s < t->pairs.m && !bad; s++) {
        uint64_t v = t->pairs.slots[s], made = v & (WN_TOK_MAX_IDS - 1);
        if (v == UINT64_MAX || has_last[made / 64] >> (made % 64) & 1)
            continue;
        uint64_t key = v >> WN_TOK_ID_BITS;
        snprintf(why, cap, "token %u is made by merging tokens %u and %u, which model.merges "
                 "does not list", (unsigned)made, (unsigned)(key >> WN_TOK_ID_BITS),
                 (unsigned)(key & (WN_TOK_MAX_IDS - 1)));
        bad = why;
    }
    free(has_last);
    free(listed);
    return bad;
}

static wn_tok *fail(json_t *root, char **names, size_t n, const char *path, char *err,
                    size_t errlen, const char *why)
{
    snprintf(err, errlen, "'%s': %s", path, why);
    for (size_t i = 0; i < n; i++)
        free(names[i]);
    free(names);
    json_decref(root);
    return NULL;
}

wn_tok *wn_tok_parse_json(const char *text, size_t len, const char *path, char *err,
                          size_t errlen)
{
    json_error_t je;
    json_t *root = wn_json_loadb_fast(text, len); /* 9 MB for Llama 3: yajl's pace */
    if (!root) /* declined: jansson's own parse says what the file is */
        root = json_loadb(text, len, 0, &je);
    if (!root) {
        snprintf(err, errlen, "'%s' line %d: invalid json: %s", path, je.line, je.text);
        return NULL;
    }
    json_t *model = json_object_get(root, "model");
    json_t *vocab = json_object_get(model, "vocab");
    const char *type = json_string_value(json_object_get(model, "type"));
    if (!json_is_object(vocab) || !type || strcmp(type, "BPE") != 0)
        return fail(root, NULL, 0, path, err, errlen, "not a BPE tokenizer.json (model.vocab)");
    /* The pre-tokenizer and the whole-piece shortcut are Llama 3's; refuse a tokenizer.json
     * that asks for something else rather than give it wrong ids. */
    if (!json_is_true(json_object_get(model, "ignore_merges")))
        return fail(root, NULL, 0, path, err, errlen,
                    "model.ignore_merges is not true: only Llama 3 style BPE is supported");
    const char *regex = find_split_regex(json_object_get(root, "pre_tokenizer"));
    if (!regex || strcmp(regex, LLAMA3_PATTERN) != 0)
        return fail(root, NULL, 0, path, err, errlen,
                    "pre_tokenizer is not the Llama 3 Split pattern");
    json_t *added = json_object_get(root, "added_tokens");
    size_t n_vocab = json_object_size(vocab), n_added = json_array_size(added);
    size_t n_total = n_vocab + n_added;
    if (n_total >= WN_TOK_MAX_IDS)
        return fail(root, NULL, 0, path, err, errlen, "vocabulary too large");
    /* Collect each id's bytes (byte-level decoded for vocab, raw for added tokens). */
    char **names = wn_xcalloc(n_total, sizeof *names);
    int inv[324];
    byte_level_table(inv);
    unsigned char buf[1024];
    const char *key;
    json_t *val;
    json_object_foreach(vocab, key, val) {
        json_int_t id = json_integer_value(val);
        if (!json_is_integer(val) || id < 0 || (size_t)id >= n_vocab || names[id])
            return fail(root, names, n_total, path, err, errlen,
                        "model.vocab ids are not 0..n-1 each once");
        long n = byte_level_decode(inv, key, strlen(key), buf, sizeof buf);
        if (n <= 0)
            return fail(root, names, n_total, path, err, errlen,
                        "model.vocab has a token that is not byte-level");
        names[id] = wn_xmalloc((size_t)n + 2);
        names[id][0] = (char)(n >> 8);
        names[id][1] = (char)n;
        memcpy(names[id] + 2, buf, (size_t)n);
    }
    size_t i;
    json_array_foreach(added, i, val) {
        json_int_t id = json_integer_value(json_object_get(val, "id"));
        const char *content = json_string_value(json_object_get(val, "content"));
        if (!content || id < (json_int_t)n_vocab || (size_t)id >= n_total || names[id] ||
            strlen(content) > 0xffff)
            return fail(root, names, n_total, path, err, errlen,
                        "added_tokens ids must follow model.vocab, each once");
        size_t n = strlen(content);
        names[id] = wn_xmalloc(n + 2);
        names[id][0] = (char)(n >> 8);
        names[id][1] = (char)n;
        memcpy(names[id] + 2, content, n);
    }
    wn_tok *t = wn_tok_new_empty();
    wn_buf blob = WN_BUF_INIT;
    for (size_t id = 0; id < n_total; id++) {
        size_t n = (size_t)(unsigned char)names[id][0] << 8 | (unsigned char)names[id][1];
        wn_tok_add_token(t, &blob, names[id] + 2, n);
    }
    t->n_ranks = (uint32_t)n_vocab;
    char why[400];
    if (wn_tok_finish(t, &blob, why, sizeof why) < 0) {
        wn_buf_release(&blob);
        wn_tok_free(t);
        return fail(root, names, n_total, path, err, errlen, why);
    }
    const char *disagree = check_merges(t, json_object_get(model, "merges"), inv, why, sizeof why);
    if (disagree) {
        wn_tok_free(t);
        return fail(root, names, n_total, path, err, errlen, disagree);
    }
    for (size_t k = 0; k < n_total; k++)
        free(names[k]);
    free(names);
    json_decref(root);
    return t;
}
