/* annotate_client.c: the request loop over libcurl's multi interface; see annotate_client.h. */
#include "classify/annotate_client.h"
#include "classify/annotate_http.h"
#include "classify/annotate_parse.h"
#include "classify/annotate_sample.h"
#include "core/log.h"
#include "core/progress.h"
#include "core/source.h"

#include <curl/curl.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>

#define MAX_REPLY_BYTES ((size_t)16 << 20) /* a runaway reply is cut (and retried) */

typedef struct slot {
    bool busy, in_flight;
    uint64_t n;          /* position in the sample */
    uint64_t key;        /* jitter key */
    char *id;
    char *body;
    int tries;
    double not_before;
    CURL *easy;
    wn_buf reply;
    char errbuf[CURL_ERROR_SIZE];
} slot;

/* Reads the frozen sample document by document, skipping those already recorded. */
typedef struct reader {
    wn_source *src;
    wn_batch batch;
    size_t i;
    uint64_t n;          /* position of the next document */
    wn_stats stats;
} reader;

typedef struct client {
    const wn_ann_opts *o;
    wn_ann_store *store;
    wn_ann_counts *counts;
    CURLM *multi;
    struct curl_slist *headers;
    char *endpoint;
    slot *slots;
    reader rd;
    bool exhausted, stop;
    int rc;              /* -1 once the run must stop */
    uint64_t first_failure_reported;
    int unreachable_streak; /* documents in a row given up without any HTTP reply */
} client;

static volatile sig_atomic_t interrupted;

static void on_signal(int sig)
{
    (void)sig;
    interrupted = 1;
}

static size_t on_body(char *p, size_t size, size_t nmemb, void *ud)
{
    wn_buf *b = ud;
    size_t n = size * nmemb;
    if (b->len + n > MAX_REPLY_BYTES)
        return 0;
    wn_buf_append(b, p, n);
    return n;
}

/* Next document without a record, or NULL at the end of the sample. */
static wn_doc *reader_next(reader *r, const wn_ann_store *st, uint64_t *n)
{
    for (;;) {
        while (r->i < r->batch.n) {
            wn_doc *d = &r->batch.docs[r->i++];
            uint64_t pos = r->n++;
            if (!wn_ann_store_is_done(st, pos)) {
                *n = pos;
                return d;
            }
        }
        wn_batch_clear(&r->batch);
        r->i = 0;
        if (!r->src || wn_source_next(r->src, &r->batch, 64, (size_t)16 << 20, &r->stats) == 0)
            return NULL;
    }
}

static void slot_load(client *c, slot *s, uint64_t n, const wn_doc *d)
{
    wn_buf prompt = WN_BUF_INIT;
    wn_ann_render_prompt(c->o->config, d->text.ptr, d->text.len, &prompt);
    s->body = wn_ann_request_body(c->o->config, c->o->model, c->o->seed, prompt.data, prompt.len);
    wn_buf_release(&prompt);
    s->id = wn_xstrndup(d->id.ptr ? d->id.ptr : "", d->id.len);
    s->n = n;
    s->key = wn_ann_sample_key(d->id.ptr, d->id.len, d->text.ptr, d->text.len, c->o->seed);
    s->tries = 0;
    s->not_before = 0;
    s->busy = true;
    c->counts->asked++;
}

static void slot_free_doc(slot *s)
{
    free(s->id);
    free(s->body);
    s->id = s->body = NULL;
    s->busy = s->in_flight = false;
}

static void slot_start(client *c, slot *s)
{
    CURL *e = s->easy;
    curl_easy_reset(e);
    wn_buf_reset(&s->reply);
    s->errbuf[0] = '\0';
    curl_easy_setopt(e, CURLOPT_URL, c->endpoint);
    curl_easy_setopt(e, CURLOPT_HTTPHEADER, c->headers);
    curl_easy_setopt(e, CURLOPT_POSTFIELDS, s->body);
    curl_easy_setopt(e, CURLOPT_POSTFIELDSIZE, (long)strlen(s->body));
    curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, on_body);
    curl_easy_setopt(e, CURLOPT_WRITEDATA, &s->reply);
    curl_easy_setopt(e, CURLOPT_TIMEOUT_MS, (long)(c->o->timeout * 1000));
    curl_easy_setopt(e, CURLOPT_CONNECTTIMEOUT_MS, (long)(c->o->connect_timeout * 1000));
    curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(e, CURLOPT_ERRORBUFFER, s->errbuf);
    curl_easy_setopt(e, CURLOPT_USERAGENT, "winnow-annotate");
    curl_easy_setopt(e, CURLOPT_PRIVATE, s);
    curl_multi_add_handle(c->multi, e);
    s->in_flight = true;
    s->tries++;
    c->counts->requests++;
}

