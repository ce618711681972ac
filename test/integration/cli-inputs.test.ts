import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { runMain, type MainResult } from '../helpers/main.ts';
import { createReadProgress } from '../../src/cli/progress.ts';

// Endless and odd inputs: every one stops at a stated bound with one line (no stack trace, no output file), pipes
// keep working, and an output that is appended to must be a regular file.
const root = fileURLToPath(new URL('../..', import.meta.url));
const dir = mkdtempSync(join(tmpdir(), 'mcomplete-inputs-'));
const ratings = join(dir, 'r.csv');
writeFileSync(ratings, 'u,i,r\n1,1,4\n1,2,3\n2,1,5\n2,2,2\n3,1,1\n3,2,4\n');
const query = join(dir, 'q.csv');
writeFileSync(query, 'u,i\n1,1\n3,2\n');

/** Exit code `code` and exactly one line on stderr, no stack trace, matching `message`. */
function oneLine(r: { code: number | null; stderr: string }, code: number, message: RegExp): void {
  assert.equal(r.code, code, r.stderr);
  const lines = r.stderr.trimEnd().split('\n');
  assert.equal(lines.length, 1, r.stderr);
  assert.doesNotMatch(r.stderr, /\n\s+at /);
  assert.match(lines[0], message);
}

const devices = existsSync('/dev/zero') && existsSync('/dev/urandom');

test(
  'complete /dev/zero, /dev/urandom and --query /dev/zero stop at a stated bound with one line',
  { skip: !devices },
  async () => {
    const out = join(dir, 'p.csv');
    let r: MainResult = await runMain(['complete', '/dev/zero', '--quiet']);
    oneLine(r, 1, /^mcomplete: \/dev\/zero, line 1: a line longer than 1,000,000 characters/);
    r = await runMain(['complete', '/dev/zero', '--dense', '--quiet']);
    oneLine(r, 1, /^mcomplete: \/dev\/zero, line 1: a line longer than 1,000,000 characters/);
    r = await runMain(['complete', '/dev/zero', '--max-input-bytes', '64K', '--quiet']);
    oneLine(
      r,
      1,
      /^mcomplete: \/dev\/zero: larger than 64 KiB, the limit for this input .*--max-input-bytes raises the limit/,
    );
    r = await runMain(['complete', '/dev/urandom', '--quiet']);
    oneLine(r, 1, /^mcomplete: \/dev\/urandom(, line \d+)?: /);
    r = await runMain(['complete', '/dev/urandom', '--max-input-bytes', '1M', '--dense', '--quiet']);
    oneLine(r, 1, /^mcomplete: \/dev\/urandom/);
    r = await runMain(['complete', ratings, '--query', '/dev/zero', '--out', out, '--quiet']);
    oneLine(r, 1, /^mcomplete: \/dev\/zero, line 1: a line longer than/);
    assert.ok(!existsSync(out), 'no output file');
    r = await runMain([
      'complete',
      ratings,
      '--query',
      '/dev/zero',
      '--out',
      out,
      '--max-input-bytes',
      '2M',
      '--quiet',
    ]);
    oneLine(r, 1, /^mcomplete: \/dev\/zero: larger than 2 MiB/);
  },
);

test('a file larger than --max-input-bytes is refused, named, with the flag that raises the limit', async () => {
  const big = join(dir, 'big.csv');
  writeFileSync(big, `u,i,r\n${'1,1,1\n'.repeat(2000)}`);
  const r = await runMain(['complete', big, '--max-input-bytes', '4K', '--quiet']);
  oneLine(r, 1, new RegExp(`^mcomplete: ${big.replace(/[.]/g, '\\.')}: larger than 4 KiB`));
  const bad = await runMain(['complete', ratings, '--max-input-bytes', '1.5G']);
  assert.equal(bad.code, 2, bad.stderr);
  assert.match(bad.stderr, /--max-input-bytes/);
});

test('sweep /dev/zero stops at the spec limit with one line (a usage error)', { skip: !devices }, async () => {
  const r = await runMain(['sweep', '/dev/zero', '--out', join(dir, 'z.jsonl'), '--quiet']);
  oneLine(r, 2, /^mcomplete: \/dev\/zero: cannot read the spec \(larger than 16 MiB, the limit for a spec file\)/);
});

test('a pipe as the observed file (/dev/stdin) still works', { skip: !existsSync('/dev/stdin') }, () => {
  const out = join(dir, 'piped.csv');
  const cli = `${JSON.stringify(process.execPath)} --import tsx src/cli/entry.ts`;
  const r = spawnSync(
    'sh',
    [
      '-c',
      `cat "$1" | ${cli} complete /dev/stdin --query "$2" --out "$3" --quiet --method soft-impute`,
      'sh',
      ratings,
      query,
      out,
    ],
    { cwd: root, encoding: 'utf8', timeout: 120_000 },
  );
  assert.equal(r.status, 0, r.stderr);
  assert.deepEqual(readFileSync(out, 'utf8').trim().split('\n'), ['u,i,r', '1,1,4', '3,2,4']);
});

test('a FIFO as --out with --resume is refused at once, not waited on', () => {
  const fifo = join(dir, 'fifo');
  const made = spawnSync('mkfifo', [fifo]);
  if (made.status !== 0) return;
  assert.ok(statSync(fifo).isFIFO());
  const r = spawnSync(
    process.execPath,
    [
      '--import',
      'tsx',
      'src/cli/entry.ts',
      'sweep',
      join(root, 'examples/small-sweep.json'),
      '--out',
      fifo,
      '--resume',
      '--quiet',
    ],
    { cwd: root, encoding: 'utf8', timeout: 60_000 },
  );
  assert.equal(r.signal, null, 'it returned instead of blocking until the timeout');
  oneLine(
    { code: r.status, stderr: r.stderr },
    1,
    /fifo: is not a regular file \(a pipe, a device or a socket\): --out is read back and appended to/,
  );
});

test('reading progress: a bar on a terminal, a line every few seconds elsewhere (bytes, lines, MB/s)', () => {
  const written: string[] = [];
  const fake = (isTTY: boolean) =>
    ({
      isTTY,
      columns: 120,
      write: (s: string) => (written.push(s), true),
      cursorTo() {},
      clearLine() {},
      moveCursor() {},
    }) as unknown as NodeJS.WriteStream;
  const plain = createReadProgress('r.csv', { totalBytes: 2e6, stream: fake(false), intervalSeconds: 0 });
  plain.update({ bytes: 1e6, lines: 1000 });
  plain.stop();
  assert.match(written.join(''), /^reading r\.csv: 1\.0 of 2\.0 MB \(50\.0%\), 1,000 lines, [\d.]+ MB\/s, [\d.]+ s\n$/);
  written.length = 0;
  const pipe = createReadProgress('/dev/stdin', { totalBytes: null, stream: fake(false), intervalSeconds: 0 });
  pipe.update({ bytes: 3e6, lines: 7 });
  assert.match(written.join(''), /^reading \/dev\/stdin: 3\.0 MB, 7 lines/);
  written.length = 0;
  const bar = createReadProgress('r.csv', { totalBytes: 2e6, stream: fake(true) });
  bar.update({ bytes: 1e6, lines: 1000 });
  bar.stop();
  assert.match(written.join(''), /reading r\.csv .*50% \| 1\.0 of 2\.0 MB \| 1,000 lines/);
  written.length = 0;
  const quiet = createReadProgress('r.csv', { totalBytes: 2e6, stream: fake(false), quiet: true, intervalSeconds: 0 });
  quiet.update({ bytes: 1e6, lines: 1 });
  assert.deepEqual(written, []);
});
