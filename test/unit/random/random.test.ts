import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createRng, deriveRng, fillNormal } from '../../../src/random/index.ts';

test('same seed gives the same stream, another seed another', () => {
  const a = createRng(42);
  const b = createRng(42);
  const c = createRng(43);
  const xs = Array.from({ length: 100 }, () => a.uniform());
  assert.deepEqual(
    xs,
    Array.from({ length: 100 }, () => b.uniform()),
  );
  assert.notDeepEqual(
    xs,
    Array.from({ length: 100 }, () => c.uniform()),
  );
});

test('uniforms match the reference MT19937 stream (numpy RandomState(0).random_sample())', () => {
  // numpy's legacy generator builds 53-bit doubles from two MT19937 outputs as (a>>5)·2^26 + (b>>6), as we do.
  const r = createRng(0);
  assert.equal(r.uniform(), 0.5488135039273248);
  assert.equal(r.uniform(), 0.7151893663724195);
  assert.equal(r.uniform(), 0.6027633760716439);
});

test('uniform is in [0,1) and normal has mean 0, variance 1', () => {
  const r = createRng(7);
  let mean = 0;
  let sq = 0;
  const N = 200_000;
  for (let i = 0; i < N; i++) {
    const u = r.uniform();
    assert.ok(u >= 0 && u < 1);
    const z = r.normal();
    mean += z;
    sq += z * z;
  }
  mean /= N;
  const variance = sq / N - mean * mean;
  assert.ok(Math.abs(mean) < 0.01, `mean ${mean}`);
  assert.ok(Math.abs(variance - 1) < 0.02, `variance ${variance}`);
});

test('int(n) covers 0..n-1 evenly and rejects bad n', () => {
  const r = createRng(3);
  const counts = new Array(5).fill(0);
  for (let i = 0; i < 50_000; i++) counts[r.int(5)]++;
  for (const c of counts) assert.ok(Math.abs(c - 10_000) < 500, `counts ${counts}`);
  assert.throws(() => r.int(0), /positive integer/);
});

test('derived streams are reproducible and independent of each other', () => {
  const d1 = fillNormal(deriveRng(5, 'data'), new Float64Array(10));
  const d2 = fillNormal(deriveRng(5, 'data'), new Float64Array(10));
  const i1 = fillNormal(deriveRng(5, 'init'), new Float64Array(10));
  assert.deepEqual(d1, d2);
  assert.notDeepEqual(d1, i1);
  assert.throws(() => createRng(1.5), /integer/);
});
