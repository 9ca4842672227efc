/* yaml.h: a YAML file loaded (libyaml) into a small tree that remembers where every node
 * and key came from, and checkers that report config mistakes by key and line.
 *
 * Every error is printed as
 *   error: 'configs/x.yaml':12:5: mix.sources[1].weight: expected a number, got 'abc'
 * and counted in the document, so a caller checks everything, then refuses to start when
 * wn_ydoc.errors > 0. Lines and columns are 1-based.
 *
 * Ownership: the wn_ydoc owns the whole tree; nodes and strings live until wn_ydoc_free.
 * Getters return pointers into the tree.
 *
 *   wn_ydoc *d = wn_ydoc_load("x.yaml");
 *   static const char *const keys[] = {"seed", "budget", NULL};
 *   wn_y_check_keys(d, d->root, "", keys);
 *   uint64_t seed = 0;
 *   wn_y_u64(d, d->root, "", "seed", &seed, false);
 *   if (d->errors) ... refuse
 */
#ifndef WN_PIPELINE_YAML_H
#define WN_PIPELINE_YAML_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef enum { WN_Y_SCALAR, WN_Y_SEQ, WN_Y_MAP } wn_ykind;

typedef struct wn_ynode wn_ynode;
struct wn_ynode {
    wn_ykind kind;
    unsigned line, col;
    char *scalar;     /* WN_Y_SCALAR: the text */
    bool plain;       /* scalar written without quotes (so `1` may be a number) */
    wn_ynode **items; /* sequence items, or map values */
    char **keys;      /* map keys (same index as items) */
    unsigned *key_lines, *key_cols;
    size_t n;
};

typedef struct wn_ydoc {
    char *path;
    char *dir;        /* directory of path, for resolving relative paths */
    char *text;       /* the file as read (for manifests) */
    size_t text_len;
    wn_ynode *root;   /* a map (an empty file gives an empty map) */
    int errors;
    bool missing_ok;  /* missing input files are warnings (plans that run nothing) */
} wn_ydoc;

/* Load and parse; a syntax error or a non-map top level is printed and returns NULL. */
wn_ydoc *wn_ydoc_load(const char *path);
void wn_ydoc_free(wn_ydoc *d);

/* Print "error: 'file':line:col: <where>: <message>" and count it. `where` is the key path
 * (e.g. "mix.sources[1]") and `key` an optional last component. */
void wn_y_error(wn_ydoc *d, const wn_ynode *at, const char *where, const char *key,
                const char *fmt, ...) __attribute__((format(printf, 5, 6)));
/* Print a warning in the same format (not counted). */
void wn_y_warn(const wn_ydoc *d, const wn_ynode *at, const char *where, const char *key,
               const char *fmt, ...) __attribute__((format(printf, 5, 6)));

/* A file named by the config does not exist: an error, or a warning when missing_ok. */
void wn_y_missing(wn_ydoc *d, const wn_ynode *at, const char *where, const char *key,
                  const char *fmt, ...) __attribute__((format(printf, 5, 6)));

/* Value under key in a map, or NULL (also when map is not a map). */
const wn_ynode *wn_y_get(const wn_ynode *map, const char *key);
/* Report every key of `map` not in `allowed` (NULL-terminated); also reports a map that is
 * not a map. Returns false when something was reported. */
bool wn_y_check_keys(wn_ydoc *d, const wn_ynode *map, const char *where,
                     const char *const *allowed);

/* Typed getters: when the key is absent they leave *out alone and report only if
 * `required`; when present with the wrong type they report. Return true when *out was set. */
bool wn_y_str(wn_ydoc *d, const wn_ynode *map, const char *where, const char *key,
              const char **out, bool required);
bool wn_y_bool(wn_ydoc *d, const wn_ynode *map, const char *where, const char *key,
               bool *out, bool required);
bool wn_y_double(wn_ydoc *d, const wn_ynode *map, const char *where, const char *key,
                 double *out, bool required);
bool wn_y_u64(wn_ydoc *d, const wn_ynode *map, const char *where, const char *key,
              uint64_t *out, bool required);
/* A count with an optional decimal suffix, as token budgets are written: 15T, 2.5B (also
 * G), 40M, 10K; or a plain integer. */
bool wn_y_count(wn_ydoc *d, const wn_ynode *map, const char *where, const char *key,
                uint64_t *out, bool required);
/* A byte size with a binary suffix: 64K, 256M, 1G (powers of 1024). */
bool wn_y_bytes(wn_ydoc *d, const wn_ynode *map, const char *where, const char *key,
                uint64_t *out, bool required);
/* A sequence (or a single scalar, taken as a one-item list) of strings. Returns the count
 * in *n and a malloc'd array of pointers into the tree (caller frees the array only). */
bool wn_y_strlist(wn_ydoc *d, const wn_ynode *map, const char *where, const char *key,
                  const char ***out, size_t *n, bool required);

/* Parse helpers usable on their own: 0 on success. */
int wn_y_parse_count(const char *s, uint64_t *out);
int wn_y_parse_bytes(const char *s, uint64_t *out);

/* A path from the config made absolute against the config's directory (unless already
 * absolute). Caller frees. */
char *wn_y_resolve(const wn_ydoc *d, const char *path);

#endif
