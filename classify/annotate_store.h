/* annotate_store.h: the append-only record of what has been asked, which makes a run
 * resumable.
 *
 * Two files in the output directory take one JSON line per answered document, each line
 * written with a single write(2) on an O_APPEND descriptor:
 *   labels.jsonl       {"n", "id", "score", "label", "method", ...}   parsed answers
 *   unparseable.jsonl  {"n", "id", "reason", "answer"}                 kept aside, not guessed
 * "n" is the document's position in the frozen sample. Opening the store reads both files
 * back, marks those positions done (they are never asked again) and cuts a torn last line
 * left by a killed run, so the next record starts on a line of its own.
 */
#ifndef WN_ANNOTATE_STORE_H
#define WN_ANNOTATE_STORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct wn_ann_store {
    int labels_fd, unparseable_fd;
    uint8_t *done;          /* bitmap over sample positions */
    size_t size;            /* sample size */
    uint64_t labelled;      /* labels.jsonl records (earlier runs + this one) */
    uint64_t unparseable;   /* unparseable.jsonl records */
    uint64_t resumed;       /* records found when opening */
    uint64_t torn;          /* torn lines cut when opening */
} wn_ann_store;

#define WN_ANN_LABELS "labels.jsonl"
#define WN_ANN_UNPARSEABLE "unparseable.jsonl"

/* Open (creating) the two files in dir for a sample of `size` documents. 0, or -1 after
 * an error message naming the file. */
int wn_ann_store_open(wn_ann_store *s, const char *dir, size_t size);
void wn_ann_store_close(wn_ann_store *s);

bool wn_ann_store_is_done(const wn_ann_store *s, uint64_t n);
/* Append one record (a JSON object without newline) for position n. 0 or -1 (error printed). */
int wn_ann_store_append(wn_ann_store *s, bool unparseable, uint64_t n, const char *json,
                        size_t len);

/* Read labels.jsonl of dir into labels[n] (malloc'd strings, the "label" field; NULL when
 * absent). The caller frees each and the array. 0 or -1. */
int wn_ann_store_read_labels(const char *dir, size_t size, char ***labels);

#endif
