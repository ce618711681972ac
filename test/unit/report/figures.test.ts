// The claims report's figures stay readable: at most MAX_SERIES series a panel, each with its own colour and marker,
// legends in the order of the lines' right ends, and a method in the same colour in every figure.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { QUICK_CLAIMS } from '../../../src/study/claims.ts';
import { expandSweep } from '../../../src/sweep/spec.ts';
import type { RunRecord } from '../../../src/sweep/execute.ts';
import { errorVsSamples, finalSpectra, MAX_SERIES, rankVsSamples } from '../../../src/report/figures.ts';

/** A record for every run of the quick claims sweep (not run: made-up metrics that differ by method, m and seed). */
function quickClaimsRecords(): RunRecord[] {
  const tasks = expandSweep(QUICK_CLAIMS.spec);
  const names = [...new Set(tasks.map((t) => t.name))];
  return tasks.map((t) => {
    const k = names.indexOf(t.name);
    const relError = 10 ** -((k * 7) % 16) * (1 + 0.1 * t.settings.seed) * (300 / t.settings.samples);
    return {
      version: '9.9.9',
      sweep: QUICK_CLAIMS.spec.name,
      key: t.key,
      name: t.name,
      method: t.settings.method ?? 'gradient',
      n: t.settings.n,
      rank: t.settings.rank,
      samples: t.settings.samples,
      seed: t.settings.seed,
      settings: t.settings,
      recordSpectrumEvery: t.recordSpectrumEvery,
      metrics: { relError, relErrorUnobserved: relError, trainMSE: 0, effectiveRank: 2 + (k % 5), nuclearNorm: 1, ratio: 1, iterations: 1, seconds: 0, stopReason: 'max-iters' },
      finalSpectrum: [30, 15, 10 ** -(k % 7)],
      finishedAt: '2026-01-01T00:00:00.000Z',
    } as RunRecord;
  });
}

interface Scale {
  domain: string[];
  range: string[];
}
type Json = Record<string, unknown>;

/** Each panel of a figure's spec (the figure itself when it has one): its colour and shape scales and its data. */
function panels(figureSpec: unknown): { color: Scale; shape: Scale; layers: Json[] }[] {
  const spec = figureSpec as Json;
  const views = (spec.vconcat as Json[] | undefined) ?? [spec];
  return views.map((v) => {
    const layers = v.layer as Json[];
    const enc = layers.map((l) => l.encoding as Json).find((e) => e.shape !== undefined)!;
    return { color: (enc.color as Json).scale as Scale, shape: (enc.shape as Json).scale as Scale, layers };
  });
}

const records = quickClaimsRecords();
const methods = [...new Set(records.map((r) => r.name))];

test('the quick claims have more series than one panel holds (else this test checks nothing)', () => {
  assert.ok(methods.length > MAX_SERIES, `${methods.length} methods`);
});

for (const figure of [errorVsSamples, rankVsSamples]) {
  test(`${figure.name}: at most ${MAX_SERIES} series a panel, each its own colour and its own marker, every method once`, () => {
    const ps = panels(figure(records).spec);
    assert.ok(ps.length > 1);
    const seen: string[] = [];
    for (const p of ps) {
      assert.ok(p.color.domain.length <= MAX_SERIES, `a panel of ${p.color.domain.length} series`);
      assert.deepEqual(p.shape.domain, p.color.domain, 'one legend: colour and shape over the same series in the same order');
      assert.equal(p.color.range.length, p.color.domain.length);
      assert.equal(new Set(p.color.range).size, p.color.range.length, `colours repeat in ${p.color.domain}`);
      assert.equal(new Set(p.shape.range).size, p.shape.range.length, `markers repeat in ${p.color.domain}`);
      seen.push(...p.color.domain);
      // The panel draws only its own series.
      for (const l of p.layers) {
        const values = ((l.data as Json).values as Json[]).filter((d) => 'method' in d);
        for (const d of values) assert.ok(p.color.domain.includes(d.method as string), `${d.method} drawn outside its panel`);
      }
    }
    assert.deepEqual([...seen].sort(), [...methods].sort(), 'every method in exactly one panel');
  });
}

test('error vs samples: each legend lists its series by their mean at their largest m, highest first', () => {
  for (const p of panels(errorVsSamples(records).spec)) {
    const last = (name: string): number => {
      const mine = records.filter((r) => r.name === name);
      const m = Math.max(...mine.map((r) => r.samples));
      const at = mine.filter((r) => r.samples === m).map((r) => r.metrics!.relError);
      return at.reduce((a, b) => a + b, 0) / at.length;
    };
    const ends = p.color.domain.map(last);
    for (let i = 1; i < ends.length; i++) assert.ok(ends[i - 1] >= ends[i], `${p.color.domain[i - 1]} listed before ${p.color.domain[i]}`);
  }
});

test('a method has the same colour and marker in every figure, and in the final spectra (named by its run)', () => {
  const look = (spec: unknown, name: (s: string) => string): Map<string, string> => {
    const out = new Map<string, string>();
    for (const p of panels(spec)) p.color.domain.forEach((s, i) => out.set(name(s), `${p.color.range[i]} ${p.shape.range[i]}`));
    return out;
  };
  const err = look(errorVsSamples(records).spec, (s) => s);
  const rank = look(rankVsSamples(records).spec, (s) => s);
  const runs = methods.map((m) => records.find((r) => r.name === m && r.samples === 270 && r.seed === 0) ?? records.find((r) => r.name === m)!);
  const spectra = look(finalSpectra(runs).spec, (s) => s.replace(/ \(m=\d+, seed \d+\)$/, ''));
  assert.equal(err.size, methods.length);
  assert.deepEqual(rank, err);
  assert.deepEqual(spectra, err);
});
