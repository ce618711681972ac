import type { Observations } from './observations.ts';

/** How well a mask covers the rows and columns for rank r (docs/design/math.md 3.5c, identifiability). */
export interface Identifiability {
  /** Every row and every column has at least r observed entries. */
  identifiable: boolean;
  /** Rows with fewer than r observed entries. */
  thinRows: number;
  /** Columns with fewer than r observed entries. */
  thinCols: number;
}

/**
 * Whether every row and every column of the mask has at least `rank` observed entries: a necessary condition for
 * recovering a generic rank-r matrix (a row seen k < r times leaves r − k dimensions of its factor free, whatever
 * the method). Not sufficient; it is the test the published phase-transition experiments resample on. Cost O(|Ω| + n₁ + n₂).
 */
export function maskIdentifiability(obs: Pick<Observations, 'shape' | 'rows' | 'cols'>, rank: number): Identifiability {
  const [n1, n2] = obs.shape;
  const rowCount = new Int32Array(n1);
  const colCount = new Int32Array(n2);
  for (let t = 0; t < obs.rows.length; t++) {
    rowCount[obs.rows[t]]++;
    colCount[obs.cols[t]]++;
  }
  let thinRows = 0;
  let thinCols = 0;
  for (let i = 0; i < n1; i++) if (rowCount[i] < rank) thinRows++;
  for (let j = 0; j < n2; j++) if (colCount[j] < rank) thinCols++;
  return { identifiable: thinRows === 0 && thinCols === 0, thinRows, thinCols };
}

/**
 * A warning when observations `obs` cannot determine a rank-r completion, whatever the method: more degrees of
 * freedom r(n₁ + n₂ − r) than observed entries (the fit is not unique), or rows or columns seen fewer than r times
 * (their factors are not determined). `what` names where r came from ("given rank", "estimated rank"). Undefined
 * when neither holds. Cost O(|Ω| + n₁ + n₂).
 */
export function rankWarning(
  obs: Pick<Observations, 'shape' | 'rows' | 'cols'>,
  rank: number,
  what: string,
): string | undefined {
  const [n1, n2] = obs.shape;
  const m = obs.rows.length;
  const parts: string[] = [];
  const dof = rank * (n1 + n2 - rank);
  if (dof > m)
    parts.push(
      `${what} ${rank} has r(n₁+n₂−r) = ${dof} degrees of freedom, more than the ${m} observed entries: the completion is not unique`,
    );
  const { thinRows, thinCols } = maskIdentifiability(obs, rank);
  if (thinRows + thinCols > 0) {
    parts.push(
      `${thinRows} rows and ${thinCols} columns have fewer than ${rank} observed entries: no method can recover them (--masks identifiable redraws such masks)`,
    );
  }
  return parts.length === 0 ? undefined : parts.join('; ');
}
