/* runner.c: the streaming document pipeline; see runner.h.
 *
 * One batch at a time: read (one thread); decode, run the stages, serialise the survivors
 * (OpenMP, one buffer per document), in one parallel pass document by document when no
 * stage needs the whole batch (run_fused), else step by step; write in input order (one
 * thread). In a fused pass, the reading of the next batch and the writing of the last one
 * are jobs of two of the pass's own threads (side_jobs); step by step, with -j2 and more,
 * they run on helper threads alongside the parallel steps (see "helper threads").
 * Per-thread stats are merged at the end, so no counter is shared between threads.
 */
#include "core/runner.h"

#include "core/buf.h"
#include "core/handout.h"
#include "core/io.h"
#include "core/jsonl.h"
#include "core/log.h"
#include "core/progress.h"

#include <dirent.h>
#include <errno.h>
#include <stdint.h>
#include <omp.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* Text bytes a batch stops at. A fused pass holds two batches' records at once (one
 * processed, the next read): capped at 4 MB, a batch of big documents no longer brings
 * tens of megabytes of fresh memory (a 24 MB run had one batch of 18.6 MB: 16,700 -> 14,700
 * page faults, RSS 80 -> 70 MB); with ordinary documents the 1024-document limit comes
 * first. A batch that a stage sees whole (process_batch: dedup's remove, the KL count;
 * tokenize too until it took begin_batch and write_batch instead) is held three times
 * (records, decoded documents, output) while the next is read; its cap was 64 MB, and
 * since the more documents, the bigger the biggest batch (12, 26, 38 MB over 18, 72, 290
 * MB of real JSONL), peak memory grew with the corpus (dedup's remove phase: 195 MB at
 * 290 MB; 61 MB at 4 MB). */
#define BATCH_MAX_BYTES ((size_t)4 << 20)

/* A writer slot's buffer bigger than this is freed once written unless it was at least half
 * full (see write_pending), so the two sets of slots hold at most 2 x batch_docs x 4 KB
 * plus twice the last two batches' output, whatever the corpus. */
#define OUT_BUF_KEEP ((size_t)4 << 10)

/* Output parts of one shard: <dir>/<prefix>-<I:05d>-<k:04d><ext>. */
typedef struct part_writer {
    const char *dir, *prefix, *ext;
    int level; /* 0: the codec's default */
    unsigned shard;
    uint64_t max_bytes;
    unsigned next_part;
    wn_out *cur;
    char ***paths;
    size_t *n_paths;
    bool failed;
} part_writer;

static const char *ext_for(const char *compression)
{
    if (strcmp(compression, "gz") == 0)
        return ".jsonl.gz";
    if (strcmp(compression, "none") == 0)
        return ".jsonl";
    return ".jsonl.zst";
}

static int part_commit(part_writer *w)
{
    if (!w->cur)
        return 0;
    char err[512];
    char *path = wn_xstrdup(wn_out_path(w->cur));
    int rc = wn_out_commit(w->cur, err, sizeof err);
    w->cur = NULL;
    if (rc) {
        wn_error("%s", err);
        free(path);
        w->failed = true;
        return -1;
    }
    *w->paths = wn_xrealloc(*w->paths, (*w->n_paths + 1) * sizeof **w->paths);
    (*w->paths)[(*w->n_paths)++] = path;
    return 0;
}

static void part_write(part_writer *w, const char *data, size_t n)
{
    if (w->failed)
        return;
    if (!w->cur) {
        wn_buf p = WN_BUF_INIT;
        wn_buf_appendf(&p, "%s/%s-%05u-%04u%s", w->dir, w->prefix, w->shard, w->next_part++, w->ext);
        char err[512];
        w->cur = wn_out_open(p.data, WN_COMP_AUTO, w->level, err, sizeof err);
        wn_buf_release(&p);
        if (!w->cur) {
            wn_error("%s", err);
            w->failed = true;
            return;
        }
        wn_out_zstd_inline(w->cur); /* runs on the writing thread, not a zstd worker */
    }
    if (wn_out_write(w->cur, data, n)) {
        wn_error("cannot write '%s'", wn_out_path(w->cur));
        w->failed = true;
        return;
    }
    if (wn_out_bytes(w->cur) >= w->max_bytes)
        part_commit(w);
}

/* An interrupted earlier run may have left committed parts of this shard; they are redone,
 * so remove them first (a shorter rerun must not leave stale extra parts behind). */
