/* annotate_config.h: what to ask an LLM about a document and how to read its answer.
 *
 * A config is a small YAML file (configs/annotate/NAME.yaml) naming a prompt template beside
 * it and the shape of the answer:
 *
 *   name: fineweb-edu
 *   prompt: fineweb-edu.txt        # template; {{text}} is replaced by the document
 *   system: "..."                  # optional system message
 *   kind: scale                    # scale: an integer from min to max; choice: one word
 *   min: 0
 *   max: 5
 *   answer_regex: "(?i)educational score:\\W*([0-5])"   # one capture group; last match wins
 *   max_tokens: 256                # answer budget sent to the server
 *   temperature: 0
 *   top_logprobs: 10               # ask for log-probabilities (0 = do not ask)
 *   max_chars: 10000               # the document is cut (at a UTF-8 boundary) to this length
 *   request: {...}                 # optional mapping merged into every request body, e.g.
 *                                  # llama.cpp's `grammar` or vLLM's `guided_regex`
 *   # choice only:
 *   choices: [yes, no]
 *   positive: yes                  # the score is P(positive) (or 1/0 from the answer)
 *
 * Ownership: wn_ann_config_release frees everything the config holds.
 */
#ifndef WN_ANNOTATE_CONFIG_H
#define WN_ANNOTATE_CONFIG_H

#include "core/buf.h"

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

typedef enum { WN_ANN_SCALE, WN_ANN_CHOICE } wn_ann_kind;

typedef struct wn_ann_config {
    char *path;          /* the YAML file */
    char *name;
    char *system;        /* NULL when absent */
    char *prompt;        /* the template text */
    wn_ann_kind kind;
    int min, max;        /* scale */
    char **choices;      /* choice: lowercase words */
    size_t n_choices;
    int positive;        /* choice: index into choices */
    char *answer_regex;
    void *re;            /* compiled answer_regex (pcre2_code *) */
    int max_tokens;
    double temperature;
    int top_logprobs;
    size_t max_chars;
    json_t *request;     /* object merged into each request, or NULL */
} wn_ann_config;

/* Load and check a config. Returns 0, or -1 after printing why (file and key named). */
int wn_ann_config_load(wn_ann_config *c, const char *path);
void wn_ann_config_release(wn_ann_config *c);

/* Parse a YAML file's first document into JSON: mappings -> objects, sequences -> arrays,
 * plain scalars that read as integers/reals/true/false/null -> those, others -> strings.
 * NULL with a message in err (with line) on failure. */
json_t *wn_yaml_load_file(const char *path, char *err, size_t errlen);

/* The user message for one document: the template with every {{text}} replaced by the
 * text cut to max_chars bytes (never inside a UTF-8 sequence). */
void wn_ann_render_prompt(const wn_ann_config *c, const char *text, size_t len, wn_buf *out);

/* Bytes of s to keep so that at most max bytes remain and no UTF-8 sequence is split. */
size_t wn_utf8_cut(const char *s, size_t len, size_t max);

#endif
