/* annotate.c: the annotate run: manifest, sample, ask, then the training file; see annotate.h. */
#include "classify/annotate.h"
#include "classify/annotate_client.h"
#include "classify/annotate_sample.h"
#include "classify/annotate_store.h"
#include "core/io.h"
#include "core/log.h"
#include "core/progress.h"
#include "core/source.h"
#include "core/stats.h"

#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <xxhash.h>

#define SAMPLE_FILE "sample.jsonl.zst"
#define MANIFEST_FILE "annotate.json"
#define TRAIN_FILE "train.txt"
#define STATS_FILE "annotate.stats.json"
#define DONE_FILE "annotate.done"

static char *path_in(const char *dir, const char *name)
{
    wn_buf b = WN_BUF_INIT;
    wn_buf_appendf(&b, "%s/%s", dir, name);
    return wn_buf_detach(&b, NULL);
}

static bool exists(const char *path)
{
    return access(path, F_OK) == 0;
}

void wn_ann_label(const wn_ann_opts *o, double score, int choice, char *out, size_t outlen)
{
    const wn_ann_config *c = o->config;
    if (c->kind == WN_ANN_CHOICE)
        snprintf(out, outlen, "%s", c->choices[choice]);
    else if (o->use_threshold)
        snprintf(out, outlen, "%s", score >= o->threshold ? "high" : "low");
    else {
        long v = lround(score);
        v = v < c->min ? c->min : v > c->max ? c->max : v;
        snprintf(out, outlen, "%ld", v);
    }
}

/* Everything that decides which documents are asked what, and how answers become labels.
 * The URL and key are left out: the same run may move to another server. */
static json_t *manifest_of(const wn_ann_opts *o)
{
    const wn_ann_config *c = o->config;
    wn_buf fp = WN_BUF_INIT;
    char *req = c->request ? json_dumps(c->request, JSON_COMPACT | JSON_SORT_KEYS) : NULL;
    wn_buf_appendf(&fp, "%s\x1f%s\x1f%s\x1f%d\x1f%d\x1f%d\x1f%zu\x1f%d\x1f%.17g\x1f%d\x1f%s",
                   c->prompt, c->system ? c->system : "", c->answer_regex, (int)c->kind, c->min,
                   c->max, c->max_chars, c->max_tokens, c->temperature, c->top_logprobs,
                   req ? req : "");
    for (size_t i = 0; i < c->n_choices; i++)
        wn_buf_appendf(&fp, "\x1f%s%s", c->choices[i], (int)i == c->positive ? "+" : "");
    free(req);
    char hex[17];
    snprintf(hex, sizeof hex, "%016llx", (unsigned long long)XXH3_64bits(fp.data, fp.len));
    wn_buf_release(&fp);
    json_t *inputs = json_array();
    for (size_t i = 0; i < o->n_inputs; i++)
        json_array_append_new(inputs, json_string(o->inputs[i]));
    json_t *m = json_pack("{s:s, s:s, s:s, s:I, s:I, s:o}", "config", c->name, "config_hash", hex,
                          "model", o->model, "seed", (json_int_t)o->seed, "sample",
                          (json_int_t)o->sample, "inputs", inputs);
    if (c->kind == WN_ANN_SCALE)
        json_object_set_new(m, "labels", o->use_threshold ? json_real(o->threshold)
                                                          : json_string("round"));
    return m;
}

static int write_json(const char *path, json_t *j)
{
    char err[512], *text = json_dumps(j, JSON_INDENT(2));
    wn_out *out = wn_out_open(path, WN_COMP_NONE, 0, err, sizeof err);
    int rc = -1;
    if (out && wn_out_write(out, text, strlen(text)) == 0 && wn_out_write(out, "\n", 1) == 0 &&
        wn_out_commit(out, err, sizeof err) == 0)
        rc = 0;
    else if (out)
        wn_out_abort(out);
    if (rc < 0)
        wn_error("cannot write '%s': %s", path, err);
    free(text);
    return rc;
}

/* Reuses the frozen sample when the manifest matches; refuses when it does not. Returns the
 * sample size, or -1 (error), or -2 (settings differ). */