static void remove_stale_parts(const char *dir, const char *prefix, unsigned shard)
{
    DIR *d = opendir(dir);
    if (!d)
        return;
    char head[256];
    snprintf(head, sizeof head, "%s-%05u-", prefix, shard);
    size_t hl = strlen(head);
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        if (strncmp(e->d_name, head, hl) == 0 && strstr(e->d_name, ".jsonl")) {
            wn_buf p = WN_BUF_INIT;
            wn_buf_appendf(&p, "%s/%s", dir, e->d_name);
            unlink(p.data);
            wn_buf_release(&p);
        }
    }
    closedir(d);
}

static uint64_t total_input_size(const wn_common_opts *c)
{
    uint64_t t = 0;
    struct stat st;
    for (size_t i = 0; i < c->n_inputs; i++)
        if (stat(c->inputs[i], &st) == 0 && S_ISREG(st.st_mode))
            t += (uint64_t)st.st_size;
    return t;
}

static char *shard_file(const wn_run_opts *o, const char *suffix)
{
    wn_buf p = WN_BUF_INIT;
    wn_buf_appendf(&p, "%s/%s-%05u%s", o->common->output, o->command, o->common->shard.index, suffix);
    return wn_buf_detach(&p, NULL);
}

static int write_done(const char *path, const wn_run_opts *o, const wn_run_result *res)
{
    json_t *j = json_pack("{s:s,s:s,s:I,s:I}", "command", o->command, "shard", "", "docs_in",
                          (json_int_t)res->source.docs_out, "outputs", (json_int_t)res->n_outputs);
    char shard[64];
    snprintf(shard, sizeof shard, "%u/%u", o->common->shard.index, o->common->shard.count);
    json_object_set_new(j, "shard", json_string(shard));
    return wn_json_write_file(path, j, JSON_COMPACT);
}

json_t *wn_run_stats_json(const char *command, const wn_common_opts *c, const wn_run_result *res)
{
    json_t *j = json_object();
    json_object_set_new(j, "command", json_string(command));
    char shard[64];
    snprintf(shard, sizeof shard, "%u/%u", c->shard.index, c->shard.count);
    json_object_set_new(j, "shard", json_string(shard));
    json_t *inputs = json_array();
    for (size_t i = 0; i < c->n_inputs; i++)
        json_array_append_new(inputs, json_string(c->inputs[i]));
    json_object_set_new(j, "inputs", inputs);
    json_object_set_new(j, "source", wn_stats_to_json(&res->source));
    json_t *stages = json_array();
    for (size_t i = 0; i < res->n_stages; i++)
        json_array_append_new(stages, wn_stats_to_json(&res->stages[i]));
    json_object_set_new(j, "stages", stages);
    return j;
}

static int write_stats(const char *path, const wn_run_opts *o, const wn_run_result *res)
{
    json_t *j = wn_run_stats_json(o->command, o->common, res);
    if (o->method)
        json_object_set_new(j, "method", json_string(o->method));
    return wn_json_write_file(path, j, WN_STATS_JSON_FLAGS);
}

/* One stage on one document that reached it, `len` bytes of text before the stage ran: a
 * stage may drop the document in process_batch or process_doc; either way the drop is
 * counted here, with the document's size before the stage touched it. */
static void stage_doc(wn_stage *st, wn_doc *d, wn_stats *s, size_t len)
{
    if (st->process_doc && !d->drop_reason)
        st->process_doc(st->state, d, s);
    s->docs_in++;
    s->bytes_in += len;
    if (d->drop_reason)
        wn_stats_drop(s, d->drop_reason, len, wn_utf8_count(d->text.ptr, d->text.len));
    else {
        s->docs_out++;
        s->bytes_out += d->text.len;
    }
}

/* Where the group of stages starting at `first` ends: a stage with process_batch must see
 * the batch after every stage before it, so it starts a new group. */
static size_t group_end(wn_stage **stages, size_t n, size_t first)
{
    size_t k = first + 1;
    while (k < n && !stages[k]->process_batch)
        k++;
    return k;
}

/* Run stages [first, last) over the documents of the batch still alive, document by
 * document: each goes through all the group's stages on one thread before the next, so its
 * text and the analysis the filters share stay in cache (stage by stage, a batch's texts
 * and analyses, megabytes, were read again from memory by every stage). per_thread holds
 * nthreads stats per stage; `before` is scratch space for one size per document. */
static void run_group(wn_stage **stages, size_t first, size_t last, wn_batch *b,
                      wn_stats *per_thread, int nthreads, size_t *before)
{
    long n = (long)b->n;
    for (long i = 0; i < n; i++)
        before[i] = b->docs[i].drop_reason ? SIZE_MAX : b->docs[i].text.len;
    if (stages[first]->process_batch)
        stages[first]->process_batch(stages[first]->state, b, &per_thread[first * nthreads]);
#pragma omp parallel for schedule(dynamic, 1)
    for (long i = 0; i < n; i++) {
        wn_doc *d = &b->docs[i];
        int t = omp_get_thread_num();
        size_t len = before[i];
        for (size_t k = first; k < last && len != SIZE_MAX; k++) {
            stage_doc(stages[k], d, &per_thread[k * nthreads + t], len);
            len = d->drop_reason ? SIZE_MAX : d->text.len;
        }
    }
}

