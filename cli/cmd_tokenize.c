/* cmd_tokenize.c: `winnow tokenize INPUT... -o PREFIX`: JSONL documents to training shards
 * (Megatron .bin/.idx by default, llm.c shards, datatrove .ds), or with --chat OpenAI-style
 * conversations to Llama 3 Instruct tokens with loss masks, optionally packed.
 *
 * Runs on the core runner (tokenize/tok_stage.h): documents are encoded in parallel and
 * written in input order, so the files are identical at any -j. */
#include "cli/command.h"
#include "core/args.h"
#include "core/io.h"
#include "core/jsonl.h"
#include "core/log.h"
#include "core/runner.h"
#include "tokenize/shard_writer.h"
#include "tokenize/tok_stage.h"
#include "tokenize/tokenizer.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static void usage(FILE *f)
{
    fprintf(f,
            "usage: winnow tokenize [options] INPUT... -o PREFIX\n\n"
            "Tokenizes JSONL documents with the Llama 3 tokenizer into training files:\n"
            "  megatron   PREFIX.bin + PREFIX.idx (Megatron-LM indexed dataset, int32; default)\n"
            "  llmc       PREFIX_000000.bin ... (llm.c Llama 3 shards, uint32)\n"
            "  datatrove  PREFIX.ds + .ds.index + .ds.metadata (uint32)\n"
            "Each document is <|begin_of_text|> + its tokens (+ <|end_of_text|> with --eos).\n"
            "Statistics (tokens per source) go to PREFIX.stats.json, then PREFIX.done.\n\n"
            "options:\n"
            "  --format F          megatron (default), llmc, datatrove\n"
            "  --text-field K      JSONL key holding the text (default text)\n"
            "  --tokenizer F       tokenizer.model or tokenizer.json (default: shipped Llama 3)\n"
            "  --llama31-names     name special tokens as Llama 3.1 does\n"
            "  --special           recognise special-token names inside text (HF style)\n"
            "  --no-bos            do not start documents with <|begin_of_text|>\n"
            "  --eos               end documents with <|end_of_text|>\n"
            "  --shard-tokens N    llmc: tokens per shard file (default 100000000)\n"
            "  --chat              inputs hold {\"messages\": [{\"role\", \"content\"}, ...]};\n"
            "                      render the Llama 3 Instruct format and write a loss mask\n"
            "  --train-on W        chat: assistant (default), last (last assistant turn), all\n"
            "  --pack N            chat: pack whole conversations into sequences of N tokens\n"
            "  --pad-id ID         chat: padding token when packing (default 128004)\n"
            "  -o, --output PREFIX output prefix (with --shard I/N, N > 1: PREFIX-IIIII); a\n"
            "                      directory (DIR/ or existing) gets DIR/tokenize-IIIII.*\n"
            "  --shard I/N         process the I-th of N slices of the inputs (by file)\n"
            "  -j, --threads N     threads (default: all cores)\n"
            "  --force             redo a shard that already has a completion record\n"
            "  --quiet             no progress line and no summary\n"
            "  --max-record-size S a longer JSONL line is skipped unread and counted as an\n"
            "                      error with its file and offset (default 256M)\n");
}

typedef struct tokenize_cli {
    wn_tokenize_opts t;
    wn_shards_opts w;
    wn_jsonl_opts jsonl;
    const char *tokenizer;
    unsigned load_flags;
} tokenize_cli;

static int parse_count(const char *opt, const char *arg, uint64_t lo, uint64_t hi, uint64_t *out)
{
    char *end;
    unsigned long long v = strtoull(arg, &end, 10);
    if (*arg == '-' || *end || v < lo || v > hi) {
        wn_error("bad %s '%s': expected a number from %llu to %llu", opt, arg,
                 (unsigned long long)lo, (unsigned long long)hi);
        return -1;
    }
    *out = v;
    return 0;
}

/* -o PREFIX names the files; -o DIR/ (or an existing directory) puts them in DIR as
 * tokenize-IIIII.*, the runner's naming, which is what `winnow run` and `winnow stats` use. */
static char *output_prefix(const wn_common_opts *c)
{
    wn_buf b = WN_BUF_INIT;
    size_t n = strlen(c->output);
    struct stat st;
    if ((n && c->output[n - 1] == '/') || (stat(c->output, &st) == 0 && S_ISDIR(st.st_mode))) {
        wn_buf_append(&b, c->output, n && c->output[n - 1] == '/' ? n - 1 : n);
        wn_buf_appendf(&b, "/tokenize-%05u", c->shard.index);
    } else {
        wn_buf_appends(&b, c->output);
        if (c->shard.count > 1)
            wn_buf_appendf(&b, "-%05u", c->shard.index);
    }
    return wn_buf_detach(&b, NULL);
}

static int make_parent_dir(const char *prefix)
{
    const char *slash = strrchr(prefix, '/');
    if (!slash || slash == prefix)
        return 0;
    char *dir = wn_xstrndup(prefix, (size_t)(slash - prefix));
    int rc = wn_mkdirs(dir);
    if (rc)
        wn_error("cannot create directory '%s'", dir);
    free(dir);
    return rc;
}

