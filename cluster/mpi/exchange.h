/* exchange.h: the MPI communication patterns winnow-mpi is built from.
 *
 * An outbox collects fixed-size records per destination rank and exchanges them all-to-all
 * (MPI_Alltoall of counts, then MPI_Alltoallv of the records). Records arrive grouped by
 * source rank in rank order, and in the order each source added them, so a request sent in
 * one exchange can be answered positionally in the reverse exchange (wn_mpi_answer).
 *
 * Counts travel as MPI ints of records of a contiguous datatype: one exchange moves at most
 * 2^31-1 records between any two ranks; callers that stream (band keys, line hashes) stay
 * far below by exchanging in rounds.
 *
 * Ownership: the outbox owns its buffers; `recv` stays valid until the next exchange.
 */
#ifndef WN_MPI_EXCHANGE_H
#define WN_MPI_EXCHANGE_H

#include "core/buf.h"

#include <mpi.h>
#include <stddef.h>
#include <stdint.h>

typedef struct wn_outbox {
    MPI_Comm comm;
    int rank, size;
    size_t rec_size;
    wn_buf *to;        /* per destination */
    wn_buf recv;       /* records received by the last exchange, by source rank */
    size_t n_recv;
    int *recv_counts;  /* per source, records */
} wn_outbox;

void wn_outbox_init(wn_outbox *o, MPI_Comm comm, size_t rec_size);
void wn_outbox_release(wn_outbox *o);
static inline void wn_outbox_add(wn_outbox *o, int dest, const void *rec)
{
    wn_buf_append(&o->to[dest], rec, o->rec_size);
}
/* Records queued for every destination, summed over destinations. */
size_t wn_outbox_pending(const wn_outbox *o);
/* Send everything queued, receive what others queued for us (collective). Empties the
 * per-destination buffers. 0, or an MPI error code. */
int wn_outbox_exchange(wn_outbox *o);

/* Reverse exchange: `answers` holds one record of `ans_size` bytes per record received by
 * the last exchange of `o` (same order); returns, in *out, the answers to what this rank
 * sent, ordered as this rank sent them grouped by destination rank. Collective. */
int wn_mpi_answer(const wn_outbox *o, const int *sent_counts, const void *answers,
                  size_t ans_size, wn_buf *out);

/* Did any rank report `local` true? (MPI_Allreduce, logical or.) */
int wn_mpi_any(int local, MPI_Comm comm);
uint64_t wn_mpi_sum(uint64_t local, MPI_Comm comm);
uint64_t wn_mpi_max(uint64_t local, MPI_Comm comm);

/* Rank 0 writes, in rank order, the records every rank passes (already sorted so that the
 * concatenation is the file's order) to one file through `write` (called on rank 0 only,
 * with chunks of at most ~64 MiB). Memory on rank 0: one chunk. Collective. Returns 0 or -1
 * on every rank (the verdict of rank 0 is broadcast). */
typedef int (*wn_mpi_sink)(void *ctx, const void *recs, size_t n);
int wn_mpi_write_ordered(const void *recs, size_t n, size_t rec_size, wn_mpi_sink write,
                         void *ctx, MPI_Comm comm);

#endif
