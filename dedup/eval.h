/* eval.h: measure MinHash LSH against exact Jaccard ground truth.
 *
 * Input: the state directory of a finished minhash run (docs-*.wdoc, sig-*.wsig,
 * clusters.wcl) and a pairs file "id_a<TAB>id_b<TAB>jaccard<TAB>exact" listing EVERY pair
 * with J >= 0.30 (as ../shared/data/dedup/ *-pairs.tsv; pairs not listed have J < 0.30).
 * Output (markdown on `out`):
 *   - per threshold t: recall (pairs with J >= t that end in one cluster), precision (pairs
 *     in one cluster that have J >= t), and the same for direct candidates (a shared band);
 *   - the S-curve: per J bin, the measured share of pairs sharing a band vs the theory
 *     1 - (1 - J^r)^b averaged over the bin's pairs;
 *   - the estimate error: mean, mean absolute and RMS error of the signature's Jaccard
 *     estimate against the true J, vs the theoretical sd sqrt(J(1-J)/(b*r)).
 */
#ifndef WN_DEDUP_EVAL_H
#define WN_DEDUP_EVAL_H

#include <stdio.h>

int wn_dedup_eval(const char *state_dir, const char *pairs_path, const char *config,
                  const char *name, FILE *out, char *err, size_t errlen);

#endif
