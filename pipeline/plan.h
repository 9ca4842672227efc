/* plan.h: a pipeline run as plain data - phases of shard tasks, each task one winnow
 * command line - so that any executor can run it.
 *
 *   config.yaml --wn_plan_load--> wn_plan --+--> pipeline/exec.h: local processes
 *                                           +--> cluster/: Slurm job arrays, sbatch scripts
 *
 * A plan is an ordered list of phases (ingest, filter, dedup, classify, tokenize, mix, per
 * source where the stage is per source). Phases are in a valid execution order: every phase
 * comes after the phases listed in its `deps`. A phase is a set of tasks that may run in any
 * order and in parallel; task I of N is the command run with `--shard I/N`, so the tasks of
 * one phase differ only in that argument and in their completion record (`done_path`).
 * An array job can therefore take task 0's argv and substitute the shard index.
 *
 * Arguments: argv[0] is the winnow subcommand ("filter"); the executor puts the winnow
 * binary in front. An argument with `glob` set is a shell pattern over the outputs of an
 * earlier phase (e.g. "run/web/filter/filter-*.jsonl.zst"): the files do not exist when
 * the plan is made. A local executor expands it with glob(3) (sorted); a script writes it
 * unquoted so the shell expands it. Every other argument is literal and must be quoted
 * when written into a script (wn_task_command_line does both). A pattern that matches
 * nothing means the earlier phase left no documents (all filtered out): the task has
 * nothing to do and counts as complete (the local executor warns and writes its record; a
 * script should test for that too, since an unmatched shell glob stays literal).
 *
 * Exactly-once: a task is complete when its `done_path` exists. The executor writes it
 * (wn_task_mark_done) after the command exited 0, so it does not depend on how each command
 * keeps its own records (commands on core's runner also write <prefix>-<I>.done and skip a
 * shard that has one). Commands write every output under a temporary name and rename it
 * when complete. An executor does not start a complete task (wn_task_is_done); a task that
 * was interrupted is run again from scratch and rewrites the same names, so a killed and
 * resumed run ends with the same bytes as an uninterrupted one. Before the first task of a
 * phase starts, leftover temporaries ("*.tmp-*") in its outdir may be removed
 * (wn_phase_clean_temporaries); a Slurm script does the same or leaves them (no glob of
 * the plan matches them).
 *
 * Ownership: a wn_plan owns every string and array reachable from it; everything lives
 * until wn_plan_free. Paths are as the config resolved them (relative paths in the config
 * are relative to the config file's directory; `workdir` likewise).
 *
 *   wn_plan *plan = wn_plan_load("configs/sample.yaml");   // errors already printed
 *   if (!plan) return WN_EXIT_USAGE;
 *   for (size_t p = 0; p < plan->n_phases; p++)
 *       for (size_t t = 0; t < plan->phases[p].n_tasks; t++) {
 *           char *line = wn_task_command_line(&plan->phases[p].tasks[t], "winnow");
 *           puts(line);
 *           free(line);
 *       }
 *   wn_plan_free(plan);
 */
#ifndef WN_PLAN_H
#define WN_PLAN_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

typedef struct wn_task_arg {
    char *text;
    bool glob; /* a pattern over earlier outputs, expanded at run time */
} wn_task_arg;

typedef struct wn_task {
    unsigned index;     /* I of --shard I/N (0-based) */
    wn_task_arg *argv;  /* argv[0] is the subcommand name */
    size_t argc;
    char *done_path;    /* completion record; the task is complete iff it exists */
} wn_task;

typedef struct wn_phase {
    char *name;           /* unique in the plan, e.g. "web.filter", "mix" */
    char *command;        /* the subcommand, e.g. "filter" */
    char *source;         /* the config source it works on, or NULL for global phases */
    char *outdir;         /* where its tasks write (created by the command) */
    char *outputs_glob;   /* pattern matching its data outputs, for the next phase */
    size_t *deps;         /* indexes of phases that must be complete before it starts */
    size_t n_deps;
    wn_task *tasks;       /* n_tasks == N of --shard I/N */
    size_t n_tasks;
    unsigned threads;     /* OpenMP threads each task should get (its -j value) */
} wn_phase;

typedef struct wn_plan {
    char *config_path;
    char *workdir;        /* root of all outputs */
    wn_phase *phases;     /* in execution order */
    size_t n_phases;
    unsigned max_parallel; /* tasks a local executor runs at once (config `parallel`) */
    char *final_outputs;  /* directory holding the training shards (the mix output) */
} wn_plan;

/* Parse and validate the YAML config at `path` and build its plan. On any config error
 * (unknown key, wrong type, missing input file, weights not summing to 1, a budget the
 * data cannot meet without an epoch limit...) prints "error: 'path':LINE:COL: key 'k': ..."
 * for each problem and returns NULL; no file is touched. */
wn_plan *wn_plan_load(const char *path);
/* The same for a plan that is only shown (--dry-run): missing input and model files are
 * warnings, so a recipe whose data lives elsewhere can still be planned. */
wn_plan *wn_plan_load_unchecked_files(const char *path);
void wn_plan_free(wn_plan *plan);

/* Complete when its done record exists. */
bool wn_task_is_done(const wn_task *task);
/* Write the task's completion record (atomically). 0, or -1 with a message. */
int wn_task_mark_done(const wn_task *task);
/* Remove "*.tmp-*" files in the phase's outdir (no task of it may be running). */
void wn_phase_clean_temporaries(const wn_phase *phase);
/* Number of tasks of the phase that are complete. */
size_t wn_phase_done_count(const wn_phase *phase);

/* What a phase runs with (pipeline/fingerprint.c): 32 hex digits over its name, its tasks'
 * arguments (but -j) and the content of the files its options name (configs, models,
 * tokenizer). Caller frees. */
char *wn_phase_fingerprint(const wn_phase *phase);
/* Before a run: when every phase that has complete tasks was stamped with its current
 * fingerprint (or not stamped at all, by an older winnow), record every phase's fingerprint
 * in <workdir>/.fingerprints/<phase> (atomically, only where it changed) and return 0;
 * else -1, with an error per changed phase saying what to remove, and nothing written. */
int wn_plan_check_and_stamp(const wn_plan *plan);
/* Has phase i complete tasks that were run under another fingerprint? (--dry-run) */
bool wn_phase_changed(const wn_plan *plan, size_t i);

/* One shell command line: `exe` (quoted) followed by the arguments, literals single-quoted
 * where needed, globs left bare so the shell expands them. Caller frees. */
char *wn_task_command_line(const wn_task *task, const char *exe);

/* The argv to exec: exe, then the arguments with globs expanded (sorted). NULL-terminated;
 * free with wn_task_argv_free. Returns 0; 1 when a pattern matches nothing (the earlier
 * phase produced no documents, e.g. all were filtered out: there is nothing to do, and
 * *argv_out is NULL); -1 with a message printed on other errors. */
int wn_task_expand_argv(const wn_task *task, const char *exe, char ***argv_out, size_t *argc_out);
void wn_task_argv_free(char **argv, size_t argc);

/* --dry-run text: phases, their dependencies, tasks (command lines, done or not) and
 * outputs. */
void wn_plan_print(const wn_plan *plan, FILE *f);
/* The same as JSON: {"config","workdir","max_parallel","final_outputs","phases":[{"name",
 * "command","source","outdir","outputs","threads","deps":[names],"tasks":[{"index",
 * "argv":[...],"glob":[indexes of glob args],"done"}]}]}. New reference. */
json_t *wn_plan_to_json(const wn_plan *plan);

#endif
