/* cmd_decode.c: `winnow decode [FILE]`: Llama 3 token ids back to text.
 *
 * Plain mode: whitespace-separated ids in, the decoded bytes out (exactly the bytes that
 * were encoded, even when they are not valid UTF-8). --jsonl: each {"ids": [...]} line
 * becomes {"text": "..."}; JSON needs valid UTF-8, so there invalid bytes become U+FFFD. */
#include "cli/command.h"
#include "cli/tok_cli.h"
#include "core/args.h"
#include "core/buf.h"
#include "core/io.h"
#include "core/jsonl.h"
#include "core/log.h"
#include "core/utf8.h"
#include "tokenize/tokenizer.h"

#include <ctype.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void usage(FILE *f)
{
    fprintf(f,
            "usage: winnow decode [options] [FILE]\n\n"
            "Decodes Llama 3 token ids (whitespace-separated) to text. Reads stdin when no\n"
            "FILE is named.\n\n"
            "options:\n"
            "  --jsonl            read {\"ids\": [...]} lines, write {\"text\": ...} lines\n"
            "  -j, --threads N    threads for --jsonl\n"
            "  --max-record-size SIZE  --jsonl: a longer line is written as {\"error\": ...}\n"
            "                     without being read into memory (default 256M)\n"
            "  --skip-special     leave special tokens out of the text\n"
            "  --tokenizer F      tokenizer.model (tiktoken) or tokenizer.json (default: shipped)\n"
            "  --llama31-names    name special tokens as Llama 3.1 does\n");
}

typedef struct decode_opts {
    const wn_tok *tok;
    const char *tokenizer;
    unsigned load_flags;
    int jsonl, skip_special;
} decode_opts;

static void keep_ids(const wn_tok *t, const decode_opts *o, wn_tok_ids *ids)
{
    if (!o->skip_special)
        return;
    size_t k = 0;
    for (size_t i = 0; i < ids->len; i++)
        if (!wn_tok_is_special(t, ids->ids[i]))
            ids->ids[k++] = ids->ids[i];
    ids->len = k;
}

static int decode_plain(const wn_tok *t, const decode_opts *o, const char *name)
{
    char err[512];
    size_t len;
    char *text = wn_read_file(name, &len, err, sizeof err);
    if (!text) {
        wn_error("%s", err);
        return WN_EXIT_FAILURE;
    }
    wn_tok_ids ids = WN_TOK_IDS_INIT;
    int rc = WN_EXIT_OK;
    for (size_t i = 0; i < len;) {
        if (isspace((unsigned char)text[i])) {
            i++;
            continue;
        }
        size_t start = i;
        unsigned long long v = 0;
        while (i < len && isdigit((unsigned char)text[i]) && v < 10000000000ull)
            v = v * 10 + (unsigned)(text[i++] - '0');
        if (i == start || (i < len && !isspace((unsigned char)text[i])) ||
            v >= wn_tok_vocab_size(t)) {
            size_t e = start; /* quote printable bytes only: the input may be binary */
            while (e < len && isgraph((unsigned char)text[e]) && e - start < 32)
                e++;
            if (e == start)
                wn_error("'%s' offset %zu: byte 0x%02x is not part of a token id", name, start,
                         (unsigned char)text[start]);
            else
                wn_error("'%s' offset %zu: '%.*s' is not a token id (0 to %zu)", name, start,
                         (int)(e - start), text + start, wn_tok_vocab_size(t) - 1);
            rc = WN_EXIT_FAILURE;
            break;
        }
        wn_tok_ids_push(&ids, (wn_tok_id)v);
    }
    if (rc == WN_EXIT_OK) {
        keep_ids(t, o, &ids);
        wn_buf out = WN_BUF_INIT;
        wn_tok_decode(t, ids.ids, ids.len, &out, NULL);
        if (out.len && fwrite(out.data, 1, out.len, stdout) != out.len)
            rc = WN_EXIT_FAILURE;
        wn_buf_release(&out);
    }
    wn_tok_ids_release(&ids);
    free(text);
    return rc;
}

/* The ids of a line of exactly the shape `encode --jsonl` writes, {"ids":[1,2,3]} (JSON
 * white space anywhere between tokens, "ids" the only key, every id a plain decimal below
 * vocab), appended to ids: true. False for any other line, which jansson then reads (and
 * words the error of): a line of other keys or of escapes in the key is only slower. jansson
 * built a value for every id, three quarters of a `decode --jsonl` run's time. */