static void run_stages(wn_stage **stages, size_t n, wn_batch *b, wn_stats *per_thread,
                       int nthreads, size_t *before)
{
    for (size_t first = 0, last; first < n; first = last) {
        last = group_end(stages, n, first);
        run_group(stages, first, last, b, per_thread, nthreads, before);
    }
}

/* ---- the helper threads (step by step; a fused pass runs these jobs in its team) ----
 *
 * Between the parallel steps of a batch, two steps ran on one thread while the others
 * waited: reading the next batch (src->next: decompression, line splitting) and writing
 * this one's documents (zstd, files). With more than one thread they run on helper threads
 * instead, the reading of batch k+1 and the writing of batch k while batch k is processed,
 * and with -j1 in line, at the same points: the same bytes are written in the same order
 * either way, so outputs do not depend on -j. */

typedef struct helper {
    pthread_t th;
    bool running;
} helper;

/* fn(arg) on a thread of its own when `threaded` (and a thread can be had), else now. */
static void helper_start(helper *h, void *(*fn)(void *), void *arg, bool threaded)
{
    if (threaded && pthread_create(&h->th, NULL, fn, arg) == 0) {
        h->running = true;
        return;
    }
    fn(arg);
}

static void helper_join(helper *h)
{
    if (h->running)
        pthread_join(h->th, NULL);
    h->running = false;
}

/* The next batch of a source, read ahead into a batch of its own. Only src->next runs on
 * the helper (it touches the source, that batch and the source's stats, which nothing else
 * touches meanwhile); decoding stays in the parallel steps. */
typedef struct reader {
    wn_source *src;
    wn_batch batch;
    size_t max_docs, max_bytes, got;
    wn_stats *stats;
    helper h;
    const wn_stage *keyed; /* fused: the stage whose order_key orders the batch, or NULL */
    int nthreads;
    wn_handout order;      /* the batch's order, planned as it is read (keyed) */
} reader;

/* The order of a batch's documents by the keyed stage's order_key (see stage.h), from the
 * records as read, cut for nthreads. */
static void plan_order(wn_handout *h, const wn_batch *b, const wn_stage *keyed, int nthreads)
{
    wn_handout_item *it = wn_handout_reset(h, b->n);
    for (size_t i = 0; i < b->n; i++) {
        const wn_doc *d = &b->docs[i];
        /* a source that does not count a record's bytes: its text's length */
        uint64_t bytes = d->input_bytes ? d->input_bytes : d->text.len;
        it[i] = (wn_handout_item){ keyed->order_key(keyed->state, d->text.ptr, d->text.len),
                                   bytes, i };
    }
    wn_handout_plan(h, nthreads);
}

static void *read_ahead(void *arg)
{
    reader *r = arg;
    r->got = r->src->next(r->src, &r->batch, r->max_docs, r->max_bytes, r->stats);
    if (r->keyed && r->got)
        plan_order(&r->order, &r->batch, r->keyed, r->nthreads);
    return NULL;
}

/* A batch's documents serialised (in parallel), in input order, for the writer, and, step
 * by step, the documents themselves, which the writer frees once written: freeing them
 * (~ a hundred allocations each) was a sequential step too, and in the step-by-step
 * parallel steps, threads free each other's allocations (a fused pass frees each document
 * where it was decoded, see fused_doc). */
typedef struct out_batch {
    wn_buf *bufs;  /* empty: not written */
    bool *removed; /* goes to the removed output */
    size_t n, cap;
    wn_batch docs; /* empty when handed back */
    uint64_t base; /* fused: the batch's first input index, for the stages' own writes */
} out_batch;

/* Two batches' worth of buffers: one filled while the other is written. */
typedef struct writer {
    part_writer *out, *removed;
    const wn_run_opts *o;
    wn_stats *stage_stats; /* nthreads per stage */
    int nthreads;
    bool stage_writes; /* a fused run with a stage that has write_batch */
    out_batch sets[2];
    int fill;            /* the set being filled */
    out_batch *pending;  /* the set being written */
    helper h;
    size_t held[2];      /* bytes each set's buffers keep once written */
    size_t held_max;     /* the most both sets kept at once (wn_run_result.held_bytes_max) */
} writer;

/* The stages' own writes (wn_stage.write_batch) of a batch all of whose documents are done,
 * on thread t, into its stats (no other thread uses them meanwhile). */
