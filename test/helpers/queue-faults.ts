// Fault injection for the queue's collector: seeded random schedules of worker kills, collector kills and restarts,
// Redis restarts (without persistence) and duplicate collectors on a small sweep, with real processes (SIGKILL) and
// a real redis-server. After every schedule the results file must hold each run exactly once, field for field (but
// timing) the records of the local pool, or the collector must have stopped with one line; a collector that stopped
// is resumed until the sweep completes. Used by test/integration/queue-faults.test.ts (>= 30 schedules) and
// bench/queue-faults.ts (>= 300).
import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Queue } from 'bullmq';
import prand from 'pure-rand';
import type { RunRecord } from '../../src/sweep/execute.ts';
import { readResults } from '../../src/sweep/results.ts';
import { expandSweep, validateSweepSpec, type SweepSpec } from '../../src/sweep/spec.ts';
import { bullQueueName, redisTarget } from '../../src/sweep/queue.ts';
import type { TestRedis } from './redis.ts';
import type { ActorOrder } from './queue-actor.ts';

const root = fileURLToPath(new URL('../..', import.meta.url));

/** The sweep of every schedule: six nuclear-min runs of a few tenths of a second (n = 20, 1000 iterations). */
export const FAULT_SPEC: SweepSpec = validateSweepSpec(
  {
    name: 'queue-faults',
    n: 20,
    rank: 2,
    samples: [100],
    seeds: [0, 1, 2, 3, 4, 5],
    methods: [{ name: 'nm', method: 'nuclear-min', maxIters: 1000, relTol: 1e-300 }],
  },
  'queue-faults.json',
);

/** The kinds of fault a schedule draws from. */
export const FAULTS = ['kill-worker', 'kill-collector', 'restart-redis', 'duplicate-collector'] as const;

/** What one schedule did. */
export interface ScheduleOutcome {
  seed: number;
  /** The faults, in order, each with the delay (ms) before it. */
  events: string[];
  /** Collectors that stopped on their own with one line (exit code and line), in order. */
  stopped: string[];
  /** Collectors started (the first, the restarts, the duplicates and the resumes after a stop). */
  collectors: number;
  seconds: number;
}

/** A process of queue-actor.ts: started ahead, told what to do once. */
interface Actor {
  child: ChildProcess;
  stdout(): string;
  stderr(): string;
  exited: Promise<number | string>;
  ready: Promise<void>;
  alive(): boolean;
}

