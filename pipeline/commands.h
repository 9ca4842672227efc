/* commands.h: what the planner knows about each stage command - only its command line.
 *
 * A stage's options in the config are the command's long options without "--" (so a user
 * adapts a config by reading `winnow <command> --help`): `true` gives a bare flag, `false`
 * omits it, a scalar gives "--key value", a list repeats "--key v" per item. The table
 * below lists the options each command accepts, which lets a config be checked (unknown
 * key, wrong type, missing file) before anything runs. `args: [...]` passes raw arguments
 * through for options this table does not know yet. A stage given as a list of option maps
 * runs its command once per item, in order (Llama 3's url, minhash and line dedup).
 */
#ifndef WN_PIPELINE_COMMANDS_H
#define WN_PIPELINE_COMMANDS_H

#include <stdbool.h>
#include <stddef.h>

typedef enum {
    WN_PLO_FLAG,   /* true/false */
    WN_PLO_VALUE,  /* any scalar */
    WN_PLO_PATH,   /* a file or directory that must exist; resolved against the config */
    WN_PLO_LIST,   /* scalar or list; repeated */
    WN_PLO_POSITIONAL, /* a word after the command name (dedup's method) */
} wn_plo_type;

typedef struct wn_pl_option {
    const char *key;
    wn_plo_type type;
} wn_pl_option;

/* One phase of a command: `phase_arg` is appended (e.g. "--phase sign") and `sharded`
 * says whether it runs as N tasks (--shard I/N) or one. */
typedef struct wn_pl_cmd_phase {
    const char *suffix;     /* phase name suffix, "" for single-phase commands */
    const char *phase_arg;  /* extra arguments, space separated, or NULL */
    bool sharded;
} wn_pl_cmd_phase;

typedef struct wn_pl_command {
    const char *stage;       /* config key, e.g. "classify" */
    const char *command;     /* winnow subcommand */
    const char *subcommand;  /* word after it ("score"), or NULL */
    const char *outputs;     /* glob of data outputs inside the output directory */
    const char *output_prefix; /* -o takes a file prefix: <outdir>/<this>; NULL = -o <outdir> */
    const wn_pl_option *options; /* terminated by a NULL key */
    const wn_pl_cmd_phase *phases; /* default phases, terminated by a NULL suffix */
    const wn_pl_cmd_phase *split_phases; /* with `split_phases: true`, or NULL */
} wn_pl_command;

/* The command of a stage name, or NULL. */
const wn_pl_command *wn_pl_command_find(const char *stage);
/* The phases of cmd under `split_phases: true` for this dedup method (or NULL method), or
 * NULL when it has none (dedup line has its own three; semantic has none). */
const wn_pl_cmd_phase *wn_pl_split_phases(const wn_pl_command *cmd, const char *method);
/* The option `key` of cmd (its own or a common one), or NULL when unknown. */
const wn_pl_option *wn_pl_option_find(const wn_pl_command *cmd, const char *key);

#endif