static void stage_writes(const wn_run_opts *o, wn_stats *stage_stats, int nthreads, int t,
                         uint64_t base, size_t n, const bool *removed)
{
    for (size_t k = 0; k < o->n_stages; k++)
        if (o->stages[k]->write_batch)
            o->stages[k]->write_batch(o->stages[k]->state, base, n, removed,
                                      &stage_stats[k * (size_t)nthreads + (size_t)t]);
}

static bool any_stage_writes(const wn_run_opts *o)
{
    for (size_t k = 0; k < o->n_stages; k++)
        if (o->stages[k]->write_batch)
            return true;
    return false;
}

static void stages_begin(const wn_run_opts *o, uint64_t base, size_t n)
{
    for (size_t k = 0; k < o->n_stages; k++)
        if (o->stages[k]->begin_batch)
            o->stages[k]->begin_batch(o->stages[k]->state, base, n);
}

/* Writes the pending set. Only a fused run's sets have stage writes: it runs this on one of
 * the round's threads (side_jobs) or, at the end, outside any parallel region; the
 * step-by-step helper thread, which has no stats of its own, never makes them. */
static void *write_pending(void *arg)
{
    writer *w = arg;
    out_batch *b = w->pending;
    if (!b)
        return NULL;
    if (w->stage_writes)
        stage_writes(w->o, w->stage_stats, w->nthreads, omp_get_thread_num(), b->base, b->n,
                     b->removed);
    for (size_t i = 0; i < b->n; i++) {
        if (b->bufs[i].len)
            part_write(b->removed[i] ? w->removed : w->out, b->bufs[i].data, b->bufs[i].len);
        /* A slot keeps its buffer for the next batch's document there, unless it is more
         * than twice what it just held: kept, every slot ended up as big as the biggest
         * document it ever held, so memory grew with the corpus (ingest: 56, 121, 210 MB
         * peak RSS over 18, 72, 290 MB of JSONL). */
        if (wn_buf_oversized(b->bufs[i].cap, b->bufs[i].len, OUT_BUF_KEEP))
            wn_buf_release(&b->bufs[i]);
    }
    size_t held = 0;
    for (size_t i = 0; i < b->cap; i++)
        held += b->bufs[i].cap;
    int k = b == &w->sets[1];
    w->held[k] = held;
    if (w->held[0] + w->held[1] > w->held_max)
        w->held_max = w->held[0] + w->held[1];
    wn_batch_clear(&b->docs);
    w->pending = NULL; /* written: flushing must not write it again */
    return NULL;
}

static void out_batch_reserve(out_batch *ob, size_t n)
{
    if (ob->cap < n) {
        ob->bufs = wn_xrealloc(ob->bufs, n * sizeof *ob->bufs);
        ob->removed = wn_xrealloc(ob->removed, n * sizeof *ob->removed);
        for (size_t i = ob->cap; i < n; i++)
            ob->bufs[i] = (wn_buf)WN_BUF_INIT;
        ob->cap = n;
    }
    ob->n = n;
}

/* Document i of the batch into the set: written when kept, or removed and with_removed
 * (a record that could not be decoded is no document: never written). */
static void serialise_doc(out_batch *ob, size_t i, const wn_doc *d, bool with_removed)
{
    wn_buf_reset(&ob->bufs[i]);
    ob->removed[i] = d->drop_reason != NULL;
    if (d->drop_reason == WN_DECODE_FAILED)
        return;
    if (!d->drop_reason || with_removed)
        wn_jsonl_write(&ob->bufs[i], d, d->drop_reason != NULL);
}

/* Serialise the batch's documents that are written into the set being filled. */
static void serialise(out_batch *ob, const wn_batch *b, bool with_removed)
{
    out_batch_reserve(ob, b->n);
    long n = (long)b->n;
#pragma omp parallel for schedule(dynamic, 16)
    for (long i = 0; i < n; i++)
        serialise_doc(ob, (size_t)i, &b->docs[i], with_removed);
}

/* Hand the filled set, with the batch (*b, left empty), to the writer, once it is done with
 * the other. */
static void write_behind(writer *w, wn_batch *b, bool threaded)
{
    helper_join(&w->h);
    wn_batch empty = w->sets[w->fill].docs;
    w->sets[w->fill].docs = *b;
    *b = empty;
    w->pending = &w->sets[w->fill];
    w->fill ^= 1;
    helper_start(&w->h, write_pending, w, threaded);
}

static void writer_flush(writer *w);

static void writer_release(writer *w)
{
    writer_flush(w);
    for (int k = 0; k < 2; k++) {
        for (size_t i = 0; i < w->sets[k].cap; i++)
            wn_buf_release(&w->sets[k].bufs[i]);
        free(w->sets[k].bufs);
        free(w->sets[k].removed);
        wn_batch_release(&w->sets[k].docs);
    }
}