/* A JSON string of arbitrary bytes: invalid UTF-8 becomes U+FFFD (core's writer rule). */
static json_t *json_text(const char *p, size_t n)
{
    json_t *v = json_stringn(p, n);
    if (v)
        return v;
    wn_buf b = WN_BUF_INIT;
    wn_json_append_string(&b, p, n);
    v = json_loadb(b.data, b.len, JSON_DECODE_ANY | JSON_ALLOW_NUL, NULL);
    wn_buf_release(&b);
    return v ? v : json_string("");
}

/* Appends the record for an answered document. */
static void record_answer(client *c, slot *s, const wn_ann_reply *r)
{
    const wn_ann_config *cfg = c->o->config;
    wn_ann_score sc;
    wn_ann_parse_status st = wn_ann_parse_answer(cfg, r->content, r->len, &sc);
    json_t *rec = json_pack("{s:I, s:o}", "n", (json_int_t)s->n, "id", json_text(s->id, strlen(s->id)));
    bool unparseable = st != WN_ANN_PARSED;
    if (unparseable) {
        /* "truncated": no score, and the answer hit max_tokens (raise it in the config) */
        bool cut = r->finish && !strcmp(r->finish, "length");
        const char *why = st == WN_ANN_OUT_OF_RANGE ? "out_of_range" : cut ? "truncated" : "no_match";
        json_object_set_new(rec, "reason", json_string(why));
    } else {
        wn_ann_apply_logprobs(cfg, r->content, r->len, r->logprobs, &sc);
        char label[64];
        wn_ann_label(c->o, sc.score, sc.choice, label, sizeof label);
        json_object_set_new(rec, "score", json_real(sc.score));
        json_object_set_new(rec, "label", json_string(label));
        json_object_set_new(rec, "method", json_string(sc.from_logprobs ? "logprobs" : "answer"));
        if (sc.from_logprobs)
            json_object_set_new(rec, "mass", json_real(sc.mass));
        c->counts->from_logprobs += sc.from_logprobs;
    }
    json_object_set_new(rec, "answer", json_text(r->content, r->len));
    if (r->finish)
        json_object_set_new(rec, "finish", json_string(r->finish));
    char *line = json_dumps(rec, JSON_COMPACT | JSON_ENSURE_ASCII);
    json_decref(rec);
    if (!line || wn_ann_store_append(c->store, unparseable, s->n, line, strlen(line)) < 0)
        c->rc = -1, c->stop = true;
    else if (unparseable)
        c->counts->unparseable++;
    else
        c->counts->labelled++;
    free(line);
}

static void report_server_error(client *c, slot *s, long status, bool whole_run)
{
    wn_buf msg = WN_BUF_INIT;
    char *location = NULL;
    /* A redirect names where the server is (redirects are not followed); a 401/403 body may
     * echo part of the key back, so it is never shown. */
    if (status >= 300 && status < 400 &&
        curl_easy_getinfo(s->easy, CURLINFO_REDIRECT_URL, &location) == CURLE_OK && location) {
        wn_buf_appends(&msg, "redirected to '");
        wn_ann_scrub(location, strlen(location), c->o->api_key, &msg);
        wn_buf_appends(&msg, "'; give that as --url");
    } else if (status != 401 && status != 403 && s->reply.len)
        wn_ann_scrub(s->reply.data, s->reply.len < 300 ? s->reply.len : 300, c->o->api_key, &msg);
    if (whole_run)
        wn_error("server '%s' answered %ld%s%s; stopping", c->endpoint, status,
                 msg.len ? ": " : "", msg.len ? msg.data : "");
    else if (c->first_failure_reported++ == 0)
        wn_warn("document '%s' failed: server answered %ld%s%s (further failures only counted)",
                s->id, status, msg.len ? ": " : "", msg.len ? msg.data : "");
    wn_buf_release(&msg);
}