static bool ids_line_fast(const char *line, size_t len, size_t vocab, wn_tok_ids *ids)
{
    const unsigned char *p = (const unsigned char *)line, *end = p + len;
    p = wn_json_skip_space(p, end);
    if (end - p < 6 || memcmp(p, "{\"ids\"", 6) != 0)
        return false;
    p = wn_json_skip_space(p + 6, end);
    if (p == end || *p++ != ':')
        return false;
    p = wn_json_skip_space(p, end);
    if (p == end || *p++ != '[')
        return false;
    p = wn_json_skip_space(p, end);
    if (p < end && *p == ']') {
        p++;
    } else {
        for (;;) {
            const unsigned char *digits = p;
            uint64_t v = 0;
            while (p < end && *p >= '0' && *p <= '9' && p - digits < 10)
                v = v * 10 + (uint64_t)(*p++ - '0');
            size_t n = (size_t)(p - digits);
            /* JSON has no leading zeros; a fraction, exponent or longer number is jansson's */
            if (n == 0 || (n > 1 && digits[0] == '0') || v >= vocab ||
                (p < end && (*p == '.' || *p == 'e' || *p == 'E' || (*p >= '0' && *p <= '9'))))
                return false;
            wn_tok_ids_push(ids, (wn_tok_id)v);
            p = wn_json_skip_space(p, end);
            if (p == end)
                return false;
            if (*p == ']') {
                p++;
                break;
            }
            if (*p++ != ',')
                return false;
            p = wn_json_skip_space(p, end);
        }
    }
    p = wn_json_skip_space(p, end);
    if (p == end || *p++ != '}')
        return false;
    return wn_json_skip_space(p, end) == end;
}

/* The ids of a line jansson reads: 0, or -1 with the reason in why. */
static int ids_line_jansson(const char *line, size_t len, size_t vocab, wn_tok_ids *ids,
                            char *why, size_t whylen)
{
    json_error_t je;
    json_t *j = json_loadb(line, len, 0, &je);
    json_t *arr = json_is_object(j) ? json_object_get(j, "ids") : NULL;
    if (!json_is_array(arr)) {
        snprintf(why, whylen, j ? "no array field 'ids'" : "invalid json: %s", je.text);
        json_decref(j);
        return -1;
    }
    size_t i;
    json_t *v;
    int rc = 0;
    json_array_foreach(arr, i, v) {
        json_int_t id = json_integer_value(v);
        if (!json_is_integer(v) || id < 0 || (size_t)id >= vocab) {
            snprintf(why, whylen, "ids[%zu] is not a token id", i);
            rc = -1;
            break;
        }
        wn_tok_ids_push(ids, (wn_tok_id)id);
    }
    json_decref(j);
    return rc;
}

/* One {"ids": [...]} line; 0, or -1 with the reason in why. */
static int decode_line(const void *ctx, const char *line, size_t len, wn_buf *out, char *why,
                       size_t whylen)
{
    const decode_opts *o = ctx;
    const wn_tok *t = o->tok;
    size_t vocab = wn_tok_vocab_size(t);
    wn_tok_ids ids = WN_TOK_IDS_INIT;
    int rc = 0;
    if (!ids_line_fast(line, len, vocab, &ids)) {
        ids.len = 0;
        rc = ids_line_jansson(line, len, vocab, &ids, why, whylen);
    }
    if (!rc) {
        keep_ids(t, o, &ids);
        wn_buf text = WN_BUF_INIT;
        wn_tok_decode(t, ids.ids, ids.len, &text, NULL);
        wn_buf_appends(out, "{\"text\":");
        wn_json_append_string(out, text.data ? text.data : "", text.len);
        wn_buf_appends(out, "}\n");
        wn_buf_release(&text);
    }
    wn_tok_ids_release(&ids);
    return rc;
}

int cmd_decode(int argc, char **argv)
{
    static const struct option own[] = {
        { "jsonl", no_argument, NULL, 'J' },
        { "skip-special", no_argument, NULL, 'K' },
        { "tokenizer", required_argument, NULL, 't' },
        { "llama31-names", no_argument, NULL, 'N' },
        { "threads", required_argument, NULL, 'j' },
        { "max-record-size", required_argument, NULL, 'R' },
        { "help", no_argument, NULL, 'h' },
        { NULL, 0, NULL, 0 },
    };
    decode_opts o = { 0 };
    int c;
    optind = 1;
    while ((c = getopt_long(argc, argv, "j:h", own, NULL)) != -1) {
        switch (c) {
        case 'J': o.jsonl = 1; break;
        case 'K': o.skip_special = 1; break;
        case 't': o.tokenizer = optarg; break;
        case 'N': o.load_flags |= WN_TOK_LOAD_LLAMA31_NAMES; break;
        case 'j':
            if (wn_tok_cli_threads(optarg))
                return WN_EXIT_USAGE;
            break;
        case 'R':
            if (wn_set_max_record_size(optarg))
                return WN_EXIT_USAGE;
            break;
        case 'h': usage(stdout); return WN_EXIT_OK;
        default: usage(stderr); return WN_EXIT_USAGE;
        }
    }
    const char *name;
    wn_tok *t = wn_tok_cli_open(argc, argv, optind, "decode", o.tokenizer, o.load_flags, &name);
    if (!t)
        return WN_EXIT_USAGE;
    o.tok = t;
    int rc = o.jsonl ? wn_tok_cli_map_jsonl(name, "decoded", decode_line, &o)
                     : decode_plain(t, &o, name);
    if (fflush(stdout) != 0)
        rc = WN_EXIT_FAILURE;
    wn_tok_free(t);
    return rc;
}