static long long prepare_sample(const wn_ann_opts *o, const char *dir, wn_stats *read_stats)
{
    char *mpath = path_in(dir, MANIFEST_FILE), *spath = path_in(dir, SAMPLE_FILE);
    json_t *want = manifest_of(o);
    long long size = -1;
    if (exists(mpath)) {
        json_error_t je;
        json_t *have = json_load_file(mpath, 0, &je);
        json_t *sampled = json_object_get(have, "sampled");
        long long had = json_is_integer(sampled) ? json_integer_value(sampled) : -1;
        json_object_del(have, "sampled");
        if (!have || !json_equal(have, want)) {
            wn_error("cannot resume in '%s': made with other settings (config, model, seed, "
                     "sample, inputs or labels); use --force to start over or another -o", dir);
            size = -2;
        } else if (had >= 0 && exists(spath)) {
            size = had; /* the same settings: the frozen sample stands */
            if (!o->quiet)
                wn_info("annotate: resuming in '%s' (%lld sampled documents)", dir, size);
        }
        json_decref(have);
    }
    if (size == -1) {
        size = wn_ann_sample_write(o->inputs, o->n_inputs, &o->jopts, o->seed, o->sample, spath,
                                   read_stats);
        if (size >= 0) {
            json_object_set_new(want, "sampled", json_integer(size));
            if (write_json(mpath, want) < 0)
                size = -1;
        }
    }
    json_decref(want);
    free(mpath);
    free(spath);
    return size;
}

/* fastText's input: one example per line, words split on whitespace. */
static void append_example(wn_buf *b, const char *label, const char *text, size_t len)
{
    wn_buf_appends(b, "__label__");
    for (const char *p = label; *p; p++)
        wn_buf_appendc(b, isspace((unsigned char)*p) ? '_' : *p);
    bool space = true; /* after the label */
    for (size_t i = 0; i < len; i++) {
        unsigned char ch = (unsigned char)text[i];
        if (isspace(ch) || ch == '\0') {
            space = true;
            continue;
        }
        if (space)
            wn_buf_appendc(b, ' ');
        space = false;
        wn_buf_appendc(b, (char)ch);
    }
    wn_buf_appendc(b, '\n');
}

/* train.txt in sample order, and label counts into stats. */
static int write_train(const char *dir, size_t size, wn_stats *stats)
{
    char **labels;
    if (wn_ann_store_read_labels(dir, size, &labels) < 0)
        return -1;
    char *spath = path_in(dir, SAMPLE_FILE), *tpath = path_in(dir, TRAIN_FILE), err[512];
    wn_stats rs;
    wn_stats_init(&rs, "annotate.read");
    wn_source *src = wn_jsonl_source_open(spath, NULL, &rs);
    wn_out *out = src ? wn_out_open(tpath, WN_COMP_AUTO, 0, err, sizeof err) : NULL;
    int rc = -1;
    if (!out) {
        wn_error("cannot write '%s'", tpath);
    } else {
        wn_batch batch;
        wn_batch_init(&batch);
        wn_buf line = WN_BUF_INIT;
        uint64_t n = 0;
        rc = 0;
        while (rc == 0 && wn_source_next(src, &batch, 256, (size_t)16 << 20, &rs) > 0) {
            for (size_t i = 0; i < batch.n && rc == 0; i++, n++) {
                if (n >= size || !labels[n])
                    continue;
                wn_buf_reset(&line);
                append_example(&line, labels[n], batch.docs[i].text.ptr, batch.docs[i].text.len);
                rc = wn_out_write(out, line.data, line.len);
                wn_buf_reset(&line);
                wn_buf_appendf(&line, "label.%s", labels[n]);
                wn_stats_count(stats, line.data, 1, batch.docs[i].text.len, 0);
            }
            wn_batch_clear(&batch);
        }
        wn_buf_release(&line);
        wn_batch_release(&batch);
        if (rc == 0 && wn_out_commit(out, err, sizeof err) == 0)
            rc = 0;
        else {
            rc = -1;
            wn_error("cannot write '%s'", tpath);
            wn_out_abort(out);
        }
    }
    if (src)
        wn_source_close(src);
    wn_stats_release(&rs);
    for (size_t i = 0; i < size; i++)
        free(labels[i]);
    free(labels);
    free(spath);
    free(tpath);
    return rc;
}

