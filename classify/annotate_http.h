/* annotate_http.h: the OpenAI-compatible chat completions protocol, without the transport.
 *
 * Request: POST <base>/chat/completions with
 *   {"model", "messages": [{"role":"system",..}?, {"role":"user","content": prompt}],
 *    "max_tokens", "temperature", "seed", "logprobs": true, "top_logprobs": k (when k > 0),
 *    ...config `request` keys (they override)}
 * Reply: choices[0].message.content, and choices[0].logprobs.content when present.
 *
 * Which outcomes are retried (after curl's and OpenAI's own advice): transport failures
 * (refused, reset, timed out), 408, 409, 429 and every 5xx, and a 200 whose body is not a
 * reply (a proxy cut it). 401, 403 and 404 mean the run is misconfigured: every request
 * would fail, so the run stops. Any other 4xx fails that document only.
 */
#ifndef WN_ANNOTATE_HTTP_H
#define WN_ANNOTATE_HTTP_H

#include "classify/annotate_config.h"

#include <curl/curl.h>
#include <jansson.h>
#include <stdint.h>

/* The endpoint: `base` as given when it already ends in /chat/completions, otherwise
 * base + "/chat/completions" (so "http://host:8000/v1" works as with OpenAI clients).
 * Returns a malloc'd string. */
char *wn_ann_endpoint(const char *base);

/* The request body for one prompt (malloc'd JSON text). */
char *wn_ann_request_body(const wn_ann_config *c, const char *model, uint64_t seed,
                          const char *prompt, size_t len);

typedef struct wn_ann_reply {
    char *content;     /* malloc'd answer text (may hold NULs; len counts them) */
    size_t len;
    json_t *logprobs;  /* choices[0].logprobs.content array, or NULL */
    char *finish;      /* finish_reason or NULL */
} wn_ann_reply;

/* Parse a 200 reply body. 0, or -1 with a short reason in err. */
int wn_ann_parse_reply(const char *body, size_t len, wn_ann_reply *r, char *err, size_t errlen);
void wn_ann_reply_release(wn_ann_reply *r);

typedef enum {
    WN_ANN_HTTP_OK,       /* 200: read the body */
    WN_ANN_HTTP_RETRY,    /* try again after a delay */
    WN_ANN_HTTP_FAIL_DOC, /* give up on this document (counted, asked again next run) */
    WN_ANN_HTTP_FAIL_RUN, /* stop the run */
} wn_ann_http_verdict;

wn_ann_http_verdict wn_ann_http_classify(CURLcode code, long status);

/* Seconds to wait before try number `attempt` + 1 (attempt >= 1 tries made): the server's
 * Retry-After (`retry_after` seconds, < 0 when absent) when given, capped at 1 hour;
 * otherwise base * 2^(attempt-1) capped at max, scaled by a jitter in [0.5, 1) drawn from
 * `jitter_key` so that documents spread out yet a run is reproducible. */
double wn_ann_retry_delay(int attempt, double retry_after, double base, double max,
                          uint64_t jitter_key);

/* Copy `text` into out with every occurrence of `secret` replaced by "***" (secret NULL or
 * empty: plain copy). Used on anything from a server before it reaches a log. */
void wn_ann_scrub(const char *text, size_t len, const char *secret, wn_buf *out);

#endif
