import { stringify } from 'csv-stringify/sync';

/**
 * csv-stringify quotes fields with commas, quotes and line breaks; a label with leading or trailing white space is
 * quoted too, since the readers trim unquoted fields (" x " would come back as "x", another id).
 */
const QUOTING = { quoted_match: /^\s|\s$/ };

/**
 * A number as written to output files: the shortest decimal that reads back as the same float64 (ECMAScript's
 * Number-to-String, "3.5", "0.30000000000000004", "1e-7"), so observed cells keep their value exactly (-0 too, as "-0").
 */
export function formatValue(x: number): string {
  return Object.is(x, -0) ? '-0' : String(x);
}

/**
 * CSV text of predictions: a header `names` (row id, column id, value), then one line per cell in the given
 * order. Labels are quoted where CSV needs it (csv-stringify). Cost O(cells).
 */
export function formatPredictions(
  names: readonly [string, string, string],
  rowIds: readonly string[],
  colIds: readonly string[],
  values: ArrayLike<number>,
): string {
  const records: string[][] = [names.slice()];
  for (let k = 0; k < values.length; k++) records.push([rowIds[k], colIds[k], formatValue(values[k])]);
  return stringify(records, QUOTING);
}

/**
 * CSV text of a dense m×n matrix given by `value(i, j)`: with `corner` set, a header line `corner,col ids...` and
 * each line led by its row id; otherwise, with `header`, a header of column ids and bare rows; else bare rows.
 * Cost O(mn).
 */
export function formatDenseMatrix(
  rowIds: readonly string[],
  colIds: readonly string[],
  value: (i: number, j: number) => number,
  opts: { corner?: string; header?: boolean },
): string {
  const out: string[] = [];
  const labeled = opts.corner !== undefined;
  if (labeled) out.push(stringify([[opts.corner as string, ...colIds]], QUOTING));
  else if (opts.header) out.push(stringify([colIds.slice()], QUOTING));
  const cells = new Array<string>(colIds.length);
  for (let i = 0; i < rowIds.length; i++) {
    for (let j = 0; j < colIds.length; j++) cells[j] = formatValue(value(i, j));
    const line = cells.join(',');
    out.push(labeled ? `${stringify([[rowIds[i]]], QUOTING).trimEnd()},${line}\n` : `${line}\n`);
  }
  return out.join('');
}

/**
 * CSV text of top-N lists: a header `user,item,score`, then each user's items in the given order (best first),
 * labels quoted as formatPredictions quotes them. Cost O(lines).
 */
export function formatRecommendations(
  users: readonly string[],
  lists: readonly (readonly { item: string; score: number }[])[],
): string {
  const records: string[][] = [['user', 'item', 'score']];
  for (let u = 0; u < users.length; u++)
    for (const r of lists[u]) records.push([users[u], r.item, formatValue(r.score)]);
  return stringify(records, QUOTING);
}
