// The collector under fault injection (test/helpers/queue-faults.ts): seeded random schedules of worker kills,
// collector kills and restarts, Redis restarts and duplicate collectors; after each the results file holds every
// run exactly once with the local pool's metrics, or the collector stopped with one line (then resumed). 30
// schedules here (MCOMPLETE_FAULT_SCHEDULES=N for more); bench/queue-faults.ts runs 300.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sweep } from '../../src/sweep/sweep.ts';
import { haveRedisServer, startRedis, type TestRedis } from '../helpers/redis.ts';
import { FAULT_SPEC, startFaultHarness, type FaultHarness } from '../helpers/queue-faults.ts';

const skip = haveRedisServer() ? false : 'no redis-server binary on the PATH (Debian: apt-get install redis-server)';
const SCHEDULES = Number(process.env.MCOMPLETE_FAULT_SCHEDULES ?? 30);

describe('the collector under fault injection', { skip }, () => {
  const dir = mkdtempSync(join(tmpdir(), 'mcomplete-queue-faults-'));
  let redis: TestRedis;
  let harness: FaultHarness;

  before(async () => {
    redis = await startRedis();
    const local = (await sweep(FAULT_SPEC, { out: join(dir, 'local.jsonl'), workers: 1 })).records;
    harness = await startFaultHarness({ redis, dir, local });
  });
  after(async () => {
    await harness?.close();
    await redis?.stop();
  });

  test(
    `${SCHEDULES} seeded schedules: every run exactly once, or a one-line stop (then resumed)`,
    { timeout: 900_000 },
    async (t) => {
      const kinds = new Set<string>();
      for (let seed = 1; seed <= SCHEDULES; seed++) {
        const outcome = await harness.runSchedule(seed);
        t.diagnostic(
          `seed ${seed}: ${outcome.events.join(', ')}; ${outcome.collectors} collectors; ${outcome.seconds.toFixed(1)} s${outcome.stopped.length ? `; stopped: ${outcome.stopped.join(' | ')}` : ''}`,
        );
        for (const e of outcome.events) kinds.add(e.split('@')[0]);
      }
      // Every kind of fault was drawn at least once.
      assert.deepEqual([...kinds].sort(), ['duplicate-collector', 'kill-collector', 'kill-worker', 'restart-redis']);
    },
  );
});