/* The whole batch in one parallel pass, when no stage needs to see the batch at once
 * (process_batch): each record is decoded, taken through every stage and serialised on one
 * thread, while its bytes are in cache, and the threads wait for each other once a batch
 * instead of three times. Records that fail to decode stay in the batch, marked
 * WN_DECODE_FAILED, and are neither processed nor written; documents get input indexes
 * base + their place in the batch (increasing; a failed record leaves a gap). dec holds
 * nthreads stats for decoding; ob is NULL when nothing is written. */
typedef struct pass {
    const wn_run_opts *o;
    wn_source *src;
    wn_stats *stage_stats, *dec;
    int nthreads;
} pass;

static bool can_fuse(const wn_run_opts *o)
{
    for (size_t k = 0; k < o->n_stages; k++)
        if (o->stages[k]->process_batch)
            return false;
    return true;
}

/* One document of a fused pass, on one thread: decoded, through the stages, serialised into
 * slot i of ob, then freed here. Freeing it on the thread that decoded it gives its hundred
 * or so allocations back to that thread's malloc cache and arena; freed on another thread
 * (the writer, before), they went through the owner arena's lock, and the futex waits and
 * cache-line transfers cost -j2 about a sixth more CPU than -j1. */
static void fused_doc(const pass *p, wn_doc *d, uint64_t index, out_batch *ob, size_t i)
{
    int t = omp_get_thread_num();
    if (wn_source_decode_doc(p->src, d, &p->dec[t]) == 0) {
        d->input_index = index;
        size_t len = d->text.len;
        for (size_t k = 0; k < p->o->n_stages && len != SIZE_MAX; k++) {
            stage_doc(p->o->stages[k], d, &p->stage_stats[k * p->nthreads + t], len);
            len = d->drop_reason ? SIZE_MAX : d->text.len;
        }
    }
    if (ob && p->o->no_output)
        ob->removed[i] = d->drop_reason != NULL; /* for the stages' writes only */
    else if (ob)
        serialise_doc(ob, i, d, p->o->removed_dir != NULL);
    wn_doc_release(d);
}

/* The sequential side jobs of a fused round: reading the next batch (rd, NULL when the
 * source cannot read ahead) and writing the last batch's set (w->pending, NULL when there
 * is none). They run inside the round's own team, so the team's threads are all the
 * threads there are: helper threads beside it oversubscribed the cores (-j2 ran four
 * threads on two CPUs, thousands of context switches a second, and a thread created per
 * batch). Reading is always on thread 0, so a source that recycles its lines in next()
 * frees them on the thread that allocated them (source_jsonl.c); writing is on the last
 * thread (the same one, with -j1). A thread done with its job takes documents like the
 * others. */
static void side_jobs(reader *rd, writer *w)
{
    int t = omp_get_thread_num(), last = omp_get_num_threads() - 1;
    if (t == 0 && rd)
        read_ahead(rd);
    if (t == last && w->pending)
        write_pending(w);
}

/* The order a fused round hands its documents out in, with more than one thread: the
 * largest record first, so that a round does not end with one thread on a big document
 * while the others wait at the barrier. Real corpora are skewed: the Debian Installation
 * Guide's biggest 100 of 1,634 pages hold 72% of its bytes (up to 800 KB), and in input
 * order each thread of `winnow tokenize -j2` waited 0.04-0.09 s at the rounds' ends over
 * 198 MB of it (8 copies), against none largest first (docs/tokenize.md, twenty-first
 * session). Only the order of the work changes: each document keeps its slot, input index
 * and place in the output. One thread keeps input order (its warnings and first-error
 * samples then come in input order, as before). A stage with an order_key (tokenize) has
 * its documents handed out by key instead, at any thread count (plan_order, handout.h),
 * with each thread's big documents first. */
typedef struct doc_size {
    uint64_t bytes;
    size_t i;
} doc_size;

static int larger_first(const void *a, const void *b)
{
    const doc_size *x = a, *y = b;
    if (x->bytes != y->bytes)
        return x->bytes > y->bytes ? -1 : 1;
    return x->i < y->i ? -1 : x->i > y->i; /* ties in input order: the same order each run */
}

/* The batch's order into *order (grown as needed), or NULL for input order. */
static const doc_size *largest_first(const wn_batch *b, int nthreads, doc_size **order,
                                     size_t *cap)
{
    if (nthreads < 2)
        return NULL;
    if (*cap < b->n) {
        *cap = b->n;
        *order = wn_xrealloc(*order, *cap * sizeof **order);
    }
    for (size_t i = 0; i < b->n; i++)
        (*order)[i] = (doc_size){ b->docs[i].input_bytes, i };
    qsort(*order, b->n, sizeof **order, larger_first);
    return *order;
}