static void fill_stats(wn_stats *s, const wn_ann_store *st, const wn_ann_counts *k)
{
    s->docs_in = st->size;
    s->docs_out = st->labelled;
    for (uint64_t i = 0; i < st->unparseable; i++)
        wn_stats_drop(s, "annotate.unparseable", 0, 0);
    const struct { const char *name; uint64_t v; } sums[] = {
        {"resumed", st->resumed}, {"asked", k->asked}, {"requests", k->requests},
        {"retries", k->retries}, {"http_429", k->http_429}, {"http_5xx", k->http_5xx},
        {"timeouts", k->timeouts}, {"transport_errors", k->transport},
        {"bad_replies", k->bad_reply}, {"failed", k->failed},
        {"scores_from_logprobs", k->from_logprobs},
    };
    for (size_t i = 0; i < sizeof sums / sizeof *sums; i++)
        wn_stats_add(s, sums[i].name, (double)sums[i].v);
}

static void remove_outputs(const char *dir)
{
    const char *names[] = {SAMPLE_FILE, MANIFEST_FILE, TRAIN_FILE, STATS_FILE, DONE_FILE,
                           WN_ANN_LABELS, WN_ANN_UNPARSEABLE};
    for (size_t i = 0; i < sizeof names / sizeof *names; i++) {
        char *p = path_in(dir, names[i]);
        unlink(p);
        free(p);
    }
}

static int finish(const wn_ann_opts *o, const wn_ann_store *st, const wn_ann_counts *k,
                  double t0, int asked_rc)
{
    wn_stats s;
    wn_stats_init(&s, "annotate");
    fill_stats(&s, st, k);
    int rc = asked_rc == 0 ? 0 : 1;
    if (asked_rc == 0 && write_train(o->outdir, st->size, &s) < 0)
        rc = 1;
    s.seconds = wn_now() - t0;
    char *stats_path = path_in(o->outdir, STATS_FILE);
    if (wn_stats_write(&s, stats_path) != 0)
        rc = 1;
    if (!o->quiet)
        wn_info("annotate: %llu labelled, %llu unparseable of %zu sampled (%llu asked this run: "
                "%llu requests, %llu retries, %llu failed) in %.1fs",
                (unsigned long long)st->labelled, (unsigned long long)st->unparseable, st->size,
                (unsigned long long)k->asked, (unsigned long long)k->requests,
                (unsigned long long)k->retries, (unsigned long long)k->failed, s.seconds);
    if (rc == 0) {
        char *done = path_in(o->outdir, DONE_FILE);
        json_t *j = wn_stats_to_json(&s);
        if (write_json(done, j) < 0)
            rc = 1;
        json_decref(j);
        free(done);
    } else if (k->interrupted) {
        wn_error("interrupted; run the same command again to resume");
    } else if (asked_rc == 1) {
        wn_error("%llu documents could not be labelled; run the same command again to retry them",
                 (unsigned long long)(st->size - st->labelled - st->unparseable));
    }
    free(stats_path);
    wn_stats_release(&s);
    return rc;
}

int wn_ann_run(const wn_ann_opts *o)
{
    double t0 = wn_now();
    if (wn_mkdirs(o->outdir) != 0) {
        wn_error("cannot create '%s': %s", o->outdir, strerror(errno));
        return 1;
    }
    char *done = path_in(o->outdir, DONE_FILE);
    bool complete = exists(done);
    free(done);
    if (o->force)
        remove_outputs(o->outdir);
    else if (complete) {
        if (!o->quiet)
            wn_info("annotate: '%s' is complete (use --force to redo)", o->outdir);
        return 0;
    }
    wn_stats read_stats;
    wn_stats_init(&read_stats, "annotate.read");
    long long size = prepare_sample(o, o->outdir, &read_stats);
    wn_stats_release(&read_stats);
    if (size < 0)
        return size == -2 ? 2 : 1;
    wn_ann_store st;
    if (wn_ann_store_open(&st, o->outdir, (size_t)size) < 0)
        return 1;
    if (st.torn)
        wn_warn("cut %llu torn record(s) left by an interrupted run", (unsigned long long)st.torn);
    wn_ann_counts k;
    char *spath = path_in(o->outdir, SAMPLE_FILE);
    int asked = wn_ann_ask_all(o, spath, &st, &k);
    free(spath);
    int rc = asked < 0 ? 1 : finish(o, &st, &k, t0, asked);
    wn_ann_store_close(&st);
    return rc;
}
