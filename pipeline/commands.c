/* commands.c: the stage commands' options, as their --help lists them; see commands.h.
 * Update a row when a command gains an option (a config using an unknown one is refused). */
#include "pipeline/commands.h"

#include <string.h>

/* core/args.h options every runner-based command takes (-o/--shard/-j are set by the plan). */
static const wn_pl_option common_options[] = {
    {"max-shard-size", WN_PLO_VALUE}, {"compression", WN_PLO_VALUE},
    {"batch-size", WN_PLO_VALUE}, {"max-record-size", WN_PLO_VALUE}, {NULL, 0},
};

/* cli/cmd_ingest.c */
static const wn_pl_option ingest_options[] = {
    {"format", WN_PLO_VALUE}, {"text-field", WN_PLO_VALUE}, {"id-field", WN_PLO_VALUE},
    {"source", WN_PLO_VALUE}, {"max-payload", WN_PLO_VALUE}, {"keep-raw", WN_PLO_FLAG},
    {"all-statuses", WN_PLO_FLAG}, {NULL, 0},
};

/* cli/cmd_filter.c */
static const wn_pl_option filter_options[] = {
    {"config", WN_PLO_PATH}, {"annotate-only", WN_PLO_FLAG}, {"where", WN_PLO_LIST},
    {"removed", WN_PLO_VALUE}, {NULL, 0},
};

/* cli/cmd_dedup.c (docs/dedup.md); the method is the word after `dedup` */
static const wn_pl_option dedup_options[] = {
    {"method", WN_PLO_POSITIONAL}, {"state", WN_PLO_VALUE}, {"memory", WN_PLO_VALUE},
    {"parts", WN_PLO_VALUE}, {"bands", WN_PLO_VALUE}, {"rows", WN_PLO_VALUE},
    {"ngram", WN_PLO_VALUE}, {"seed", WN_PLO_VALUE}, {"keep", WN_PLO_VALUE},
    {"clusters", WN_PLO_VALUE}, {"verify", WN_PLO_VALUE}, {"index", WN_PLO_PATH},
    {"index-out", WN_PLO_VALUE}, {"removed", WN_PLO_VALUE}, {"text-field", WN_PLO_VALUE},
    {"bucket-docs", WN_PLO_VALUE}, {"max-repeats", WN_PLO_VALUE}, {"ccnet", WN_PLO_FLAG},
    {"embeddings", WN_PLO_PATH}, {"dim", WN_PLO_VALUE}, {"k", WN_PLO_VALUE},
    {"eps", WN_PLO_VALUE}, {"iterations", WN_PLO_VALUE}, {NULL, 0},
};

/* `winnow classify score` (cli/cmd_classify.c, branch classify) */
static const wn_pl_option classify_options[] = {
    {"model", WN_PLO_PATH}, {"name", WN_PLO_VALUE}, {"label", WN_PLO_VALUE},
    {"threshold", WN_PLO_VALUE}, {"top-percent", WN_PLO_VALUE}, {NULL, 0},
};

/* cli/cmd_tokenize.c (branch tok); its -o is a file prefix, not a directory. The mix reads
 * Megatron output, so `format` other than megatron is for runs without a mix. */
static const wn_pl_option tokenize_options[] = {
    {"format", WN_PLO_VALUE}, {"text-field", WN_PLO_VALUE}, {"tokenizer", WN_PLO_PATH},
    {"llama31-names", WN_PLO_FLAG}, {"special", WN_PLO_FLAG}, {"no-bos", WN_PLO_FLAG},
    {"eos", WN_PLO_FLAG}, {"shard-tokens", WN_PLO_VALUE}, {"chat", WN_PLO_FLAG},
    {"train-on", WN_PLO_VALUE}, {"pack", WN_PLO_VALUE}, {"pad-id", WN_PLO_VALUE}, {NULL, 0},
};

/* Line dedup's three (docs/dedup.md): line hashes per shard, one count over all of them,
 * the removal per shard. */
static const wn_pl_cmd_phase dedup_line_split[] = {
    {".hash", "--phase hash", true}, {".count", "--phase count", false},
    {".apply", "--phase apply", true}, {NULL, NULL, false},
};
static const wn_pl_cmd_phase one_sharded[] = {{"", NULL, true}, {NULL, NULL, false}};
static const wn_pl_cmd_phase one_global[] = {{"", NULL, false}, {NULL, NULL, false}};
/* Dedup's five phases, for runs spread over machines (docs/dedup.md "Phases"). */
static const wn_pl_cmd_phase dedup_split[] = {
    {".sign", "--phase sign", true}, {".bands", "--phase bands", true},
    {".merge", "--phase merge", true}, {".cluster", "--phase cluster", false},
    {".remove", "--phase remove", true}, {NULL, NULL, false},
};

static const wn_pl_command commands[] = {
    {"ingest", "ingest", NULL, "*.jsonl.zst", NULL, ingest_options, one_sharded, NULL},
    {"filter", "filter", NULL, "*.jsonl.zst", NULL, filter_options, one_sharded, NULL},
    /* dedup is global: one task sees every document unless split into its phases */
    {"dedup", "dedup", NULL, "*.jsonl.zst", NULL, dedup_options, one_global, dedup_split},
    {"classify", "classify", "score", "*.jsonl.zst", NULL, classify_options, one_sharded,
     NULL},
    {"tokenize", "tokenize", NULL, "tokens*.idx", "tokens", tokenize_options, one_sharded,
     NULL},
};

const wn_pl_command *wn_pl_command_find(const char *stage)
{
    for (size_t i = 0; i < sizeof commands / sizeof *commands; i++)
        if (!strcmp(commands[i].stage, stage))
            return &commands[i];
    return NULL;
}

const wn_pl_option *wn_pl_option_find(const wn_pl_command *cmd, const char *key)
{
    for (const wn_pl_option *o = cmd->options; o->key; o++)
        if (!strcmp(o->key, key))
            return o;
    for (const wn_pl_option *o = common_options; o->key; o++)
        if (!strcmp(o->key, key))
            return o;
    return NULL;
}

const wn_pl_cmd_phase *wn_pl_split_phases(const wn_pl_command *cmd, const char *method)
{
    if (!cmd->split_phases || strcmp(cmd->command, "dedup"))
        return cmd->split_phases;
    if (method && !strcmp(method, "line"))
        return dedup_line_split;
    if (method && !strcmp(method, "semantic"))
        return NULL; /* k-means over every embedding at once: one task */
    return cmd->split_phases;
}
