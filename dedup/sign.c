/* sign.c: phase 1 - stream one shard's documents, compute their values (MinHash
 * signature, text hash or URL hash) in parallel, write them in uid order. */
#include "dedup/minhash.h"

#include "core/args.h"
#include "core/buf.h"
#include "core/io.h"
#include "core/runner.h"
#include "dedup/fingerprint.h"
#include "dedup/normalize.h"
#include "dedup/uidsource.h"

#include <omp.h>
#include <stdlib.h>
#include <string.h>

typedef struct scratch {
    void *p;
    size_t cap;
    wn_buf url;
} scratch;

typedef struct sign_state {
    const wn_dedup_config *cfg;
    wn_mh_hasher *hasher;
    wn_dedup_uids uids;
    unsigned nv;
    size_t rec_size;
    unsigned char *recs;     /* one signature record per document of the batch */
    size_t recs_cap;         /* documents */
    const wn_doc *base;
    size_t n;
    scratch *scr;            /* per thread */
    int n_threads;
    wn_dedup_file *sig, *docs;
    int failed;
} sign_state;

static void sign_batch(void *p, wn_batch *b, wn_stats *stats)
{
    sign_state *s = p;
    (void)stats;
    if (s->recs_cap < b->n) {
        s->recs_cap = b->n;
        s->recs = wn_xrealloc(s->recs, s->recs_cap * s->rec_size);
    }
    s->base = b->docs;
    s->n = b->n;
}

static void sign_doc(void *p, wn_doc *d, wn_stats *stats)
{
    sign_state *s = p;
    size_t i = (size_t)(d - s->base);
    unsigned char *rec = s->recs + i * s->rec_size;
    wn_dedup_sig_rec sr = {wn_dedup_uid_of(&s->uids, d), 0, 0};
    uint32_t *values = (uint32_t *)(void *)(rec + sizeof sr);
    scratch *sc = &s->scr[omp_get_thread_num()];
    switch (s->cfg->method) {
    case WN_DEDUP_MINHASH:
        sr.n_shingles = wn_mh_signature(s->hasher, d->text.ptr, d->text.len, values, &sc->p,
                                        &sc->cap);
        if (sr.n_shingles == 0)
            wn_stats_count(stats, d->text.len ? "dedup.short" : "dedup.empty", 1, d->text.len, 0);
        break;
    case WN_DEDUP_EXACT:
        sr.n_shingles = wn_dedup_text_values(d->text.ptr, d->text.len, values);
        if (!sr.n_shingles) wn_stats_count(stats, "dedup.empty", 1, d->text.len, 0);
        break;
    case WN_DEDUP_URL:
        sr.n_shingles = d->url.len && wn_dedup_url_normalize(d->url.ptr, d->url.len, &sc->url);
        if (sr.n_shingles) wn_dedup_hash128_values(sc->url.data, sc->url.len, values);
        else {
            memset(values, 0xff, 16);
            wn_stats_count(stats, "dedup.no_url", 1, d->text.len, 0);
        }
        break;
    }
    memcpy(rec, &sr, sizeof sr);
}

/* Runs after sign_doc on the same batch: write in batch (= uid) order. */
static void write_batch(void *p, wn_batch *b, wn_stats *stats)
{
    sign_state *s = p;
    (void)stats;
    for (size_t i = 0; i < b->n && !s->failed; i++) {
        const wn_doc *d = &b->docs[i];
        if (d->drop_reason) continue;
        size_t dl;
        const char *date = wn_dedup_doc_date(d, &dl);
        const unsigned char *rec = s->recs + i * s->rec_size;
        uint64_t uid;
        memcpy(&uid, rec, sizeof uid);
        if (wn_dedup_file_write(s->sig, rec, s->rec_size, 1) ||
            wn_dedup_doc_write(s->docs, uid, d->text.len, d->id.ptr, d->id.len, date, dl))
            s->failed = 1;
    }
}