/* --format's names, by wn_shards_format; the completion record keeps the one written. */
static const char *const format_names[] = { "megatron", "llmc", "datatrove" };

static int write_stats_and_done(const char *prefix, const wn_common_opts *c,
                                const wn_run_result *res, char **paths, size_t n_paths,
                                uint64_t tokens, uint64_t docs, wn_shards_format format)
{
    json_t *j = wn_run_stats_json("tokenize", c, res);
    char shard[64];
    snprintf(shard, sizeof shard, "%u/%u", c->shard.index, c->shard.count);
    json_t *outputs = json_array();
    for (size_t i = 0; i < n_paths; i++)
        json_array_append_new(outputs, json_string(paths[i]));
    json_object_set_new(j, "outputs", outputs);
    json_object_set_new(j, "tokens", json_integer((json_int_t)tokens));
    json_object_set_new(j, "documents", json_integer((json_int_t)docs));
    wn_buf p = WN_BUF_INIT;
    wn_buf_appendf(&p, "%s.stats.json", prefix);
    int rc = wn_json_write_file(p.data, j, JSON_INDENT(1) | JSON_REAL_PRECISION(10));
    if (!rc) {
        json_t *done = json_pack("{s:s,s:s,s:I,s:I,s:s}", "command", "tokenize", "shard", shard,
                                 "tokens", (json_int_t)tokens, "documents", (json_int_t)docs,
                                 "format", format_names[format]);
        wn_buf_reset(&p);
        wn_buf_appendf(&p, "%s.done", prefix);
        rc = wn_json_write_file(p.data, done, JSON_COMPACT);
    }
    wn_buf_release(&p);
    return rc;
}

static int parse_args(int argc, char **argv, tokenize_cli *o, wn_common_opts *common)
{
    static const struct option own[] = {
        { "format", required_argument, NULL, 'F' },
        { "text-field", required_argument, NULL, 'T' },
        { "tokenizer", required_argument, NULL, 't' },
        { "llama31-names", no_argument, NULL, 'N' },
        { "special", no_argument, NULL, 'S' },
        { "no-bos", no_argument, NULL, 'b' },
        { "eos", no_argument, NULL, 'E' },
        { "shard-tokens", required_argument, NULL, 'Z' },
        { "chat", no_argument, NULL, 'C' },
        { "train-on", required_argument, NULL, 'W' },
        { "pack", required_argument, NULL, 'P' },
        { "pad-id", required_argument, NULL, 'D' },
        { "help", no_argument, NULL, 'h' },
        { NULL, 0, NULL, 0 },
    };
    struct option *opts = wn_merge_long_options(own);
    int c, rc = -1;
    uint64_t v;
    bool train_on = false, pad_id = false, shard_tokens = false;
    optind = 1;
    while ((c = getopt_long(argc, argv, WN_COMMON_SHORT "h", opts, NULL)) != -1) {
        int r = wn_common_getopt(common, c, optarg);
        if (r < 0)
            goto out;
        if (r > 0)
            continue;
        switch (c) {
        case 'F':
            if (wn_shards_parse_format(optarg, &o->w.format)) {
                wn_error("bad --format '%s': expected megatron, llmc or datatrove", optarg);
                goto out;
            }
            break;
        case 'T': o->jsonl.text_field = optarg; break;
        case 't': o->tokenizer = optarg; break;
        case 'N': o->load_flags |= WN_TOK_LOAD_LLAMA31_NAMES; break;
        case 'S': o->t.enc_flags |= WN_TOK_SPECIAL_IN_TEXT; break;
        case 'b': o->t.bos = false; break;
        case 'E': o->t.eos = true; break;
        case 'Z':
            if (parse_count("--shard-tokens", optarg, 1, (1ull << 31) - 1, &v))
                goto out;
            o->w.shard_tokens = v;
            shard_tokens = true;
            break;
        case 'C': o->t.chat = true; break;
        case 'W':
            train_on = true;
            if (!strcmp(optarg, "assistant"))
                o->t.train = WN_CHAT_TRAIN_ASSISTANT;
            else if (!strcmp(optarg, "last"))
                o->t.train = WN_CHAT_TRAIN_LAST;
            else if (!strcmp(optarg, "all"))
                o->t.train = WN_CHAT_TRAIN_ALL;
            else {
                wn_error("bad --train-on '%s': expected assistant, last or all", optarg);
                goto out;
            }
            break;
        case 'P':
            if (parse_count("--pack", optarg, 2, (1ull << 31) - 1, &v))
                goto out;
            o->t.pack = (size_t)v;
            break;
        case 'D':
            if (parse_count("--pad-id", optarg, 0, (1u << 17) - 1, &v))
                goto out;
            o->t.pad_id = (wn_tok_id)v;
            pad_id = true;
            break;
        case 'h': usage(stdout); rc = 1; goto out;
        default: usage(stderr); goto out;
        }
    }
    /* options that would be silently ignored are refused, as --pack without --chat was */
    const char *lone = o->t.pack && !o->t.chat ? "--pack applies to --chat data"
                       : train_on && !o->t.chat ? "--train-on applies to --chat data"
                       : pad_id && !o->t.pack ? "--pad-id applies to --chat --pack"
                       : shard_tokens && o->w.format != WN_SHARDS_LLMC ? "--shard-tokens applies to --format llmc"
                       : NULL;
    if (lone) {
        wn_error("%s", lone);
        goto out;
    }
    if (wn_common_finish(common, argc, argv, optind, true))
        goto out;
    rc = 0;
out:
    free(opts);
    return rc;
}

