/* annotate_client.h: ask the server about every sampled document that has no record yet.
 *
 * A fixed pool of `parallel` slots each holds one document from its first try to its
 * record: a transfer in flight, or a wait before a retry (so a server that pushes back
 * with 429 also slows how fast new documents are taken). Transfers run on one libcurl multi
 * handle, which reuses connections. Answers are parsed and appended to the store as they
 * come; SIGINT/SIGTERM stop the loop cleanly (what is recorded stays recorded).
 */
#ifndef WN_ANNOTATE_CLIENT_H
#define WN_ANNOTATE_CLIENT_H

#include "classify/annotate.h"
#include "classify/annotate_store.h"

#include <stdint.h>

typedef struct wn_ann_counts {
    uint64_t asked;         /* documents taken this run */
    uint64_t requests;      /* transfers started */
    uint64_t retries;
    uint64_t http_429, http_5xx, timeouts, transport, bad_reply;
    uint64_t failed;        /* documents given up on this run */
    uint64_t labelled, unparseable, from_logprobs; /* records written this run */
    bool interrupted;
} wn_ann_counts;

/* Returns 0 when every document of the sample has a record, 1 when some have not (failed
 * or interrupted), -1 when the run had to stop (misconfiguration, a store write failed). */
int wn_ann_ask_all(const wn_ann_opts *o, const char *sample_path, wn_ann_store *store,
                   wn_ann_counts *counts);

#endif
