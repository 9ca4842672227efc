/* exchange.c: outboxes, positional answers, reductions and ordered writes over MPI. */
#include "cluster/mpi/exchange.h"

#include <stdlib.h>
#include <string.h>

void wn_outbox_init(wn_outbox *o, MPI_Comm comm, size_t rec_size)
{
    memset(o, 0, sizeof *o);
    o->comm = comm;
    MPI_Comm_rank(comm, &o->rank);
    MPI_Comm_size(comm, &o->size);
    o->rec_size = rec_size;
    o->to = wn_xcalloc((size_t)o->size, sizeof *o->to);
    o->recv_counts = wn_xcalloc((size_t)o->size, sizeof *o->recv_counts);
}

void wn_outbox_release(wn_outbox *o)
{
    for (int r = 0; r < o->size; r++) wn_buf_release(&o->to[r]);
    free(o->to);
    free(o->recv_counts);
    wn_buf_release(&o->recv);
    memset(o, 0, sizeof *o);
}

size_t wn_outbox_pending(const wn_outbox *o)
{
    size_t n = 0;
    for (int r = 0; r < o->size; r++) n += o->to[r].len / o->rec_size;
    return n;
}

/* Alltoallv of records of `rec_size` bytes with the given per-rank counts. */
static int alltoallv(const void *send, const int *send_counts, void *recv,
                     const int *recv_counts, size_t rec_size, MPI_Comm comm, int size)
{
    int *sdispl = wn_xcalloc((size_t)size, sizeof *sdispl);
    int *rdispl = wn_xcalloc((size_t)size, sizeof *rdispl);
    for (int r = 1; r < size; r++) {
        sdispl[r] = sdispl[r - 1] + send_counts[r - 1];
        rdispl[r] = rdispl[r - 1] + recv_counts[r - 1];
    }
    MPI_Datatype rec;
    MPI_Type_contiguous((int)rec_size, MPI_BYTE, &rec);
    MPI_Type_commit(&rec);
    int rc = MPI_Alltoallv(send, send_counts, sdispl, rec, recv, recv_counts, rdispl, rec, comm);
    MPI_Type_free(&rec);
    free(sdispl);
    free(rdispl);
    return rc;
}

int wn_outbox_exchange(wn_outbox *o)
{
    int *send_counts = wn_xcalloc((size_t)o->size, sizeof *send_counts);
    wn_buf all = WN_BUF_INIT;
    for (int r = 0; r < o->size; r++) {
        send_counts[r] = (int)(o->to[r].len / o->rec_size);
        if (o->to[r].len) wn_buf_append(&all, o->to[r].data, o->to[r].len);
        wn_buf_reset(&o->to[r]);
    }
    int rc = MPI_Alltoall(send_counts, 1, MPI_INT, o->recv_counts, 1, MPI_INT, o->comm);
    o->n_recv = 0;
    for (int r = 0; r < o->size; r++) o->n_recv += (size_t)o->recv_counts[r];
    wn_buf_reset(&o->recv);
    wn_buf_grow(&o->recv, o->n_recv * o->rec_size + 1);
    o->recv.len = o->n_recv * o->rec_size;
    if (rc == MPI_SUCCESS)
        rc = alltoallv(all.data, send_counts, o->recv.data, o->recv_counts, o->rec_size,
                       o->comm, o->size);
    wn_buf_release(&all);
    free(send_counts);
    return rc;
}

int wn_mpi_answer(const wn_outbox *o, const int *sent_counts, const void *answers,
                  size_t ans_size, wn_buf *out)
{
    size_t n = 0;
    for (int r = 0; r < o->size; r++) n += (size_t)sent_counts[r];
    wn_buf_reset(out);
    wn_buf_grow(out, n * ans_size + 1);
    out->len = n * ans_size;
    /* what we received is what we answer; what we sent is what comes back */
    return alltoallv(answers, o->recv_counts, out->data, sent_counts, ans_size, o->comm,
                     o->size);
}

int wn_mpi_any(int local, MPI_Comm comm)
{
    int any = 0;
    MPI_Allreduce(&local, &any, 1, MPI_INT, MPI_LOR, comm);
    return any;
}

uint64_t wn_mpi_sum(uint64_t local, MPI_Comm comm)
{
    uint64_t s = 0;
    MPI_Allreduce(&local, &s, 1, MPI_UINT64_T, MPI_SUM, comm);
    return s;
}

uint64_t wn_mpi_max(uint64_t local, MPI_Comm comm)
{
    uint64_t s = 0;
    MPI_Allreduce(&local, &s, 1, MPI_UINT64_T, MPI_MAX, comm);
    return s;
}

int wn_mpi_write_ordered(const void *recs, size_t n, size_t rec_size, wn_mpi_sink write,
                         void *ctx, MPI_Comm comm)
{
    int rank, size, ok = 1;
    MPI_Comm_rank(comm, &rank);
    MPI_Comm_size(comm, &size);
    size_t chunk = (64u << 20) / rec_size;
    if (!chunk) chunk = 1;
    if (rank == 0) {
        if (n && write(ctx, recs, n)) ok = 0;
        char *buf = wn_xmalloc(chunk * rec_size);
        for (int src = 1; src < size; src++) {
            uint64_t count;
            MPI_Recv(&count, 1, MPI_UINT64_T, src, 0, comm, MPI_STATUS_IGNORE);
            for (uint64_t done = 0; done < count;) {
                size_t k = count - done < chunk ? (size_t)(count - done) : chunk;
                MPI_Recv(buf, (int)(k * rec_size), MPI_BYTE, src, 1, comm, MPI_STATUS_IGNORE);
                if (ok && write(ctx, buf, k)) ok = 0;
                done += k;
            }
        }
        free(buf);
    } else {
        uint64_t count = n;
        MPI_Send(&count, 1, MPI_UINT64_T, 0, 0, comm);
        for (size_t done = 0; done < n;) {
            size_t k = n - done < chunk ? n - done : chunk;
            MPI_Send((const char *)recs + done * rec_size, (int)(k * rec_size), MPI_BYTE, 0, 1,
                     comm);
            done += k;
        }
    }
    MPI_Bcast(&ok, 1, MPI_INT, 0, comm);
    return ok ? 0 : -1;
}
