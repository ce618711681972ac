// Ranking metrics of one user's top-k list with binary relevance (a held-out rating at or above a threshold), as
// crossValidate averages them (docs/complete.md, "Evaluate"). `hits[i]` says whether the item at rank i + 1 is
// relevant; `relevant` is how many relevant items the user has in all (some may be missing from the list).

/** precision@k, recall@k, NDCG@k and AP@k of one list. */
export interface RankingScores {
  precision: number;
  recall: number;
  ndcg: number;
  ap: number;
}

/** Checks k and the relevant count, and that the list holds no more hits than relevant items. */
function check(hits: ArrayLike<boolean>, relevant: number, k: number, what: string): void {
  if (!Number.isInteger(k) || k < 1) throw new RangeError(`${what}: k must be an integer >= 1, got ${k}`);
  if (!Number.isInteger(relevant) || relevant < 1)
    throw new RangeError(`${what}: the user needs at least one relevant item, got ${relevant}`);
  let count = 0;
  for (let i = 0; i < Math.min(k, hits.length); i++) if (hits[i]) count++;
  if (count > relevant) throw new RangeError(`${what}: ${count} hits in the list but only ${relevant} relevant items`);
}

/** Hits among the first k entries of the list. */
function hitsAt(hits: ArrayLike<boolean>, k: number): number {
  let count = 0;
  for (let i = 0; i < Math.min(k, hits.length); i++) if (hits[i]) count++;
  return count;
}

/** precision@k = (relevant items among the first k) / k; a list shorter than k counts its missing places as misses. */
export function precisionAtK(hits: ArrayLike<boolean>, relevant: number, k: number): number {
  check(hits, relevant, k, 'precisionAtK');
  return hitsAt(hits, k) / k;
}

/** recall@k = (relevant items among the first k) / (relevant items in all). */
export function recallAtK(hits: ArrayLike<boolean>, relevant: number, k: number): number {
  check(hits, relevant, k, 'recallAtK');
  return hitsAt(hits, k) / relevant;
}

/**
 * NDCG@k = DCG@k / IDCG@k with DCG@k = Σ_{i ≤ k, hit at i} 1/log₂(i + 1) and IDCG@k the same for a list whose first
 * min(k, relevant) places are hits (the best possible list): 1 for a perfect ranking, 0 with no hit.
 */
export function ndcgAtK(hits: ArrayLike<boolean>, relevant: number, k: number): number {
  check(hits, relevant, k, 'ndcgAtK');
  let dcg = 0;
  for (let i = 0; i < Math.min(k, hits.length); i++) if (hits[i]) dcg += 1 / Math.log2(i + 2);
  let ideal = 0;
  for (let i = 0; i < Math.min(k, relevant); i++) ideal += 1 / Math.log2(i + 2);
  return dcg / ideal;
}

/**
 * AP@k = (1 / min(k, relevant)) · Σ_{i ≤ k, hit at i} precision@i: the mean, over the places that could hold a hit,
 * of the precision at each hit (1 for a perfect ranking). MAP@k is its mean over users.
 */
export function averagePrecisionAtK(hits: ArrayLike<boolean>, relevant: number, k: number): number {
  check(hits, relevant, k, 'averagePrecisionAtK');
  let found = 0;
  let sum = 0;
  for (let i = 0; i < Math.min(k, hits.length); i++) {
    if (!hits[i]) continue;
    found++;
    sum += found / (i + 1);
  }
  return sum / Math.min(k, relevant);
}

/** All four scores of one list. Cost O(k). */
export function rankingScores(hits: ArrayLike<boolean>, relevant: number, k: number): RankingScores {
  return {
    precision: precisionAtK(hits, relevant, k),
    recall: recallAtK(hits, relevant, k),
    ndcg: ndcgAtK(hits, relevant, k),
    ap: averagePrecisionAtK(hits, relevant, k),
  };
}