/* One fused round: the documents in `keyed` order (runs of equal keys per thread) when a
 * stage keys them, else by size (`sized`) or in input order. */
static void run_fused(const pass *p, wn_batch *b, uint64_t base, out_batch *ob, reader *rd,
                      writer *w, wn_handout *keyed, const doc_size *sized)
{
    if (ob)
        out_batch_reserve(ob, b->n);
    long n = (long)b->n;
#pragma omp parallel
    {
        side_jobs(rd, w);
        if (keyed) {
            int t = omp_get_thread_num();
            for (size_t i; (i = wn_handout_next(keyed, t)) != WN_HANDOUT_DONE;)
                fused_doc(p, &b->docs[i], base + (uint64_t)i, ob, i);
        } else {
#pragma omp for schedule(dynamic, 1) nowait
            for (long k = 0; k < n; k++) {
                size_t i = sized ? sized[k].i : (size_t)k;
                fused_doc(p, &b->docs[i], base + (uint64_t)i, ob, i);
            }
        }
    }
}

/* The first stage with an order_key, or NULL. */
static const wn_stage *keyed_stage(const wn_run_opts *o)
{
    for (size_t k = 0; k < o->n_stages; k++)
        if (o->stages[k]->order_key)
            return o->stages[k];
    return NULL;
}

/* After a fused round: the set just filled is written by the next round (or by
 * writer_flush), and the other set is filled meanwhile. */
static void fused_handoff(writer *w, bool filled)
{
    if (!filled)
        return;
    w->pending = &w->sets[w->fill];
    w->fill ^= 1;
}

static void writer_flush(writer *w)
{
    helper_join(&w->h);
    write_pending(w);
}

/* Adds the decoding stats of a batch to the source's, afresh for the next batch (as
 * wn_source_decode does: the first error of a kind is reported once a batch). */
static void merge_decode_stats(wn_stats *dec, int nthreads, wn_stats *source)
{
    for (int t = 0; t < nthreads; t++) {
        wn_stats_merge(source, &dec[t]);
        wn_stats_release(&dec[t]);
        wn_stats_init(&dec[t], source->stage);
    }
}

