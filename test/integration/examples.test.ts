// The TypeScript files of examples/ (the README's and docs/contributing.md's code as whole programs) run to the end
// from source, each printing one JSON object whose numbers are checked. test/unit/doc-snippets.test.ts keeps the
// docs' snippets equal to these files.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('../..', import.meta.url));

/** Run examples/<name> through tsx and parse the JSON object on the last line of its stdout. */
function runExample(name: string): Record<string, unknown> {
  const r = spawnSync(process.execPath, ['--import', 'tsx', `examples/${name}`], {
    cwd: root,
    encoding: 'utf8',
    timeout: 300_000,
  });
  assert.equal(r.status, 0, `examples/${name} exited with ${r.status ?? r.signal}: ${r.stderr}`);
  const lines = r.stdout.trim().split('\n');
  return JSON.parse(lines[lines.length - 1]) as Record<string, unknown>;
}

const finite = (x: unknown): number => {
  assert.equal(typeof x, 'number');
  assert.ok(Number.isFinite(x as number), `not finite: ${x}`);
  return x as number;
};

describe('examples/', () => {
  test('every TypeScript example has a test here', () => {
    const tested = ['complete.ts', 'custom-optimizer.ts', 'custom-penalty.ts', 'run-synthetic.ts'];
    assert.deepEqual(
      readdirSync(`${root}examples`)
        .filter((f) => f.endsWith('.ts'))
        .sort(),
      tested,
    );
  });

  test('complete.ts: complete() on a generated rank-2 ratings file predicts the unrated cells', () => {
    const out = runExample('complete.ts');
    finite(out.predict);
    const many = out.predictMany as { values: unknown[]; unknownCells: number };
    assert.equal(many.values.length, 2);
    many.values.forEach(finite);
    assert.equal(many.values[0], out.predict, 'predictMany agrees with predict on (1, 31)');
    assert.equal(many.unknownCells, 0);
    assert.ok((out.tried as number) > 1, 'auto tried several settings');
    assert.ok(finite(out.relErrorUnobserved) < 0.5, `relError on the unrated cells ${out.relErrorUnobserved}`);
  });

  test('run-synthetic.ts: Adam + L*/F recovers the quick problem', () => {
    const out = runExample('run-synthetic.ts');
    assert.equal(out.optimizer, 'adam');
    assert.equal(out.iterations, 12000);
    assert.ok(finite(out.relError) < 0.01, `relError ${out.relError}`);
  });

  test('custom-optimizer.ts: a chain with Lion trains (train MSE falls)', () => {
    const out = runExample('custom-optimizer.ts');
    assert.equal(out.iterations, 2000);
    assert.ok(finite(out.trainMSE) < finite(out.startMSE), `train MSE ${out.trainMSE} from ${out.startMSE}`);
  });

  test('custom-penalty.ts: N/s_1 is scale-invariant and its gradient matches finite differences', () => {
    const out = runExample('custom-penalty.ts');
    const value = finite(out.value);
    assert.ok(value >= 1 && value <= (out.rank as number), `R = ${value} outside [1, rank]`);
    assert.ok(finite(out.scaleGap) < 1e-10, `scale gap ${out.scaleGap}`);
    assert.ok(finite(out.cosine) < 1e-10, `cosine ${out.cosine}`);
    assert.ok(finite(out.fdError) < 1e-6, `finite differences ${out.fdError}`);
  });
});
