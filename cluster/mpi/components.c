/* components.c: distributed connected components (see components.h). */
#include "cluster/mpi/components.h"
#include "cluster/mpi/exchange.h"

#include <stdlib.h>
#include <string.h>

typedef struct hook {
    uint64_t root, parent; /* "root should point at parent (smaller)" */
} hook;

/* out[i] = labels[keys[i]] as held by the key's owner. Collective. */
static int lookup(const uint64_t *keys, size_t n, wn_mpi_owner_fn owner, MPI_Comm comm,
                  const wn_u64map *labels, uint64_t *out)
{
    wn_outbox ob;
    wn_outbox_init(&ob, comm, sizeof(uint64_t));
    int *sent = wn_xcalloc((size_t)ob.size, sizeof *sent);
    size_t *pos = wn_xmalloc((n ? n : 1) * sizeof *pos);
    for (size_t i = 0; i < n; i++) {
        int d = owner(keys[i], ob.size);
        pos[i] = (size_t)sent[d]++;
        wn_outbox_add(&ob, d, &keys[i]);
    }
    int rc = wn_outbox_exchange(&ob);
    uint64_t *answers = wn_xmalloc((ob.n_recv ? ob.n_recv : 1) * sizeof *answers);
    const uint64_t *asked = (const uint64_t *)ob.recv.data;
    for (size_t i = 0; i < ob.n_recv; i++) {
        const uint64_t *v = wn_u64map_get(labels, asked[i]);
        answers[i] = v ? *v : asked[i]; /* every asked uid is registered; be safe */
    }
    wn_buf back = WN_BUF_INIT;
    if (rc == MPI_SUCCESS) rc = wn_mpi_answer(&ob, sent, answers, sizeof *answers, &back);
    size_t *start = wn_xcalloc((size_t)ob.size + 1, sizeof *start);
    for (int r = 0; r < ob.size; r++) start[r + 1] = start[r] + (size_t)sent[r];
    const uint64_t *got = (const uint64_t *)back.data;
    for (size_t i = 0; rc == MPI_SUCCESS && i < n; i++)
        out[i] = got[start[owner(keys[i], ob.size)] + pos[i]];
    wn_buf_release(&back);
    free(start);
    free(answers);
    free(pos);
    free(sent);
    wn_outbox_release(&ob);
    return rc;
}

/* Every endpoint gets registered at its owner as its own root. */
static int register_vertices(const wn_dedup_edge_rec *e, size_t n, wn_mpi_owner_fn owner,
                             MPI_Comm comm, wn_u64map *labels)
{
    wn_outbox ob;
    wn_outbox_init(&ob, comm, sizeof(uint64_t));
    for (size_t i = 0; i < n; i++) {
        wn_outbox_add(&ob, owner(e[i].a, ob.size), &e[i].a);
        wn_outbox_add(&ob, owner(e[i].b, ob.size), &e[i].b);
    }
    int rc = wn_outbox_exchange(&ob);
    const uint64_t *v = (const uint64_t *)ob.recv.data;
    for (size_t i = 0; i < ob.n_recv; i++) wn_u64map_put(labels, v[i], v[i]);
    wn_outbox_release(&ob);
    return rc;
}

/* Pointer jumping until every parent is a root, on every rank. */
static int jump(wn_mpi_owner_fn owner, MPI_Comm comm, wn_u64map *labels)
{
    for (;;) {
        size_t n = 0;
        uint64_t **slot = wn_xmalloc((labels->n ? labels->n : 1) * sizeof *slot);
        uint64_t *parents = wn_xmalloc((labels->n ? labels->n : 1) * sizeof *parents);
        for (size_t i = 0; i < labels->cap; i++)
            if (labels->keys[i] != WN_U64MAP_EMPTY && labels->vals[i] != labels->keys[i]) {
                slot[n] = &labels->vals[i];
                parents[n++] = labels->vals[i];
            }
        uint64_t *grand = wn_xmalloc((n ? n : 1) * sizeof *grand);
        int rc = lookup(parents, n, owner, comm, labels, grand);
        int changed = 0;
        for (size_t i = 0; i < n; i++)
            if (grand[i] != parents[i]) {
                *slot[i] = grand[i];
                changed = 1;
            }
        free(grand);
        free(parents);
        free(slot);
        if (rc != MPI_SUCCESS) return rc;
        if (!wn_mpi_any(changed, comm)) return MPI_SUCCESS;
    }
}

static int cmp_edge(const void *x, const void *y)
{
    const wn_dedup_edge_rec *a = x, *b = y;
    if (a->a != b->a) return a->a < b->a ? -1 : 1;
    return a->b < b->b ? -1 : a->b > b->b;
}

/* Replace edges by edges between roots; drop those inside one tree and duplicates. */
static int relabel(wn_dedup_edge_rec *e, size_t *n, wn_mpi_owner_fn owner, MPI_Comm comm,
                   const wn_u64map *labels)
{
    uint64_t *ends = wn_xmalloc((*n ? *n : 1) * 2 * sizeof *ends);
    uint64_t *roots = wn_xmalloc((*n ? *n : 1) * 2 * sizeof *roots);
    for (size_t i = 0; i < *n; i++) {
        ends[2 * i] = e[i].a;
        ends[2 * i + 1] = e[i].b;
    }
    int rc = lookup(ends, 2 * *n, owner, comm, labels, roots);
    size_t k = 0;
    for (size_t i = 0; rc == MPI_SUCCESS && i < *n; i++) {
        uint64_t ra = roots[2 * i], rb = roots[2 * i + 1];
        if (ra == rb) continue;
        e[k].a = ra < rb ? ra : rb;
        e[k].b = ra < rb ? rb : ra;
        k++;
    }
    if (k)
        qsort(e, k, sizeof *e, cmp_edge);
    size_t u = 0;
    for (size_t i = 0; i < k; i++)
        if (!u || cmp_edge(&e[u - 1], &e[i])) e[u++] = e[i];
    *n = u;
    free(ends);
    free(roots);
    return rc;
}

/* Each edge (lo, hi) between roots hooks hi under lo, at hi's owner: smallest wins. */
static int hook_roots(const wn_dedup_edge_rec *e, size_t n, wn_mpi_owner_fn owner,
                      MPI_Comm comm, wn_u64map *labels)
{
    wn_outbox ob;
    wn_outbox_init(&ob, comm, sizeof(hook));
    for (size_t i = 0; i < n; i++) {
        hook h = {e[i].b, e[i].a};
        wn_outbox_add(&ob, owner(h.root, ob.size), &h);
    }
    int rc = wn_outbox_exchange(&ob);
    const hook *h = (const hook *)ob.recv.data;
    for (size_t i = 0; i < ob.n_recv; i++) {
        uint64_t *p = wn_u64map_get(labels, h[i].root);
        if (p && h[i].parent < *p) *p = h[i].parent;
    }
    wn_outbox_release(&ob);
    return rc;
}

int wn_mpi_components(wn_dedup_edge_rec **edges, size_t *n_edges, wn_mpi_owner_fn owner,
                      MPI_Comm comm, wn_u64map *labels, unsigned *rounds)
{
    int rc = register_vertices(*edges, *n_edges, owner, comm, labels);
    *rounds = 0;
    while (rc == MPI_SUCCESS) {
        rc = jump(owner, comm, labels);
        if (rc == MPI_SUCCESS) rc = relabel(*edges, n_edges, owner, comm, labels);
        if (rc != MPI_SUCCESS || !wn_mpi_any(*n_edges > 0, comm)) break;
        rc = hook_roots(*edges, *n_edges, owner, comm, labels);
        ++*rounds;
    }
    return rc;
}