int wn_dedup_sign_shard(const wn_dedup_sign_opts *o, wn_stats *stats, char *err, size_t errlen)
{
    char config[WN_DEDUP_CONFIG_MAX + 1];
    if (wn_dedup_config_text(o->config, config, sizeof config, err, errlen)) return -1;
    if (wn_mkdirs(o->outdir)) {
        snprintf(err, errlen, "cannot create directory '%s'", o->outdir);
        return -1;
    }
    sign_state s = {0};
    s.cfg = o->config;
    s.nv = wn_dedup_config_values(o->config);
    s.rec_size = sizeof(wn_dedup_sig_rec) + 4u * s.nv;
    if (o->config->method == WN_DEDUP_MINHASH) s.hasher = wn_mh_hasher_new(o->config);
    wn_dedup_uids_init(&s.uids, o->all_inputs, o->n_all_inputs, o->jsonl, o->uid_flags);
    s.n_threads = omp_get_max_threads();
    s.scr = wn_xcalloc((size_t)s.n_threads, sizeof *s.scr);

    wn_buf sig_path = WN_BUF_INIT, doc_path = WN_BUF_INIT, files_path = WN_BUF_INIT;
    wn_buf_appendf(&sig_path, "%s/sig-%05u.wsig", o->outdir, o->shard_index);
    wn_buf_appendf(&doc_path, "%s/docs-%05u.wdoc", o->outdir, o->shard_index);
    wn_buf_appendf(&files_path, "%s/files-%05u.wfl", o->outdir, o->shard_index);
    s.sig = wn_dedup_file_create(sig_path.data, WN_DEDUP_KIND_SIGNATURES, config,
                                 (uint32_t)s.rec_size, o->shard_index, o->shard_count, err, errlen);
    s.docs = s.sig ? wn_dedup_file_create(doc_path.data, WN_DEDUP_KIND_DOCS, config, 0,
                                          o->shard_index, o->shard_count, err, errlen) : NULL;
    int rc = s.sig && s.docs ? 0 : -1;

    wn_common_opts common;
    wn_common_init(&common);
    common.shard.index = o->shard_index;
    common.shard.count = o->shard_count;
    common.quiet = true;
    if (o->batch_docs) common.batch_docs = o->batch_docs;
    common.inputs = wn_xcalloc(o->n_all_inputs + 1, sizeof *common.inputs);
    for (size_t k = o->shard_index; k < o->n_all_inputs; k += o->shard_count)
        common.inputs[common.n_inputs++] = wn_xstrdup(o->all_inputs[k]);

    wn_stage sign = {.name = "dedup.sign", .state = &s, .process_doc = sign_doc,
                     .process_batch = sign_batch};
    wn_stage write = {.name = "dedup.sign.write", .state = &s, .process_batch = write_batch};
    wn_stage *stages[] = {&sign, &write};
    wn_run_opts ro = {.command = "dedup-sign", .common = &common, .open = wn_dedup_uid_source_open,
                      .open_ctx = &s.uids, .stages = stages, .n_stages = 2, .no_output = true};
    wn_run_result res;
    if (rc == 0) {
        int r = wn_run(&ro, &res);
        if (r) {
            snprintf(err, errlen, "reading the inputs of shard %u/%u failed", o->shard_index,
                     o->shard_count);
            rc = -1;
        } else if (s.failed) {
            snprintf(err, errlen, "cannot write '%s'", sig_path.data);
            rc = -1;
        }
        /* the stage's own counts (bad records are counted again, with file and
         * offset, by the removal phase's reader) */
        if (stats) wn_stats_merge(stats, &res.stages[0]);
        wn_run_result_release(&res);
    }
    if (rc == 0) rc = wn_dedup_file_commit(s.sig, err, errlen);
    else wn_dedup_file_abort(s.sig);
    s.sig = NULL;
    if (rc == 0) rc = wn_dedup_file_commit(s.docs, err, errlen);
    else wn_dedup_file_abort(s.docs);
    if (rc == 0) {
        wn_dedup_file *ff = wn_dedup_file_create(files_path.data, WN_DEDUP_KIND_FILES, config,
                                                 sizeof(wn_dedup_files_rec), o->shard_index,
                                                 o->shard_count, err, errlen);
        if (!ff) rc = -1;
        for (size_t k = o->shard_index; rc == 0 && k < o->n_all_inputs; k += o->shard_count) {
            wn_dedup_files_rec fr = {k, s.uids.file_docs[k]};
            wn_dedup_file_write(ff, &fr, sizeof fr, 1);
        }
        if (ff) rc = rc == 0 ? wn_dedup_file_commit(ff, err, errlen) : (wn_dedup_file_abort(ff), -1);
    }
    if (rc == 0)
        rc = wn_dedup_fprint_write(o->outdir, o->all_inputs, o->n_all_inputs, o->shard_index,
                                   o->shard_count, config, err, errlen);
    wn_common_release(&common);
    for (int t = 0; t < s.n_threads; t++) {
        free(s.scr[t].p);
        wn_buf_release(&s.scr[t].url);
    }
    free(s.scr);
    free(s.recs);
    wn_dedup_uids_release(&s.uids);
    wn_mh_hasher_free(s.hasher);
    wn_buf_release(&sig_path); wn_buf_release(&doc_path); wn_buf_release(&files_path);
    return rc;
}
