import { test } from 'node:test';
import assert from 'node:assert/strict';
import { renderReport } from '../../src/report/html.ts';
import type { RunRecord } from '../../src/sweep/execute.ts';

// docs/security.md: text from a results file is escaped in the report. A hand-made results file can put any JSON
// in any field; none of it may reach the page as markup.
test('report: markup in any field of a results record is escaped, not injected', async () => {
  const bad = '<script>alert(1)</script>';
  const record = {
    key: bad,
    name: bad,
    settings: { n: 10, rank: 1, samples: bad, seed: bad, lambda: bad },
    samples: bad,
    seed: bad,
    version: bad,
    recordSpectrumEvery: bad,
    metrics: { relError: 0.1, effectiveRank: 1 },
  } as unknown as RunRecord;
  const html = await renderReport([record], { title: bad, source: bad });
  assert.doesNotMatch(html, /<script/i);
  assert.match(html, /&lt;script&gt;alert\(1\)&lt;\/script&gt;/);
});