int wn_run(const wn_run_opts *o, wn_run_result *res)
{
    const wn_common_opts *c = o->common;
    memset(res, 0, sizeof *res);
    wn_stats_init(&res->source, "read");
    res->n_stages = o->n_stages;
    res->stages = wn_xcalloc(o->n_stages ? o->n_stages : 1, sizeof *res->stages);
    for (size_t s = 0; s < o->n_stages; s++)
        wn_stats_init(&res->stages[s], o->stages[s]->name);

    char *done_path = NULL, *stats_path = NULL;
    if (!o->no_output) {
        if (wn_mkdirs(c->output)) {
            wn_error("cannot create output directory '%s': %s", c->output, strerror(errno));
            return 1;
        }
        if (o->removed_dir && wn_mkdirs(o->removed_dir)) {
            wn_error("cannot create directory '%s': %s", o->removed_dir, strerror(errno));
            return 1;
        }
        /* both write <command>-<shard>-<part>.jsonl.zst: the kept and removed parts took
         * each other's names (a file of both, "cannot write ...: No such file") */
        struct stat so, sr;
        if (o->removed_dir && stat(c->output, &so) == 0 && stat(o->removed_dir, &sr) == 0 &&
            so.st_dev == sr.st_dev && so.st_ino == sr.st_ino) {
            wn_error("--removed '%s' is the output directory; give removed documents their own "
                     "directory", o->removed_dir);
            return 1;
        }
        done_path = shard_file(o, ".done");
        stats_path = shard_file(o, ".stats.json");
        if (!c->force && access(done_path, F_OK) == 0) {
            res->skipped = true;
            wn_info("%s: shard %u/%u already complete ('%s'); use --force to redo it", o->command,
                    c->shard.index, c->shard.count, done_path);
            free(done_path);
            free(stats_path);
            return 0;
        }
        remove_stale_parts(c->output, o->command, c->shard.index);
        if (o->removed_dir)
            remove_stale_parts(o->removed_dir, o->command, c->shard.index);
    }

    int nthreads = omp_get_max_threads();
    wn_stats *per_thread = wn_xcalloc((size_t)nthreads * (o->n_stages ? o->n_stages : 1), sizeof *per_thread);
    for (size_t s = 0; s < o->n_stages; s++)
        for (int t = 0; t < nthreads; t++)
            wn_stats_init(&per_thread[s * nthreads + t], o->stages[s]->name);

    part_writer out = { c->output, o->command, ext_for(c->compression), c->compression_level,
                        c->shard.index, c->max_shard_bytes, 0, NULL, &res->outputs,
                        &res->n_outputs, false };
    part_writer removed = out;
    removed.dir = o->removed_dir;

    wn_source_open_fn open = o->open ? o->open : wn_jsonl_source_open;
    bool threaded = nthreads > 1;
    wn_batch batch;
    wn_batch_init(&batch);
    reader rd = { .stats = &res->source, .max_docs = c->batch_docs };
    wn_batch_init(&rd.batch);
    bool writes = any_stage_writes(o), fused = can_fuse(o);
    writer wr = { .out = &out, .removed = &removed, .o = o, .stage_stats = per_thread,
                  .nthreads = nthreads, .stage_writes = fused && writes };
    bool *gone = NULL; /* step by step: the batch's removed flags, for the stages' writes */
    size_t gone_cap = 0;
    doc_size *order = NULL; /* fused: the order the documents are handed out in */
    size_t order_cap = 0;
    const wn_stage *keyed = fused ? keyed_stage(o) : NULL;
    wn_handout keyed_order; /* keyed: the batch's order; rd.order is the next one's */
    wn_handout_init(&keyed_order);
    wn_handout_init(&rd.order);
    rd.nthreads = nthreads;
    rd.max_bytes = BATCH_MAX_BYTES;
    wn_stats *dec = wn_xcalloc((size_t)nthreads, sizeof *dec);
    for (int t = 0; t < nthreads; t++)
        wn_stats_init(&dec[t], res->source.stage);
    pass ps = { o, NULL, per_thread, dec, nthreads };
    size_t *before = NULL, before_cap = 0;
    uint64_t index = 0, done_bytes = 0;
    double t0 = wn_now();
    wn_progress_begin(o->command, total_input_size(c), c->quiet);
    int opened = 0;

    for (size_t f = 0; f < c->n_inputs; f++) {
        helper_join(&wr.h); /* a failed output ends the run */
        if (out.failed || removed.failed)
            break;
        uint64_t counted = res->source.docs_in;
        wn_source *src = open(c->inputs[f], o->open_ctx, &res->source);
        if (!src) {
            /* read but rejected (binary junk, corrupt from the first byte): a counted bad
             * record, as inside a file, not an input that could not be opened */
            opened += res->source.docs_in > counted;
            continue;
        }
        opened++;
        rd.src = src;
        /* fused, the next batch is read in the round's team, at -j1 too (same bytes) */
        bool ahead = src->read_ahead && (threaded || fused);
        size_t got = src->next(src, &batch, c->batch_docs, rd.max_bytes, &res->source);
        bool planned = false; /* keyed: batch's order was planned as it was read */
        rd.keyed = ahead ? keyed : NULL;
        ps.src = src;
        while (got > 0) {
            out_batch *ob = o->no_output ? NULL : &wr.sets[wr.fill];
            if (fused) {
                /* a stage that writes its own output needs the set (its removed flags)
                 * even when the run writes no documents */
                if (writes) {
                    ob = &wr.sets[wr.fill];
                    ob->base = index;
                }
                stages_begin(o, index, batch.n);
                if (keyed && !planned)
                    plan_order(&keyed_order, &batch, keyed, nthreads);
                run_fused(&ps, &batch, index, ob, ahead ? &rd : NULL, &wr,
                          keyed ? &keyed_order : NULL,
                          keyed ? NULL : largest_first(&batch, nthreads, &order, &order_cap));
                fused_handoff(&wr, ob != NULL);
                index += batch.n;
            } else {
                /* decoding adds to the source's stats, which the reader writes: first */
                wn_source_decode(src, &batch, 0, &res->source);
                if (ahead)
                    helper_start(&rd.h, read_ahead, &rd, true);
                uint64_t base = index;
                for (size_t i = 0; i < batch.n; i++)
                    batch.docs[i].input_index = index++;
                if (before_cap < batch.n) {
                    before_cap = batch.n;
                    before = wn_xrealloc(before, before_cap * sizeof *before);
                }
                stages_begin(o, base, batch.n);
                run_stages(o->stages, o->n_stages, &batch, per_thread, nthreads, before);
                if (writes) {
                    if (gone_cap < batch.n) {
                        gone_cap = batch.n;
                        gone = wn_xrealloc(gone, gone_cap * sizeof *gone);
                    }
                    for (size_t i = 0; i < batch.n; i++)
                        gone[i] = batch.docs[i].drop_reason != NULL;
                    stage_writes(o, per_thread, nthreads, 0, base, batch.n, gone);
                }
                if (ob) {
                    serialise(ob, &batch, o->removed_dir != NULL);
                    write_behind(&wr, &batch, threaded);
                }
            }
            wn_batch_clear(&batch); /* with no output, or (empty) handed to the writer */
            if (ahead) {
                helper_join(&rd.h); /* (fused: read in the round, nothing to join) */
                got = rd.got;
                wn_batch tmp = batch;
                batch = rd.batch;
                rd.batch = tmp;
                if (rd.keyed) {
                    wn_handout t = keyed_order;
                    keyed_order = rd.order;
                    rd.order = t;
                    planned = true;
                }
            } else {
                got = src->next(src, &batch, c->batch_docs, rd.max_bytes, &res->source);
            }
            /* the reader is done with the source's stats */
            merge_decode_stats(dec, nthreads, &res->source);
            wn_progress_update(index, done_bytes + (src->consumed ? src->consumed(src) : 0));
        }
        done_bytes += src->consumed ? src->consumed(src) : 0;
        wn_source_close(src);
    }
    wn_progress_end();
    writer_release(&wr);
    res->held_bytes_max = wr.held_max;
    for (int t = 0; t < nthreads; t++)
        wn_stats_release(&dec[t]);
    free(dec);
    wn_batch_release(&batch);
    wn_batch_release(&rd.batch);
    free(before);
    free(gone);
    free(order);
    wn_handout_release(&keyed_order);
    wn_handout_release(&rd.order);

    part_commit(&out);
    if (o->removed_dir)
        part_commit(&removed);

    double secs = wn_now() - t0;
    bool stage_failed = false;
    res->source.seconds = secs;
    for (size_t s = 0; s < o->n_stages; s++) {
        for (int t = 0; t < nthreads; t++) {
            wn_stats_merge(&res->stages[s], &per_thread[s * nthreads + t]);
            wn_stats_release(&per_thread[s * nthreads + t]);
        }
        res->stages[s].seconds = secs;
        /* a stage that cannot flush (kl's build_reference to a directory that is not
         * there) fails the run: its .done would have said the work was complete */
        if (o->stages[s]->finish && o->stages[s]->finish(o->stages[s]->state, &res->stages[s]))
            stage_failed = true;
    }
    free(per_thread);

    int rc = 0;
    if (out.failed || removed.failed || stage_failed)
        rc = 1;
    else if (c->n_inputs > 0 && opened == 0) {
        wn_error("%s: none of the %zu inputs could be opened", o->command, c->n_inputs);
        rc = 1;
    }
    if (!o->no_output && rc == 0) {
        if (write_stats(stats_path, o, res) || write_done(done_path, o, res))
            rc = 1;
    }
    free(done_path);
    free(stats_path);
    return rc;
}

