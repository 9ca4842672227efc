/* params.h: filter parameters from a config file, with published defaults.
 *
 * A filter config is YAML (a JSON file is valid YAML too):
 *
 *   filters:
 *     - name: gopher_quality
 *       min_doc_words: 50
 *     - name: nsfw_words
 *       lists: [data/nsfw/ldnoobw/en.txt]
 *
 * The YAML is converted to a jansson value (plain scalars that parse as numbers become
 * numbers, true/false/yes/no booleans, ~/null null), so every consumer reads JSON.
 *
 * A constructor reads its parameters through wn_fparams: each getter returns the configured
 * value or the default, records the effective value (for `winnow filter --print-config`),
 * and flags a type error. wn_fparams_finish then rejects keys the filter never read, so a
 * misspelt threshold is an error, not a silent default.
 *
 * Paths (wn_fp_paths) are resolved relative to the config file's directory; a path starting
 * with "data/" that does not exist there names a file shipped with winnow, found by
 * wn_data_path (core/paths.h: $WINNOW_DATA, or the data/ directory beside the executable).
 */
#ifndef WN_FILTER_PARAMS_H
#define WN_FILTER_PARAMS_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

typedef struct wn_fparams {
    const char *filter;    /* filter name, for messages */
    const json_t *given;   /* the filter's object from the config, or NULL */
    json_t *effective;     /* every parameter with the value in use (owned) */
    const char *base_dir;  /* for relative paths; NULL = data dir */
    bool annotate_only;    /* text-rewriting filters only record what they would do */
    char err[512];         /* first error, "" when none */
    const char *key;       /* the key a getter is reading: where its error is placed */
} wn_fparams;

void wn_fparams_init(wn_fparams *p, const char *filter, const json_t *given,
                     const char *base_dir, bool annotate_only);
void wn_fparams_release(wn_fparams *p);

/* A finite number >= 0 (every filter parameter is a threshold, count or size). */
double wn_fp_num(wn_fparams *p, const char *key, double def);
/* A number between 0 and 1: a share of words, lines, characters or n-grams. */
double wn_fp_fraction(wn_fparams *p, const char *key, double def);
bool wn_fp_bool(wn_fparams *p, const char *key, bool def);
/* The string stays valid while the config and p live. */
const char *wn_fp_str(wn_fparams *p, const char *key, const char *def);
/* A path or list of paths (string or array of strings), resolved; *n set. Free the result
 * with wn_free_strv (core/args.h). `defs` is a NULL-terminated default list. */
char **wn_fp_paths(wn_fparams *p, const char *key, const char *const *defs, size_t *n);
/* A list of strings (array); defaults as above. */
char **wn_fp_strs(wn_fparams *p, const char *key, const char *const *defs, size_t *n);
/* Record an error (the first one wins). */
void wn_fp_fail(wn_fparams *p, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* 0 when all is well; -1 when a getter failed or a given key was never read. */
int wn_fparams_finish(wn_fparams *p);

/* Read a YAML or JSON file into a jansson value. NULL with a message in err on failure
 * ("'FILE':LINE:COL: ..."). It remembers where the file's mappings and keys are, for
 * wn_fconfig_error, until the next wn_yaml_load. */
json_t *wn_yaml_load(const char *path, char *err, size_t errlen);
/* Print the error of building a filter chain from `config` (read from path by
 * wn_yaml_load): "error: 'FILE':LINE:COL: MSG" at the key or filter the first failure was
 * about, "'FILE': MSG" when that is not known, MSG alone when path is NULL. */
void wn_fconfig_error(const char *path, const json_t *config, const char *msg);
json_t *wn_yaml_parse(const char *text, size_t len, char *err, size_t errlen);

#endif
