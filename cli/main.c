/* main.c: the winnow command table and dispatcher (after git's builtin table).
 *
 * Adding a command: see cli/command.h. Keep the table sorted by name. */
#include "cli/command.h"
#include "core/args.h"
#include "core/log.h"

#include <stdio.h>
#include <string.h>

#ifndef WINNOW_VERSION
#define WINNOW_VERSION "0.1.0"
#endif

typedef struct wn_command {
    const char *name;
    int (*fn)(int argc, char **argv);
    const char *summary;
} wn_command;

static const wn_command commands[] = {
    { "annotate", cmd_annotate, "label a seeded sample of documents with an LLM (OpenAI API)" },
    { "classify", cmd_classify, "fastText-compatible classifiers: supervised, predict, predict-prob, test, score" },
    { "decode", cmd_decode, "Llama 3 token ids back to text" },
    { "dedup", cmd_dedup, "deduplicate documents: url, exact, minhash, line, semantic" },
    { "encode", cmd_encode, "text to Llama 3 token ids (plain or JSONL)" },
    { "filter", cmd_filter, "quality, NSFW, language and PII filters with signals (Llama 3 recipe)" },
    { "html2text", cmd_html2text, "print the main text of HTML files (debugging ingest's extractor)" },
    { "ingest", cmd_ingest, "WARC/WET/ARC/JSONL/HTML/text to clean UTF-8 JSONL documents" },
    { "mix", cmd_mix, "plan and write a token-budget mix as packed, shuffled training shards" },
    { "run", cmd_run, "run the whole pipeline from one YAML config (resumable; --dry-run; --slurm)" },
    { "stats", cmd_stats, "merge and print *.stats.json of one or more output directories" },
    { "status", cmd_status, "done, running and failed tasks of a run submitted with --slurm" },
    { "tokenize", cmd_tokenize, "documents to training shards (Megatron, llm.c, datatrove); chat + loss masks" },
};

static void usage(FILE *f)
{
    fprintf(f, "usage: winnow <command> [options] [inputs...]\n"
               "       winnow <command> --help\n"
               "       winnow --version\n\n"
               "commands:\n");
    for (size_t i = 0; i < sizeof commands / sizeof *commands; i++)
        fprintf(f, "  %-12s %s\n", commands[i].name, commands[i].summary);
    fprintf(f, "\nexit codes:\n"
               "  0   done (bad records, if any, are counted in the statistics)\n"
               "  1   the run could not complete (unreadable input, write error)\n"
               "  2   bad arguments or configuration; nothing was done\n"
               "  70  out of memory or internal error\n");
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        usage(stderr);
        return WN_EXIT_USAGE;
    }
    const char *name = argv[1];
    if (!strcmp(name, "--help") || !strcmp(name, "-h") || !strcmp(name, "help")) {
        usage(stdout);
        return WN_EXIT_OK;
    }
    if (!strcmp(name, "--version") || !strcmp(name, "version")) {
        printf("winnow %s\n", WINNOW_VERSION);
        return WN_EXIT_OK;
    }
    for (size_t i = 0; i < sizeof commands / sizeof *commands; i++)
        if (!strcmp(commands[i].name, name))
            return commands[i].fn(argc - 1, argv + 1);
    wn_error("'%s' is not a winnow command; see 'winnow --help'", name);
    return WN_EXIT_USAGE;
}
