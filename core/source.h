/* source.h: where documents come from.
 *
 * A source turns one input file into documents, batch by batch. The JSONL source lives in
 * core; ingest adds WARC/WET/ARC/HTML/text sources and a format-detecting opener. A source
 * counts what it read in its own wn_stats: docs_out for documents it produced, drops for
 * records it skipped on purpose (e.g. "warc.not_response"), errors for broken input (with
 * file and offset), so that records read = documents + skipped + errors.
 */
#ifndef WN_SOURCE_H
#define WN_SOURCE_H

#include "core/doc.h"
#include "core/jsonl.h"
#include "core/stats.h"

#include <stdint.h>

typedef struct wn_source wn_source;
struct wn_source {
    const char *path;
    void *state;
    /* Append up to max_docs documents (or until about max_bytes of text) to batch.
     * Returns the number appended; 0 means the input is exhausted. Broken records are
     * counted in stats and skipped; a container that cannot go on ends the input (counted). */
    size_t (*next)(wn_source *src, wn_batch *batch, size_t max_docs, size_t max_bytes,
                   wn_stats *stats);
    /* Optional: finish turning a record into a document, called for every document of a
     * batch from several threads at once (so expensive parsing is parallel). Returns 0; 1
     * when the record was read only after its Unicode was repaired (counted as
     * "decode.unicode_repaired"); or -1 with a reason in err; the runner then counts a
     * "<error_kind>" error with the file,
     * doc->input_offset and doc->input_line, and drops the record. A source with decode
     * counts docs_in/bytes_in when reading and leaves docs_out to the runner. */
    int (*decode)(wn_source *src, wn_doc *doc, char *err, size_t errlen);
    const char *error_kind;
    /* Set when next() touches only the source's own state, the batch and stats, and the
     * records it returned stay valid across later calls (they own their bytes), so the
     * runner may read the next batch on a thread of its own while the last one is decoded
     * and processed (the JSONL source sets it). */
    bool read_ahead;
    /* Bytes of the file consumed so far, as stored (for progress). */
    uint64_t (*consumed)(wn_source *src);
    void (*close)(wn_source *src);
};

/* Read the next batch and decode it: what every reader of a source calls (the runner too).
 * Decoding runs in parallel (OpenMP); records that fail are counted as errors in stats and
 * left out of the batch. Returns the number of records read, 0 only at the end of the input
 * (the batch can grow by fewer documents when records were broken). */
size_t wn_source_next(wn_source *src, wn_batch *batch, size_t max_docs, size_t max_bytes,
                      wn_stats *stats);

/* Decode one record read by src->next (any thread): 0, or -1 after counting the error in s
 * and setting doc->drop_reason to WN_DECODE_FAILED (the record is no document: neither
 * processed nor written). With no decode step, 0. */
int wn_source_decode_doc(wn_source *src, wn_doc *doc, wn_stats *s);
extern const char WN_DECODE_FAILED[];

/* The second half of wn_source_next: decode batch->docs[first..] (read by src->next) in
 * parallel, count failures, and leave them out of the batch. */
void wn_source_decode(wn_source *src, wn_batch *batch, size_t first, wn_stats *stats);

/* Opens `path` as a source, or returns NULL after counting/logging why in stats. */
typedef wn_source *(*wn_source_open_fn)(const char *path, void *ctx, wn_stats *stats);

/* The JSONL opener; ctx is a const wn_jsonl_opts * (or NULL for defaults). */
wn_source *wn_jsonl_source_open(const char *path, void *ctx, wn_stats *stats);
void wn_source_close(wn_source *src);

#endif