static void give_up(client *c, slot *s, const char *why)
{
    c->counts->failed++;
    if (why && c->first_failure_reported++ == 0)
        wn_warn("document '%s' failed after %d tries: %s (further failures only counted)",
                s->id, s->tries, why);
    slot_free_doc(s);
}

/* A server that is down makes every document burn all its retries; after a few documents
 * in a row fail that way (more than can be in flight at once) the run stops instead. */
static void note_unreachable(client *c, const char *why)
{
    if (++c->unreachable_streak < c->o->parallel + 2)
        return;
    wn_error("cannot reach '%s': %d documents in a row failed (%s); stopping", c->endpoint,
             c->unreachable_streak, why);
    c->rc = -1, c->stop = true;
}

static void on_done(client *c, CURL *e, CURLcode code)
{
    slot *s;
    curl_easy_getinfo(e, CURLINFO_PRIVATE, (char **)&s);
    curl_multi_remove_handle(c->multi, e);
    s->in_flight = false;
    long status = 0;
    curl_easy_getinfo(e, CURLINFO_RESPONSE_CODE, &status);
    wn_ann_http_verdict v = wn_ann_http_classify(code, status);
    char why[CURL_ERROR_SIZE + 64];
    if (code != CURLE_OK) {
        snprintf(why, sizeof why, "%s", s->errbuf[0] ? s->errbuf : curl_easy_strerror(code));
        if (code == CURLE_OPERATION_TIMEDOUT)
            c->counts->timeouts++;
        else
            c->counts->transport++;
        if (v == WN_ANN_HTTP_FAIL_RUN) {
            wn_error("cannot reach '%s': %s", c->endpoint, why);
            c->rc = -1, c->stop = true;
            slot_free_doc(s);
            return;
        }
    } else {
        c->unreachable_streak = 0;
        snprintf(why, sizeof why, "server answered %ld", status);
        if (status == 429)
            c->counts->http_429++;
        else if (status >= 500)
            c->counts->http_5xx++;
    }
    if (v == WN_ANN_HTTP_OK) {
        wn_ann_reply r;
        char err[256];
        if (wn_ann_parse_reply(s->reply.data ? s->reply.data : "", s->reply.len, &r, err,
                               sizeof err) == 0) {
            record_answer(c, s, &r);
            wn_ann_reply_release(&r);
            slot_free_doc(s);
            return;
        }
        c->counts->bad_reply++;
        snprintf(why, sizeof why, "%s", err);
        v = WN_ANN_HTTP_RETRY;
    }
    if (v == WN_ANN_HTTP_FAIL_RUN) {
        report_server_error(c, s, status, true);
        c->rc = -1, c->stop = true;
        slot_free_doc(s);
    } else if (v == WN_ANN_HTTP_FAIL_DOC) {
        report_server_error(c, s, status, false);
        give_up(c, s, NULL);
    } else if (s->tries > c->o->retries) {
        give_up(c, s, why);
        if (code != CURLE_OK)
            note_unreachable(c, why);
    } else {
        curl_off_t after = -1;
        if (code == CURLE_OK)
            curl_easy_getinfo(e, CURLINFO_RETRY_AFTER, &after);
        double d = wn_ann_retry_delay(s->tries, after > 0 ? (double)after : -1, c->o->backoff,
                                      c->o->backoff_max, s->key);
        wn_debug("document '%s': %s; retry %d in %.2fs", s->id, why, s->tries, d);
        s->not_before = wn_now() + d;
        c->counts->retries++;
    }
}

/* Fill free slots, start transfers that are due; returns seconds until the next is due. */
static double schedule(client *c)
{
    double now = wn_now(), wait = 0.5;
    for (int i = 0; i < c->o->parallel && !c->stop; i++) {
        slot *s = &c->slots[i];
        if (!s->busy && !c->exhausted) {
            uint64_t n;
            wn_doc *d = reader_next(&c->rd, c->store, &n);
            if (d)
                slot_load(c, s, n, d);
            else
                c->exhausted = true;
        }
        if (s->busy && !s->in_flight) {
            if (s->not_before <= now)
                slot_start(c, s);
            else if (s->not_before - now < wait)
                wait = s->not_before - now;
        }
    }
    return wait;
}

