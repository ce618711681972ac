// Distributed sweeps on a real Redis (BullMQ): real collector and `mcomplete worker` processes against a
// redis-server of the test's own on a loopback port. Skipped, saying so, only when no redis-server binary exists.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { createServer, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Queue } from 'bullmq';
import { validateSweepSpec, expandSweep, type SweepSpec } from '../../src/sweep/spec.ts';
import { sweep } from '../../src/sweep/sweep.ts';
import { readResults } from '../../src/sweep/results.ts';
import type { RunRecord } from '../../src/sweep/execute.ts';
import { bullQueueName, redisTarget, type QueueJobData } from '../../src/sweep/queue.ts';
import { packageVersion } from '../../src/sweep/version.ts';
import { freePort, haveRedisServer, selfSignedCertificate, startRedis, type TestRedis } from '../helpers/redis.ts';
import { startCli, type CliProcess } from '../helpers/cli-process.ts';
import { runCli } from '../helpers/cli.ts';

const PASSWORD = 'pw-Zq81x';
const dir = mkdtempSync(join(tmpdir(), 'mcomplete-queue-'));
const skip = haveRedisServer() ? false : 'no redis-server binary on the PATH (Debian: apt-get install redis-server)';

// n = 20: 2 methods × 2 sample counts × 5 seeds + 5 diverging runs = 25 runs; the Adam runs take a few tenths of a
// second each.
const small: SweepSpec = validateSweepSpec(
  {
    name: 'queue-small',
    n: 20,
    rank: 2,
    samples: [100, 140],
    seeds: [0, 1, 2, 3, 4],
    recordSpectrumEvery: 1000,
    methods: [
      { name: 'adam', method: 'gradient', lambda: 1e-3, lr: 3e-3, maxIters: 2500 },
      { name: 'nm', method: 'nuclear-min', maxIters: 300 },
      // Diverges within a few hundred steps: a record with `error`, like in a local sweep.
      { name: 'sgd-diverges', method: 'gradient', optimizer: 'sgd', lr: 1e4, maxIters: 300, samples: [100] },
    ],
  },
  'small.json',
);
const smallFile = join(dir, 'small.json');
writeFileSync(smallFile, JSON.stringify(small));

// Two quick nuclear-min runs.
const tiny: SweepSpec = { ...small, name: 'queue-tiny', seeds: [0, 1], samples: [100], methods: [small.methods[1]] };
const tinyFile = join(dir, 'tiny.json');
writeFileSync(tinyFile, JSON.stringify(tiny));

/** Records by key without their timing fields (finishedAt, metrics.seconds), for comparing two sweeps. */
function byKey(records: RunRecord[]): Map<string, unknown> {
  return new Map(
    records.map(({ finishedAt: _t, metrics, ...r }) => {
      const { seconds: _s, ...untimed } = metrics ?? {};
      return [r.key, { ...r, metrics: metrics ? untimed : null }];
    }),
  );
}

/** Assert that `file` holds every run of `spec` exactly once, equal field for field (but timing) to `expected`. */
function assertExactlyOnce(file: string, expected: RunRecord[]): void {
  const { records, partialBytes } = readResults(file);
  assert.equal(partialBytes, 0);
  const keys = records.map((r) => r.key);
  assert.equal(keys.length, expected.length, `expected ${expected.length} records, got ${keys.length}`);
  assert.equal(new Set(keys).size, keys.length, 'a run is in the file twice');
  assert.deepEqual(byKey(records), byKey(expected));
}

