/* annotate_http.c: chat completions requests and replies, retry policy; see annotate_http.h. */
#include "classify/annotate_http.h"
#include "core/log.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

char *wn_ann_endpoint(const char *base)
{
    static const char suffix[] = "/chat/completions";
    size_t n = strlen(base), s = sizeof suffix - 1;
    while (n > 0 && base[n - 1] == '/')
        n--;
    if (n >= s && !memcmp(base + n - s, suffix, s))
        return wn_xstrndup(base, n);
    wn_buf b = WN_BUF_INIT;
    wn_buf_append(&b, base, n);
    wn_buf_appends(&b, suffix);
    return wn_buf_detach(&b, NULL);
}

char *wn_ann_request_body(const wn_ann_config *c, const char *model, uint64_t seed,
                          const char *prompt, size_t len)
{
    json_t *msgs = json_array();
    if (c->system)
        json_array_append_new(msgs, json_pack("{s:s, s:s}", "role", "system", "content", c->system));
    json_array_append_new(msgs, json_pack("{s:s, s:s%}", "role", "user", "content", prompt, len));
    json_t *req = json_pack("{s:s, s:o, s:i, s:f, s:I}", "model", model, "messages", msgs,
                            "max_tokens", c->max_tokens, "temperature", c->temperature,
                            "seed", (json_int_t)(seed & 0x7fffffff));
    if (c->top_logprobs > 0) {
        json_object_set_new(req, "logprobs", json_true());
        json_object_set_new(req, "top_logprobs", json_integer(c->top_logprobs));
    }
    if (c->request)
        json_object_update(req, c->request);
    char *text = json_dumps(req, JSON_COMPACT);
    json_decref(req);
    if (!text)
        wn_fatal("out of memory encoding a request");
    return text;
}

int wn_ann_parse_reply(const char *body, size_t len, wn_ann_reply *r, char *err, size_t errlen)
{
    memset(r, 0, sizeof *r);
    json_error_t je;
    json_t *root = json_loadb(body, len, JSON_ALLOW_NUL, &je);
    if (!root) {
        snprintf(err, errlen, "reply is not json: %s", je.text);
        return -1;
    }
    json_t *choice = json_array_get(json_object_get(root, "choices"), 0);
    json_t *content = json_object_get(json_object_get(choice, "message"), "content");
    if (!json_is_string(content)) {
        snprintf(err, errlen, "reply has no choices[0].message.content");
        json_decref(root);
        return -1;
    }
    r->len = json_string_length(content);
    r->content = wn_xstrndup(json_string_value(content), r->len);
    json_t *lp = json_object_get(json_object_get(choice, "logprobs"), "content");
    if (json_is_array(lp))
        r->logprobs = json_incref(lp);
    json_t *fin = json_object_get(choice, "finish_reason");
    if (json_is_string(fin))
        r->finish = wn_xstrdup(json_string_value(fin));
    json_decref(root);
    return 0;
}

void wn_ann_reply_release(wn_ann_reply *r)
{
    free(r->content);
    free(r->finish);
    json_decref(r->logprobs);
    memset(r, 0, sizeof *r);
}

wn_ann_http_verdict wn_ann_http_classify(CURLcode code, long status)
{
    switch (code) {
    case CURLE_OK:
        break;
    case CURLE_COULDNT_RESOLVE_HOST:
    case CURLE_UNSUPPORTED_PROTOCOL:
    case CURLE_URL_MALFORMAT:
        return WN_ANN_HTTP_FAIL_RUN; /* no retry can fix the address */
    default:
        return WN_ANN_HTTP_RETRY; /* refused, reset, timed out, cut short */
    }
    if (status == 200)
        return WN_ANN_HTTP_OK;
    if (status == 408 || status == 409 || status == 429 || status >= 500)
        return WN_ANN_HTTP_RETRY;
    /* 3xx: the URL is wrong for every document (http for https, a proxy's login page); the
     * client does not follow redirects, so each document failed alone */
    if (status == 401 || status == 403 || status == 404 || (status >= 300 && status < 400))
        return WN_ANN_HTTP_FAIL_RUN;
    return WN_ANN_HTTP_FAIL_DOC;
}

double wn_ann_retry_delay(int attempt, double retry_after, double base, double max,
                          uint64_t jitter_key)
{
    if (retry_after >= 0)
        return retry_after < 3600 ? retry_after : 3600;
    double d = base * pow(2.0, attempt > 1 ? attempt - 1 : 0);
    if (d > max)
        d = max;
    /* splitmix64 step: a well-mixed value from the key and the attempt */
    uint64_t z = jitter_key + 0x9E3779B97F4A7C15ull * (uint64_t)attempt;
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    z ^= z >> 31;
    return d * (0.5 + 0.5 * (double)(z >> 11) / 9007199254740992.0);
}

void wn_ann_scrub(const char *text, size_t len, const char *secret, wn_buf *out)
{
    size_t sl = secret ? strlen(secret) : 0;
    const char *p = text, *end = text + len, *hit;
    while (sl && (hit = memmem(p, (size_t)(end - p), secret, sl))) {
        wn_buf_append(out, p, (size_t)(hit - p));
        wn_buf_appends(out, "***");
        p = hit + sl;
    }
    wn_buf_append(out, p, (size_t)(end - p));
}