static bool any_busy(const client *c)
{
    for (int i = 0; i < c->o->parallel; i++)
        if (c->slots[i].busy)
            return true;
    return false;
}

static int client_init(client *c, const wn_ann_opts *o, const char *sample_path,
                       wn_ann_store *store, wn_ann_counts *counts)
{
    memset(c, 0, sizeof *c);
    c->o = o;
    c->store = store;
    c->counts = counts;
    wn_stats_init(&c->rd.stats, "annotate.read");
    wn_batch_init(&c->rd.batch);
    c->rd.src = wn_jsonl_source_open(sample_path, NULL, &c->rd.stats);
    if (!c->rd.src) {
        wn_error("cannot read the sample '%s'", sample_path);
        return -1;
    }
    c->endpoint = wn_ann_endpoint(o->url);
    c->multi = curl_multi_init();
    c->headers = curl_slist_append(NULL, "Content-Type: application/json");
    if (o->api_key && *o->api_key) {
        wn_buf h = WN_BUF_INIT;
        wn_buf_appendf(&h, "Authorization: Bearer %s", o->api_key);
        c->headers = curl_slist_append(c->headers, h.data);
        /* the header lives on in the slist; wipe our copy */
        memset(h.data, 0, h.len);
        wn_buf_release(&h);
    }
    c->slots = wn_xcalloc((size_t)o->parallel, sizeof *c->slots);
    for (int i = 0; i < o->parallel; i++)
        c->slots[i].easy = curl_easy_init();
    curl_multi_setopt(c->multi, CURLMOPT_MAX_TOTAL_CONNECTIONS, (long)o->parallel);
    return 0;
}

static void client_release(client *c)
{
    for (int i = 0; c->slots && i < c->o->parallel; i++) {
        slot *s = &c->slots[i];
        if (s->in_flight)
            curl_multi_remove_handle(c->multi, s->easy);
        curl_easy_cleanup(s->easy);
        slot_free_doc(s);
        wn_buf_release(&s->reply);
    }
    free(c->slots);
    if (c->multi)
        curl_multi_cleanup(c->multi);
    curl_slist_free_all(c->headers);
    free(c->endpoint);
    if (c->rd.src)
        wn_source_close(c->rd.src);
    wn_batch_release(&c->rd.batch);
    wn_stats_release(&c->rd.stats);
}

int wn_ann_ask_all(const wn_ann_opts *o, const char *sample_path, wn_ann_store *store,
                   wn_ann_counts *counts)
{
    client c;
    memset(counts, 0, sizeof *counts);
    if (client_init(&c, o, sample_path, store, counts) < 0) {
        client_release(&c);
        return -1;
    }
    struct sigaction sa, old_int, old_term;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_signal;
    interrupted = 0;
    sigaction(SIGINT, &sa, &old_int);
    sigaction(SIGTERM, &sa, &old_term);
    wn_progress_begin("annotate", 0, o->quiet);
    while (!c.stop) {
        if (interrupted) {
            counts->interrupted = true;
            break;
        }
        double wait = schedule(&c);
        if (c.stop || (c.exhausted && !any_busy(&c)))
            break;
        int running = 0;
        curl_multi_perform(c.multi, &running);
        CURLMsg *m;
        int left, finished = 0;
        while ((m = curl_multi_info_read(c.multi, &left)))
            if (m->msg == CURLMSG_DONE) {
                on_done(&c, m->easy_handle, m->data.result);
                finished++;
            }
        wn_progress_update(store->labelled + store->unparseable, 0);
        if (!finished)
            curl_multi_poll(c.multi, NULL, 0, (int)(wait * 1000) + 1, NULL);
    }
    wn_progress_end();
    sigaction(SIGINT, &old_int, NULL);
    sigaction(SIGTERM, &old_term, NULL);
    int rc = c.rc;
    client_release(&c);
    if (rc < 0)
        return -1;
    return store->labelled + store->unparseable == store->size ? 0 : 1;
}
