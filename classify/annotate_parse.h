/* annotate_parse.h: read a score out of an LLM's answer.
 *
 * From the text: the config's answer_regex is matched over the whole answer and the capture
 * group of the LAST match is the score (models often restate the rubric before concluding,
 * so the conclusion is at the end, as FineWeb-Edu's parser assumes). A scale score must be a
 * number in [min, max]; a choice must be one of the choices (case-insensitive). Anything
 * else is unparseable: counted and kept aside by the caller, never guessed.
 *
 * From log-probabilities (OpenAI's choices[0].logprobs.content: per generated token
 * {token, logprob, top_logprobs: [{token, logprob}]}): the token that produced the captured
 * score is found, and over its alternatives that are valid scores the probabilities are
 * renormalised; the score is their expected value (scale) or P(positive) (choice), which is
 * steadier than one sampled answer. When the server sent no log-probabilities, or the score
 * token cannot be found among them, the text's score stands.
 */
#ifndef WN_ANNOTATE_PARSE_H
#define WN_ANNOTATE_PARSE_H

#include "classify/annotate_config.h"

#include <jansson.h>

typedef enum {
    WN_ANN_PARSED = 0,
    WN_ANN_NO_MATCH,     /* the regex did not match */
    WN_ANN_OUT_OF_RANGE, /* matched, but not a valid score/choice */
} wn_ann_parse_status;

typedef struct wn_ann_score {
    double score;      /* scale: the score; choice: P(positive) or 1/0 */
    int choice;        /* choice: index of the chosen class (argmax when from logprobs) */
    int from_logprobs; /* 1 when score is an expected value over log-probabilities */
    double mass;       /* from_logprobs: probability mass of the valid score tokens */
    size_t match_start, match_len; /* the capture in the answer */
} wn_ann_score;

/* Parse `answer` (len bytes) per c. Returns WN_ANN_PARSED and fills *out, or the reason. */
wn_ann_parse_status wn_ann_parse_answer(const wn_ann_config *c, const char *answer, size_t len,
                                        wn_ann_score *out);

/* Refine a parsed score with log-probabilities: `content` is the logprobs.content array
 * (may be NULL). Returns 1 when *s was replaced by the expected value, 0 when it stays. */
int wn_ann_apply_logprobs(const wn_ann_config *c, const char *answer, size_t len,
                          const json_t *content, wn_ann_score *s);

/* The value a score token stands for: scale -> the integer (as double) in [min, max];
 * choice -> the index. Leading/trailing spaces are ignored. Returns 0 or -1 if invalid. */
int wn_ann_token_value(const wn_ann_config *c, const char *tok, size_t len, double *value);

#endif