describe('distributed sweeps on BullMQ (Redis)', { skip }, () => {
  let redis: TestRedis;
  let url: string;
  let local: RunRecord[];
  const env = { MCOMPLETE_REDIS_PASSWORD: PASSWORD };
  const started: CliProcess[] = [];
  const cli = (args: string[], extraEnv: NodeJS.ProcessEnv = {}): CliProcess => {
    const p = startCli(args, { ...env, ...extraEnv });
    started.push(p);
    return p;
  };
  const worker = (queueName: string, extra: string[] = [], extraEnv: NodeJS.ProcessEnv = {}): CliProcess =>
    cli(['worker', '--queue', url, '--queue-name', queueName, '--lock-seconds', '2', ...extra], extraEnv);

  before(async () => {
    redis = await startRedis({ password: PASSWORD });
    url = redis.url;
    const out = join(dir, 'local.jsonl');
    local = (await sweep(small, { out, workers: 2 })).records;
    assert.equal(local.length, 25);
    assert.equal(local.filter((r) => r.error !== undefined && r.name === 'sgd-diverges').length, 5);
  });

  after(async () => {
    for (const p of started) p.kill('SIGKILL');
    await Promise.all(started.map((p) => p.exited));
    await redis?.stop();
  });

  test('unreachable Redis, a wrong or missing password: one line on stderr, exit 1, no password shown, no results file', async () => {
    const closed = await freePort();
    const out = join(dir, 'never.jsonl');
    // The four commands run at once (each would otherwise wait for the others' start-up).
    const t0 = Date.now();
    const run = async (args: string[]): Promise<{ code: number | string; stderr: string }> => {
      const p = startCli(args, { MCOMPLETE_REDIS_PASSWORD: '' });
      return { code: await p.exited, stderr: p.stderr() };
    };
    // Something that accepts connections and never answers (a wrong host or port): bounded by the probe's timeout.
    const silent = createServer(() => {});
    await new Promise<void>((r) => silent.listen(0, '127.0.0.1', r));
    const silentPort = (silent.address() as AddressInfo).port;
    const [unreachable, claims, wrong, none, bad, mute] = await Promise.all([
      run(['sweep', smallFile, '--queue', `redis://:${PASSWORD}@127.0.0.1:${closed}`, '--out', out, '--quiet']),
      run(['claims', '--queue', `redis://127.0.0.1:${closed}`, '--out', join(dir, 'claims-never'), '--quiet']),
      run(['worker', '--queue', `redis://:wrong-${PASSWORD}@127.0.0.1:${redis.port}`]),
      run(['sweep', smallFile, '--queue', url, '--out', out, '--quiet']),
      run(['worker', '--queue', 'http://127.0.0.1:1']),
      run(['worker', '--queue', `redis://127.0.0.1:${silentPort}`]),
    ]);
    silent.close();
    assert.equal(mute.code, 1);
    assert.equal(mute.stderr, `mcomplete: cannot reach Redis at redis://127.0.0.1:${silentPort}: timed out\n`);
    // Bounded (ioredis alone would retry for ever); generous, as six processes start at once on a loaded machine.
    assert.ok(Date.now() - t0 < 60_000);
    assert.equal(unreachable.code, 1);
    assert.equal(
      unreachable.stderr,
      `mcomplete: cannot reach Redis at redis://:***@127.0.0.1:${closed}: connection refused\n`,
    );
    assert.equal(claims.code, 1);
    assert.equal(claims.stderr, `mcomplete: cannot reach Redis at redis://127.0.0.1:${closed}: connection refused\n`);
    assert.equal(wrong.code, 1);
    assert.equal(wrong.stderr, `mcomplete: Redis at redis://:***@127.0.0.1:${redis.port} refused the password\n`);
    assert.equal(none.code, 1);
    assert.match(
      none.stderr,
      /^mcomplete: Redis at redis:\/\/127\.0\.0\.1:\d+ needs a password \(put it in the URL or in MCOMPLETE_REDIS_PASSWORD\)\n$/,
    );
    assert.equal(existsSync(out), false);
    assert.equal(bad.code, 2);
    assert.match(bad.stderr, /--queue <url>.*expected redis:\/\/host:port/);
  });

  test('a collector and two worker processes: every run once, the same records as a local --workers 2 sweep', async () => {
    const w1 = worker('clean');
    const w2 = worker('clean');
    await Promise.all([w1.waitForStderr(/waiting for runs/), w2.waitForStderr(/waiting for runs/)]);
    const out = join(dir, 'clean.jsonl');
    const collector = cli(['sweep', smallFile, '--queue', url, '--queue-name', 'clean', '--out', out]);
    assert.equal(await collector.exited, 0, collector.stderr());
    assert.match(collector.stderr(), /25 runs in .* s \(0 skipped, 5 diverged\)/);
    assert.match(collector.stdout(), /^method +m +relError/);
    assertExactlyOnce(out, local);
    // Both workers took runs, and SIGTERM lets each finish and exit 0.
    for (const w of [w1, w2]) {
      assert.match(w.stderr(), /finished /);
      w.kill('SIGTERM');
      assert.equal(await w.exited, 0, w.stderr());
      assert.match(w.stderr(), /stopped after \d+ runs/);
    }
    for (const p of [collector, w1, w2]) assert.ok(!(p.stderr() + p.stdout()).includes(PASSWORD));
  });

  test('SIGKILL a worker mid-run and the collector mid-sweep: the run is retried elsewhere, the file holds every run once', async () => {
    const w1 = worker('kill');
    const w2 = worker('kill');
    await Promise.all([w1.waitForStderr(/waiting for runs/), w2.waitForStderr(/waiting for runs/)]);
    const out = join(dir, 'kill.jsonl');
    const c1 = cli(['sweep', smallFile, '--queue', url, '--queue-name', 'kill', '--out', out, '--quiet']);
    // w1 is in the middle of its second run when it is killed.
    await w1.waitForStderr(/started[^\n]*\n[\s\S]*started ([^\n]*)\n/);
    w1.kill('SIGKILL');
    assert.equal(await w1.exited, 'SIGKILL');
    const startedRuns = [...w1.stderr().matchAll(/started ([^\n]*)\n/g)].map((m) => m[1]);
    const lostRun = startedRuns.find((r) => !w1.stderr().includes(`finished ${r} in`));
    assert.ok(lostRun, `w1 had no run in progress:\n${w1.stderr()}`);
    // The collector is killed after a few records; w2 keeps working meanwhile.
    while (readResults(out).records.length < 4) await new Promise((r) => setTimeout(r, 25));
    c1.kill('SIGKILL');
    assert.equal(await c1.exited, 'SIGKILL');
    await new Promise((r) => setTimeout(r, 500));
    const c2 = cli(['sweep', smallFile, '--queue', url, '--queue-name', 'kill', '--out', out, '--resume']);
    assert.equal(await c2.exited, 0, c2.stderr());
    assert.match(c2.stderr(), /runs already in .*kill\.jsonl, skipped/);
    assertExactlyOnce(out, local);
    // The run w1 lost went back to the queue (stalled-job check, lock 2 s) and w2 finished it.
    assert.match(w2.stderr(), new RegExp(`finished ${lostRun.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')} in`));
    w2.kill('SIGTERM');
    assert.equal(await w2.exited, 0);
  });

  test('a worker of another version is refused and leaves the runs queued; a queue of another sweep is refused', async () => {
    const other = { MCOMPLETE_TEST_VERSION: '0.0.0-other' };
    // This one waits before any collector claimed the queue, takes a job, sees its version and puts it back.
    const early = worker('ver', [], other);
    await early.waitForStderr(/waiting for runs/);
    const out = join(dir, 'ver.jsonl');
    const collector = cli(['sweep', tinyFile, '--queue', url, '--queue-name', 'ver', '--out', out]);
    const refusal = `queue "ver" holds runs of mcomplete ${packageVersion()} (sweep "queue-tiny") but this worker is mcomplete 0.0.0-other`;
    assert.equal(await early.exited, 1);
    assert.ok(early.stderr().includes(`mcomplete: ${refusal}`), early.stderr());
    // This one is refused at once: the queue's owner says which version its runs need.
    const late = worker('ver', [], other);
    assert.equal(await late.exited, 1);
    assert.ok(
      late
        .stderr()
        .endsWith(
          `mcomplete: ${refusal}; start workers of version ${packageVersion()} (records of two versions are not mixed)\n`,
        ),
      late.stderr(),
    );
    const queue = new Queue(bullQueueName('ver'), { connection: { ...redisTarget(url, env).options } });
    const { waiting, active, completed, failed } = await queue.getJobCounts('waiting', 'active', 'completed', 'failed');
    await queue.close();
    assert.deepEqual({ waiting, active, completed, failed }, { waiting: 2, active: 0, completed: 0, failed: 0 });
    // Another sweep on the same queue name is refused while this one has runs there.
    const clash = runCli([
      'sweep',
      smallFile,
      '--queue',
      url.replace('//', `//:${PASSWORD}@`),
      '--queue-name',
      'ver',
      '--out',
      join(dir, 'clash.jsonl'),
    ]);
    assert.equal(clash.code, 1);
    assert.match(
      clash.stderr,
      /^mcomplete: queue "ver" \(mcomplete-ver\) on redis:\/\/:\*\*\*@127\.0\.0\.1:\d+ holds 2 jobs of another sweep \("queue-tiny", mcomplete [^)]+\); let its collector finish, or pass --queue-name to use another queue\n$/,
    );
    // A worker of the right version finishes the sweep.
    const good = worker('ver');
    assert.equal(await collector.exited, 0, collector.stderr());
    const expected = expandSweep(tiny);
    assert.deepEqual(
      readResults(out)
        .records.map((r) => r.key)
        .sort(),
      expected.map((t) => t.key).sort(),
    );
    good.kill('SIGTERM');
    assert.equal(await good.exited, 0);
  });

  test('Ctrl-C on the collector pauses the queue and keeps its runs; rerunning with --resume finishes the sweep', async () => {
    const out = join(dir, 'pause.jsonl');
    const target = `redis://:${PASSWORD}@127.0.0.1:${redis.port}`;
    const collector = cli(['sweep', tinyFile, '--queue', target, '--queue-name', 'pause', '--out', out]);
    const queue = new Queue(bullQueueName('pause'), { connection: { ...redisTarget(url, env).options } });
    try {
      while ((await queue.getJobCounts('waiting')).waiting < 2) await new Promise((r) => setTimeout(r, 50));
      collector.kill('SIGINT');
      assert.equal(await collector.exited, 130);
      assert.match(collector.stderr(), /mcomplete: pausing the queue/);
      assert.ok(
        collector
          .stderr()
          .includes(
            `resume with: mcomplete sweep ${tinyFile} --queue redis://:***@127.0.0.1:${redis.port} --queue-name pause --out ${out} --resume\n`,
          ),
        collector.stderr(),
      );
      assert.ok(!collector.stderr().includes(PASSWORD));
      assert.equal(await queue.isPaused(), true);
      const held = await queue.getJobCounts('waiting', 'paused', 'active', 'completed');
      assert.equal(held.waiting + held.paused, 2);
      assert.equal(held.active + held.completed, 0);
      const w = worker('pause');
      const again = cli(['sweep', tinyFile, '--queue', url, '--queue-name', 'pause', '--out', out, '--resume']);
      assert.equal(await again.exited, 0, again.stderr());
      assert.equal(readResults(out).records.length, 2);
      assert.equal(await queue.isPaused(), false);
      w.kill('SIGTERM');
      assert.equal(await w.exited, 0);
    } finally {
      await queue.close();
    }
  });

  test('rediss:// (TLS): a sweep through a TLS-only redis-server; an untrusted certificate is a one-line error', async (t) => {
    const certs = selfSignedCertificate(dir);
    if (!certs) return t.skip('no openssl to make a certificate');
    let tls: TestRedis;
    try {
      tls = await startRedis({ password: PASSWORD, tls: certs });
    } catch {
      return t.skip('this redis-server has no TLS support');
    }
    try {
      assert.match(tls.url, /^rediss:\/\//);
      const trust = { NODE_EXTRA_CA_CERTS: certs.cert };
      const out = join(dir, 'tls.jsonl');
      const untrusted = cli(['worker', '--queue', tls.url]);
      const w = cli(['worker', '--queue', tls.url, '--queue-name', 'tls'], trust);
      const collector = cli(['sweep', tinyFile, '--queue', tls.url, '--queue-name', 'tls', '--out', out], trust);
      assert.equal(await collector.exited, 0, collector.stderr());
      assert.equal(readResults(out).records.length, 2);
      w.kill('SIGTERM');
      assert.equal(await w.exited, 0);
      assert.equal(await untrusted.exited, 1);
      assert.match(
        untrusted.stderr(),
        /^mcomplete: Redis at rediss:\/\/127\.0\.0\.1:\d+: TLS certificate not trusted \(.*NODE_EXTRA_CA_CERTS=ca\.pem\)\n$/,
      );
      const plain = cli(['worker', '--queue', tls.url.replace('rediss:', 'redis:')]);
      assert.equal(await plain.exited, 1);
      assert.match(
        plain.stderr(),
        /^mcomplete: cannot reach Redis at redis:\/\/127\.0\.0\.1:\d+: the server closed the connection \(if it speaks only TLS, use rediss:\/\/\)\n$/,
      );
    } finally {
      await tls.stop();
    }
  });

  test('a run that throws on a worker fails without retry and stops the collector (exit 1); --resume runs it again', async () => {
    const out = join(dir, 'throws.jsonl');
    const collector = cli(['sweep', tinyFile, '--queue', url, '--queue-name', 'throws', '--out', out]);
    const queue = new Queue(bullQueueName('throws'), { connection: { ...redisTarget(url, env).options } });
    try {
      while ((await queue.getJobCounts('waiting')).waiting < 2) await new Promise((r) => setTimeout(r, 50));
      // Break one queued run (an unknown method makes runSynthetic throw, which is not divergence).
      const [job] = await queue.getJobs(['waiting'], 0, 0);
      const data = job.data as QueueJobData;
      await job.updateData({
        ...data,
        task: { ...data.task, settings: { ...data.task.settings, method: 'no-such-method' } },
      } as unknown as QueueJobData);
      const w = worker('throws');
      assert.equal(await collector.exited, 1);
      const line = `run nm m=100 seed ${data.task.settings.seed} failed on a worker: `;
      assert.ok(
        collector.stderr().includes(`\nmcomplete: ${line}`) || collector.stderr().startsWith(`mcomplete: ${line}`),
        collector.stderr(),
      );
      assert.match(collector.stderr(), /\(the queue is paused; rerun with --resume to retry it\)\n$/);
      assert.equal((await queue.getJobCounts('failed')).failed, 1);
      assert.ok(readResults(out).records.length <= 1); // the other run, if the collector saw it before the failure
      // Mend the run and resume: the failed job goes back to the queue and runs once.
      const failed = (await queue.getJobs(['failed']))[0];
      await failed.updateData(data);
      const again = cli(['sweep', tinyFile, '--queue', url, '--queue-name', 'throws', '--out', out, '--resume']);
      assert.equal(await again.exited, 0, again.stderr());
      const keys = readResults(out)
        .records.map((r) => r.key)
        .sort();
      assert.deepEqual(
        keys,
        expandSweep(tiny)
          .map((t) => t.key)
          .sort(),
      );
      w.kill('SIGTERM');
      assert.equal(await w.exited, 0);
    } finally {
      await queue.close();
    }
  });

  test('a collector killed between appending a record and removing its job: the restart does not write it twice', async () => {
    const out = join(dir, 'window.jsonl');
    const queue = new Queue(bullQueueName('window'), { connection: { ...redisTarget(url, env).options } });
    try {
      // Enqueue, then kill the collector before any worker runs.
      const first = cli(['sweep', tinyFile, '--queue', url, '--queue-name', 'window', '--out', out]);
      while ((await queue.getJobCounts('waiting')).waiting < 2) await new Promise((r) => setTimeout(r, 50));
      first.kill('SIGKILL');
      await first.exited;
      const w = worker('window');
      while ((await queue.getJobCounts('completed')).completed < 2) await new Promise((r) => setTimeout(r, 50));
      // The crash window: one record is in the file, its job still in Redis.
      const [done] = await queue.getJobs(['completed'], 0, 0);
      writeFileSync(out, `${JSON.stringify(done.returnvalue)}\n`);
      const again = cli(['sweep', tinyFile, '--queue', url, '--queue-name', 'window', '--out', out, '--resume']);
      assert.equal(await again.exited, 0, again.stderr());
      assert.match(again.stderr(), /1 of 2 runs already in .*window\.jsonl, skipped/);
      const keys = readResults(out)
        .records.map((r) => r.key)
        .sort();
      assert.deepEqual(
        keys,
        expandSweep(tiny)
          .map((t) => t.key)
          .sort(),
      );
      const left = await queue.getJobCounts();
      assert.ok(
        Object.values(left).every((c) => c === 0),
        JSON.stringify(left),
      ); // every job collected and removed
      w.kill('SIGTERM');
      assert.equal(await w.exited, 0);
    } finally {
      await queue.close();
    }
  });
});
