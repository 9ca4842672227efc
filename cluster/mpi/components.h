/* components.h: connected components of a graph whose edges are spread over MPI ranks.
 *
 * Every vertex (a document uid) has an owner rank, given by `owner`. The owner keeps the
 * vertex's parent pointer; edges stay on the rank that found them. Rounds of
 *   1. pointer jumping until every parent is a root (parent[x] = parent[parent[x]]),
 *   2. relabelling each edge (a, b) to its roots (ra, rb), dropping edges inside a tree,
 *   3. hooking the larger root of each remaining edge under the smaller one,
 * repeat until no edge joins two trees. Parents only ever point to smaller uids, so there
 * are no cycles and a component's final root is its smallest uid: the same cluster name
 * as dedup's single-process union-find (union by smallest uid). Memory per rank: the
 * vertices it owns and the edges it holds, both shrinking as ranks are added.
 */
#ifndef WN_MPI_COMPONENTS_H
#define WN_MPI_COMPONENTS_H

#include "cluster/mpi/u64map.h"
#include "dedup/format.h"

#include <mpi.h>
#include <stddef.h>

typedef int (*wn_mpi_owner_fn)(uint64_t uid, int n_ranks);

/* Computes, for every uid that appears in any rank's edges, the smallest uid of its
 * component, stored in `labels` (uid -> root, initialised by the caller) on the uid's
 * owner. `edges` is this rank's share (any distribution; may be rewritten and is freed
 * by the caller). `rounds` receives the number of hooking rounds. Collective; 0, or an
 * MPI error code. */
int wn_mpi_components(wn_dedup_edge_rec **edges, size_t *n_edges, wn_mpi_owner_fn owner,
                      MPI_Comm comm, wn_u64map *labels, unsigned *rounds);

#endif
