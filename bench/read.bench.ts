// Reading throughput of the streaming triplet reader against plain line counting of the same file in the same
// process: a generated ratings file like bench/scale.ts's (ids row,col, values printed as full doubles) is read
// (1) by a plain Node loop counting line breaks in 1 MiB chunks (the reference: reading bytes, nothing parsed),
// (2) by `wc -l` when there is one, and (3) by parseTriplets over the same chunks; each best of `--repeats`.
// Prints MB/s of each and the reader's time as a multiple of the plain count's, and the reader's heap + array bytes
// per rating. Run: node --import tsx bench/read.bench.ts [--ratings 1000000] [--rows 100000] [--cols 20000]
// [--repeats 3] [--file /tmp/mcomplete-read-bench.csv] (the file is written once and kept for the next run).
import { closeSync, existsSync, openSync, readSync, statSync, writeFileSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { parseArgs } from 'node:util';
import { parseTriplets } from '../src/data/formats/triplets.ts';
import { scaleProblem } from '../test/helpers/scale-problem.ts';

const { values: a } = parseArgs({
  options: {
    ratings: { type: 'string', default: '1000000' },
    rows: { type: 'string', default: '100000' },
    cols: { type: 'string', default: '20000' },
    repeats: { type: 'string', default: '3' },
    file: { type: 'string', default: '/tmp/mcomplete-read-bench.csv' },
  },
});
const ratings = Number(a.ratings);
const file = a.file;
if (!existsSync(file) || statSync(file).size === 0) {
  const p = scaleProblem({ m: Number(a.rows), n: Number(a.cols), r: 10, sigma: 0.3, ratings, seed: 0 });
  const parts: string[] = ['row,col,value\n'];
  for (let t = 0; t < ratings; t++) parts.push(`${p.rows[t]},${p.cols[t]},${p.values[t]}\n`);
  writeFileSync(file, parts.join(''));
}
const bytes = statSync(file).size;
const mb = bytes / 1e6;

/** The file in 1 MiB chunks, one buffer reused (the reader copies what it keeps). */
function* chunks(): Generator<Uint8Array> {
  const fd = openSync(file, 'r');
  const buf = new Uint8Array(1 << 20);
  try {
    for (;;) {
      const n = readSync(fd, buf, 0, buf.length, null);
      if (n === 0) return;
      yield buf.subarray(0, n);
    }
  } finally {
    closeSync(fd);
  }
}

/**
 * Best of `repeats` calls: CPU seconds of this process (user + system, which other work on a shared machine does not
 * inflate as much as wall time) and wall seconds, and the last result.
 */
function best<T>(f: () => T): { seconds: number; wall: number; result: T } {
  let seconds = Infinity;
  let wall = Infinity;
  let result!: T;
  for (let r = 0; r < Number(a.repeats); r++) {
    const c0 = process.cpuUsage();
    const t0 = performance.now();
    result = f();
    wall = Math.min(wall, (performance.now() - t0) / 1000);
    const c = process.cpuUsage(c0);
    seconds = Math.min(seconds, (c.user + c.system) / 1e6);
  }
  return { seconds, wall, result };
}

const count = best(() => {
  let lines = 0;
  for (const c of chunks()) for (let p = c.indexOf(10); p >= 0; p = c.indexOf(10, p + 1)) lines++;
  return lines;
});
const wc = spawnSync('wc', ['-l', file], { encoding: 'utf8' }).status === 0;
const wcTime = wc ? best(() => spawnSync('wc', ['-l', file])).wall : NaN;
const before = process.memoryUsage();
const read = best(() => parseTriplets(chunks(), { file }));
const entries = read.result.observations.values.length;
const after = process.memoryUsage();
const perRating = (after.heapUsed + after.arrayBuffers - before.heapUsed - before.arrayBuffers) / entries;

console.log(
  `read bench: ${file}, ${mb.toFixed(1)} MB, ${entries.toLocaleString('en')} ratings, best of ${a.repeats} (CPU seconds; wall in brackets)`,
);
console.log(
  `  plain Node line count: ${count.seconds.toFixed(3)} s = ${(mb / count.seconds).toFixed(0)} MB/s (reference) [${count.wall.toFixed(3)} s]`,
);
if (wc) console.log(`  wc -l:                 [${wcTime.toFixed(3)} s wall = ${(mb / wcTime).toFixed(0)} MB/s]`);
console.log(
  `  parseTriplets:         ${read.seconds.toFixed(3)} s = ${(mb / read.seconds).toFixed(0)} MB/s = ` +
    `${(read.seconds / count.seconds).toFixed(1)}× the plain count [${read.wall.toFixed(3)} s]; ` +
    `~${perRating.toFixed(0)} bytes per rating kept (heap + arrays)`,
);