void wn_run_result_release(wn_run_result *res)
{
    wn_stats_release(&res->source);
    for (size_t s = 0; s < res->n_stages; s++)
        wn_stats_release(&res->stages[s]);
    free(res->stages);
    wn_free_strv(res->outputs, res->n_outputs);
    memset(res, 0, sizeof *res);
}

/* How many of the paths name a file directly in dir (the removed parts share the list of
 * outputs with the kept ones). */
static size_t count_files_in(char *const *paths, size_t n, const char *dir)
{
    size_t k = strlen(dir), count = 0;
    for (size_t i = 0; i < n; i++)
        count += !strncmp(paths[i], dir, k) && paths[i][k] == '/' && !strchr(paths[i] + k + 1, '/');
    return count;
}

void wn_run_print_summary(const wn_run_opts *o, const wn_run_result *res)
{
    if (o->common->quiet)
        return;
    FILE *f = stderr;
    if (res->skipped)
        return;
    fprintf(f, "winnow %s, shard %u/%u: %zu input file(s)\n", o->command, o->common->shard.index,
            o->common->shard.count, o->common->n_inputs);
    wn_stats_print_summary(&res->source, f);
    for (size_t s = 0; s < res->n_stages; s++)
        wn_stats_print_summary(&res->stages[s], f);
    uint64_t kept = res->n_stages ? res->stages[res->n_stages - 1].docs_out : res->source.docs_out;
    fprintf(f, "  kept %llu of %llu records read", (unsigned long long)kept,
            (unsigned long long)res->source.docs_in);
    if (!o->no_output) {
        size_t removed = o->removed_dir ? count_files_in(res->outputs, res->n_outputs, o->removed_dir) : 0;
        fprintf(f, "; %zu output file(s) in '%s'", res->n_outputs - removed, o->common->output);
        if (o->removed_dir)
            fprintf(f, ", %zu in '%s'", removed, o->removed_dir);
    }
    fputc('\n', f);
}