/** Start an actor process (it loads its modules and waits for an order). */
function spawnActor(): Actor {
  const child = spawn(process.execPath, ['--import', 'tsx', 'test/helpers/queue-actor.ts'], {
    cwd: root,
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  let out = '';
  let err = '';
  let done = false;
  child.stdout!.on('data', (b: Buffer) => (out += b.toString('utf8')));
  child.stderr!.on('data', (b: Buffer) => (err += b.toString('utf8')));
  const exited = new Promise<number | string>((resolve) =>
    child.once('exit', (code, signal) => {
      done = true;
      resolve(code ?? signal ?? 'unknown');
    }),
  );
  const ready = (async () => {
    while (!out.includes('ready\n')) {
      if (done) throw new Error(`an actor exited before it was ready:\n${err}`);
      await sleep(20);
    }
  })();
  ready.catch(() => {}); // a spare killed unused at close() is no failure; take() awaits ready and sees it
  return { child, stdout: () => out, stderr: () => err, exited, ready, alive: () => !done };
}

/** Wait `ms`. */
function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

/** Records by key without their timing fields, for comparing with the local pool's. */
function untimed(records: RunRecord[]): Map<string, string> {
  return new Map(
    records.map(({ finishedAt: _t, metrics, ...r }) => {
      const { seconds: _s, ...rest } = metrics ?? {};
      return [r.key, JSON.stringify({ ...r, metrics: metrics ? rest : null })];
    }),
  );
}

/** The fault-injection harness on `redis`, writing its results files into `dir`. */
export interface FaultHarness {
  /** Run the schedule of `seed`; throws (saying what and the seed) when the property fails. */
  runSchedule(seed: number): Promise<ScheduleOutcome>;
  close(): Promise<void>;
}

/**
 * Start the harness: two worker processes on queue "faults" (lock 1 s) and spare actor processes. `local` are the
 * records of FAULT_SPEC from the local pool.
 */
export async function startFaultHarness(opts: {
  redis: TestRedis;
  dir: string;
  local: RunRecord[];
  spares?: number;
}): Promise<FaultHarness> {
  const queueName = 'faults';
  const tasks = expandSweep(FAULT_SPEC);
  const expected = untimed(opts.local);
  const spares: Actor[] = [];
  const all: Actor[] = [];
  const spareCount = opts.spares ?? 2;
  const refill = (): void => {
    while (spares.length < spareCount) {
      const a = spawnActor();
      spares.push(a);
      all.push(a);
    }
  };
  /** A ready actor given `order` (a spare, replaced at once by a new one). */
  const take = async (order: ActorOrder): Promise<Actor> => {
    refill();
    const a = spares.shift()!;
    refill();
    await a.ready;
    a.child.stdin!.end(`${JSON.stringify(order)}\n`);
    return a;
  };
  const base = { url: opts.redis.url, queueName };
  const startWorker = (): Promise<Actor> => take({ ...base, role: 'worker', lockSeconds: 1 });
  const workers: Actor[] = [await startWorker(), await startWorker()];
  const admin = new Queue(bullQueueName(queueName), { connection: { ...redisTarget(opts.redis.url, {}).options } });
  admin.on('error', () => {});

  /** The one line of a collector that stopped (notices aside), or a description of what is wrong with its stderr. */
  const stopLine = (a: Actor, code: number | string): string => {
    const lines = a
      .stderr()
      .split('\n')
      .filter((l) => l !== '' && !l.startsWith('notice: '));
    if (typeof code !== 'number' || lines.length !== 1 || !lines[0].startsWith('mcomplete: '))
      throw new Error(`a collector stopped (exit ${code}) without one line:\n${a.stderr()}`);
    return `${code} ${lines[0]}`;
  };

  return {
    async runSchedule(seed) {
      const t0 = performance.now();
      const rng = prand.xoroshiro128plus(seed);
      const int = (lo: number, hi: number): number => prand.unsafeUniformIntDistribution(lo, hi, rng);
      const out = join(opts.dir, `faults-${seed}.jsonl`);
      const events: string[] = [];
      const stopped: string[] = [];
      let collectors = 0;
      const collector = (resume: boolean): Promise<Actor> => {
        collectors++;
        return take({ ...base, role: 'collector', spec: FAULT_SPEC, out, resume, lostCheckMs: 500 });
      };
      const fail = (what: string): never => {
        throw new Error(`schedule ${seed} (${events.join(', ')}): ${what}`);
      };
      for (let i = 0; i < workers.length; i++) if (!workers[i].alive()) workers[i] = await startWorker();
      let current = await collector(false);
      const count = int(1, 4);
      for (let e = 0; e < count; e++) {
        const kind = FAULTS[int(0, FAULTS.length - 1)];
        const delay = int(0, 1500);
        events.push(`${kind}@${delay}`);
        await sleep(delay);
        if (kind === 'kill-worker') {
          const i = int(0, workers.length - 1);
          workers[i].child.kill('SIGKILL');
          await workers[i].exited;
          workers[i] = await startWorker();
        } else if (kind === 'kill-collector') {
          current.child.kill('SIGKILL');
          const code = await current.exited;
          if (code !== 'SIGKILL' && code !== 0) stopped.push(stopLine(current, code));
          await sleep(int(0, 500));
          current = await collector(true);
        } else if (kind === 'restart-redis') {
          await opts.redis.restart();
        } else {
          const second = await collector(true);
          const code = await second.exited;
          if (code === 0) {
            // The first had stopped or been done: this one finished the sweep.
            current.child.kill('SIGKILL');
            await current.exited;
            current = second;
          } else stopped.push(stopLine(second, code));
        }
      }
      // The last collector ends; one that stopped with its line is resumed until the sweep is complete.
      for (let attempt = 0; ; attempt++) {
        const code = await Promise.race([current.exited, sleep(120_000).then(() => 'timeout')]);
        if (code === 'timeout') fail(`a collector did not finish within 120 s:\n${current.stderr()}`);
        if (code === 0) break;
        stopped.push(stopLine(current, code));
        if (attempt >= 4) fail(`no resume completed the sweep: ${stopped.join(' | ')}`);
        for (let i = 0; i < workers.length; i++) if (!workers[i].alive()) workers[i] = await startWorker();
        current = await collector(true);
      }
      const { records, partialBytes } = readResults(out);
      if (partialBytes !== 0) fail(`${partialBytes} bytes of a cut-off line`);
      const keys = records.map((r) => r.key);
      if (new Set(keys).size !== keys.length) fail('a run is in the results file twice');
      if (keys.length !== tasks.length) fail(`${keys.length} records for ${tasks.length} runs`);
      for (const [key, record] of untimed(records)) {
        if (expected.get(key) !== record) fail(`the record of ${key} differs from the local pool's`);
      }
      await admin.obliterate({ force: true }).catch(() => {});
      return { seed, events, stopped, collectors, seconds: (performance.now() - t0) / 1000 };
    },
    async close() {
      for (const a of all) if (a.alive()) a.child.kill('SIGKILL');
      await Promise.all(all.map((a) => a.exited));
      await admin.close().catch(() => {});
    },
  };
}
