/* stage.h: the stage interface (after curl's client writers and datatrove's filters).
 *
 * A stage is built by its own constructor (which takes its parameters and reports bad ones),
 * then driven by the runner:
 *
 *   process_doc   called once per document that reached the stage, from several OpenMP
 *                 threads at once: it may change only that document and the thread's
 *                 `stats`; `state` is shared and read-only while documents flow.
 *                 Drop a document by setting doc->drop_reason to a static string
 *                 ("gopher.mean_word_length"); the runner counts the drop.
 *   process_batch optional; called once per batch on one thread, before process_doc, for
 *                 stages that need to see documents together. Either may be NULL. A
 *                 stage with process_batch splits each batch's parallel pass in two (the
 *                 runner's fused pass needs none), so stages that only keep per-batch
 *                 state or write their own output use the two hooks below instead.
 *   begin_batch   optional; called once per batch on one thread before any of its documents
 *                 reach the stage: the batch's documents have input indexes base to
 *                 base + n - 1 (some may have been dropped before the stage).
 *   write_batch   optional; for a stage that writes its own output (tokenize's training
 *                 shards): called once per batch, in input order, on one thread, after all
 *                 of the batch's documents went through every stage. removed[i] says whether
 *                 the document of index base + i was dropped (by any stage, or unreadable).
 *                 It may run while the next batch's documents go through process_doc (the
 *                 runner writes one batch while it processes the next), so what it reads
 *                 must be the batch's own (tokenize keeps two sets of slots).
 *   order_key     optional; a number to hand a fused batch's documents out by: the runner
 *                 gives each thread runs of documents with equal keys (core/handout.h), in
 *                 the order of their keys, at any thread count. It sees each record as
 *                 read, before decoding (a JSONL line, or the text of a source that
 *                 decodes as it reads), on one thread, while the previous batch is
 *                 processed. tokenize keys by script, so that each thread's piece cache
 *                 learns one set of languages. The first stage that has one decides.
 *   finish        optional; called once after the last batch (single thread) to flush
 *                 state or add final statistics.
 *   release       frees state; called once, also after a failed run.
 *
 * Determinism: the runner keeps input order, so a stage whose per-document decision depends
 * only on the document and its read-only state gives identical output at any thread count.
 */
#ifndef WN_STAGE_H
#define WN_STAGE_H

#include "core/doc.h"
#include "core/stats.h"

typedef struct wn_stage {
    const char *name;
    void *state;
    void (*process_doc)(void *state, wn_doc *doc, wn_stats *stats);
    void (*process_batch)(void *state, wn_batch *batch, wn_stats *stats);
    void (*begin_batch)(void *state, uint64_t base, size_t n);
    void (*write_batch)(void *state, uint64_t base, size_t n, const bool *removed,
                        wn_stats *stats);
    uint64_t (*order_key)(const void *state, const char *record, size_t len);
    int (*finish)(void *state, wn_stats *stats);
    void (*release)(void *state);
} wn_stage;

/* A stage with one per-document function (the common case); `name` must outlive it. */
wn_stage *wn_stage_new(const char *name, void *state,
                       void (*process_doc)(void *state, wn_doc *doc, wn_stats *stats),
                       void (*release)(void *state));

/* Calls release (if any) and frees the struct. Accepts NULL. */
void wn_stage_free(wn_stage *st);

#endif