int cmd_tokenize(int argc, char **argv)
{
    tokenize_cli o = { .t = { .bos = true, .pad_id = 128004 },
                       .w = { .format = WN_SHARDS_MEGATRON } };
    wn_common_opts common;
    wn_common_init(&common);
    char *prefix = NULL;
    wn_tok *tok = NULL;
    int rc = parse_args(argc, argv, &o, &common);
    if (rc) {
        rc = rc > 0 ? WN_EXIT_OK : WN_EXIT_USAGE;
        goto out;
    }
    rc = WN_EXIT_USAGE;
    prefix = output_prefix(&common);
    wn_buf done = WN_BUF_INIT;
    wn_buf_appendf(&done, "%s.done", prefix);
    int complete = access(done.data, F_OK) == 0;
    const char *done_format = NULL;
    json_t *record = complete && !common.force ? json_load_file(done.data, 0, NULL) : NULL;
    if (record)
        done_format = json_string_value(json_object_get(record, "format"));
    if (done_format && strcmp(done_format, format_names[o.w.format])) {
        /* another format under the same prefix: "already complete" would write nothing */
        wn_error("'%s' records a %s output; give --format %s another -o, or --force",
                 done.data, done_format, format_names[o.w.format]);
        json_decref(record);
        wn_buf_release(&done);
        goto out;
    }
    json_decref(record);
    wn_buf_release(&done);
    if (complete && !common.force) {
        wn_info("tokenize: shard %u/%u already complete ('%s.done'); use --force to redo it",
                common.shard.index, common.shard.count, prefix);
        rc = WN_EXIT_OK;
        goto out;
    }
    char err[512];
    tok = wn_tok_load_flags(o.tokenizer, o.load_flags, err, sizeof err);
    if (!tok) {
        wn_error("%s", err);
        goto out;
    }
    if (o.t.pad_id >= wn_tok_vocab_size(tok)) {
        wn_error("bad --pad-id %u: the vocabulary has %zu ids", o.t.pad_id, wn_tok_vocab_size(tok));
        goto out;
    }
    if (make_parent_dir(prefix)) {
        rc = WN_EXIT_FAILURE;
        goto out;
    }
    o.t.tok = tok;
    o.w.prefix = prefix;
    o.w.with_mask = o.t.chat;
    o.w.tokenizer_name = o.tokenizer ? o.tokenizer : "meta-llama/Meta-Llama-3-8B";
    wn_stage *encode = NULL, *write = NULL;
    if (wn_tokenize_stages_new(&o.t, NULL, &encode, &write, err, sizeof err)) {
        wn_error("%s", err);
        goto out;
    }
    wn_shards *writer = wn_shards_open(&o.w, err, sizeof err);
    if (!writer) {
        wn_error("%s", err);
        wn_stage_free(encode);
        wn_stage_free(write);
        rc = WN_EXIT_FAILURE;
        goto out;
    }
    wn_tokenize_set_writer(write, writer);
    wn_stage *stages[] = { encode, write };
    wn_run_opts ro = {
        .command = "tokenize", .common = &common,
        .open = o.t.chat ? wn_chat_source_open : NULL,
        .open_ctx = o.t.chat ? NULL : &o.jsonl,
        .stages = stages, .n_stages = 2, .no_output = true,
    };
    wn_run_result res;
    int run_rc = wn_run(&ro, &res);
    int flush_rc = wn_tokenize_flush(write, err, sizeof err);
    uint64_t tokens = wn_shards_tokens(writer), docs = wn_shards_documents(writer);
    char **paths = NULL;
    size_t n_paths = 0;
    rc = WN_EXIT_OK;
    if (run_rc || flush_rc) {
        wn_shards_abort(writer);
        rc = WN_EXIT_FAILURE;
    } else if (wn_shards_commit(writer, &paths, &n_paths, err, sizeof err)) {
        wn_error("%s", err);
        rc = WN_EXIT_FAILURE;
    } else if (write_stats_and_done(prefix, &common, &res, paths, n_paths, tokens, docs, o.w.format)) {
        rc = WN_EXIT_FAILURE;
    }
    wn_run_print_summary(&ro, &res);
    if (rc == WN_EXIT_OK && !common.quiet)
        wn_info("tokenize: %llu tokens in %llu sequences written to '%s'*",
                (unsigned long long)tokens, (unsigned long long)docs, prefix);
    for (size_t i = 0; i < n_paths; i++)
        free(paths[i]);
    free(paths);
    wn_run_result_release(&res);
    wn_stage_free(encode);
    wn_stage_free(write);
out:
    wn_tok_free(tok);
    free(prefix);
    wn_common_release(&common);
    return rc;
}
