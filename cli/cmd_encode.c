/* cmd_encode.c: `winnow encode [FILE]`: text to Llama 3 token ids.
 *
 * Plain mode: the whole input is one text (newlines included); its ids are printed
 * space-separated on one line. --jsonl: each {"text": ...} line becomes {"ids": [...]}, one
 * output line per input line, in order (lines are encoded in parallel, written in order). */
#include "cli/command.h"
#include "cli/tok_cli.h"
#include "core/args.h"
#include "core/buf.h"
#include "core/io.h"
#include "core/jsonl.h"
#include "core/log.h"
#include "tokenize/tokenizer.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void usage(FILE *f)
{
    fprintf(f,
            "usage: winnow encode [options] [FILE]\n\n"
            "Encodes text with the Llama 3 tokenizer and prints the ids. Reads stdin when no\n"
            "FILE is named (gzip/zstd input is detected).\n\n"
            "options:\n"
            "  --jsonl            read {\"text\": ...} lines, write {\"ids\": [...]} lines\n"
            "  --text-field K     JSONL key holding the text (default text)\n"
            "  --tokenizer F      tokenizer.model (tiktoken) or tokenizer.json (default: shipped)\n"
            "  --llama31-names    name special tokens as Llama 3.1 does\n"
            "  --special          recognise special-token names in the text (Hugging Face style;\n"
            "                     default: they are plain text, as in Meta's tokenizer)\n"
            "  --bos, --eos       add <|begin_of_text|> / <|end_of_text|>\n"
            "  -j, --threads N    threads for --jsonl\n"
            "  --max-record-size SIZE  --jsonl: a longer line is written as {\"error\": ...}\n"
            "                     without being read into memory (default 256M)\n");
}

typedef struct encode_opts {
    const wn_tok *tok;
    const char *tokenizer, *text_field;
    unsigned load_flags, enc_flags;
    int bos, eos, jsonl;
} encode_opts;

static void encode_text(const wn_tok *t, const encode_opts *o, const char *s, size_t n,
                        wn_tok_ids *ids)
{
    if (o->bos)
        wn_tok_ids_push(ids, wn_tok_bos(t));
    wn_tok_encode(t, s, n, o->enc_flags, ids);
    if (o->eos)
        wn_tok_ids_push(ids, wn_tok_eos(t));
}

/* The ids in decimal, sep between them, into room grown once (printf, a call per id, was
 * half of an `encode --jsonl` run's time). */
static void append_ids(wn_buf *out, const wn_tok_ids *ids, char sep)
{
    wn_buf_grow(out, ids->len * 21); /* at most 20 digits and sep each */
    char *w = out->data + out->len;
    for (size_t i = 0; i < ids->len; i++) {
        if (i)
            *w++ = sep;
        w += wn_decimal(ids->ids[i], w);
    }
    out->len = (size_t)(w - out->data);
    out->data[out->len] = '\0';
}

static int encode_plain(const wn_tok *t, const encode_opts *o, const char *name)
{
    char err[512];
    size_t len;
    char *text = wn_read_file(name, &len, err, sizeof err);
    if (!text) {
        wn_error("%s", err);
        return WN_EXIT_FAILURE;
    }
    wn_tok_ids ids = WN_TOK_IDS_INIT;
    encode_text(t, o, text, len, &ids);
    wn_buf out = WN_BUF_INIT;
    append_ids(&out, &ids, ' ');
    wn_buf_appendc(&out, '\n');
    int rc = fwrite(out.data, 1, out.len, stdout) == out.len ? WN_EXIT_OK : WN_EXIT_FAILURE;
    wn_buf_release(&out);
    wn_tok_ids_release(&ids);
    free(text);
    return rc;
}

/* One {"text": ...} line to {"ids": [...]} (a wn_tok_cli_line_fn; ctx is the options). The
 * line is read as `winnow tokenize` reads its documents (wn_jsonl_parse: a text with \u0000
 * is taken, and the reasons a line is refused are the same). */
static int encode_line(const void *ctx, const char *line, size_t len, wn_buf *out, char *why,
                       size_t whylen)
{
    const encode_opts *o = ctx;
    wn_jsonl_opts jo = { .text_field = o->text_field };
    wn_doc d;
    wn_doc_init(&d);
    if (wn_jsonl_parse(line, len, &jo, &d, why, whylen) != 0) {
        wn_doc_release(&d);
        return -1;
    }
    wn_tok_ids ids = WN_TOK_IDS_INIT;
    encode_text(o->tok, o, d.text.ptr ? d.text.ptr : "", d.text.len, &ids);
    wn_buf_appends(out, "{\"ids\":[");
    append_ids(out, &ids, ',');
    wn_buf_appends(out, "]}\n");
    wn_tok_ids_release(&ids);
    wn_doc_release(&d);
    return 0;
}

int cmd_encode(int argc, char **argv)
{
    static const struct option own[] = {
        { "jsonl", no_argument, NULL, 'J' },
        { "text-field", required_argument, NULL, 'T' },
        { "tokenizer", required_argument, NULL, 't' },
        { "llama31-names", no_argument, NULL, 'N' },
        { "special", no_argument, NULL, 'S' },
        { "bos", no_argument, NULL, 'B' },
        { "eos", no_argument, NULL, 'E' },
        { "threads", required_argument, NULL, 'j' },
        { "max-record-size", required_argument, NULL, 'R' },
        { "help", no_argument, NULL, 'h' },
        { NULL, 0, NULL, 0 },
    };
    encode_opts o = { .text_field = "text" };
    int c;
    optind = 1;
    while ((c = getopt_long(argc, argv, "j:h", own, NULL)) != -1) {
        switch (c) {
        case 'J': o.jsonl = 1; break;
        case 'T': o.text_field = optarg; break;
        case 't': o.tokenizer = optarg; break;
        case 'N': o.load_flags |= WN_TOK_LOAD_LLAMA31_NAMES; break;
        case 'S': o.enc_flags |= WN_TOK_SPECIAL_IN_TEXT; break;
        case 'B': o.bos = 1; break;
        case 'E': o.eos = 1; break;
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
    wn_tok *t = wn_tok_cli_open(argc, argv, optind, "encode", o.tokenizer, o.load_flags, &name);
    if (!t)
        return WN_EXIT_USAGE;
    o.tok = t;
    int rc = o.jsonl ? wn_tok_cli_map_jsonl(name, "encoded", encode_line, &o)
                     : encode_plain(t, &o, name);
    if (fflush(stdout) != 0)
        rc = WN_EXIT_FAILURE;
    wn_tok_free(t);
    return rc;
}
