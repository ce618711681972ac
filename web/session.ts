// Two training runs on one synthetic problem, advanced in lockstep: the worker's engine, free of worker APIs.
import {
  defaultTol,
  getBackend,
  startSynthetic,
  syntheticProblem,
  type Backend,
  type RunResult,
  type SyntheticProblem,
  type SyntheticRun,
} from '../src/index.ts';
import { makeTarget, summarize, type Target } from './snapshot.ts';
import { sampleCount, type PageState, type RunConfig } from './state.ts';
import type { RunSnapshot, RunStatus } from './protocol.ts';

/** One run of a session. */
interface RunSession {
  readonly config: RunConfig;
  readonly run: SyntheticRun<RunResult>;
  readonly svdWs: ReturnType<Backend['createSvdWorkspace']>;
  status: RunStatus;
  stopReason: string | null;
  error: string | null;
  /** Step and time at the previous snapshot (for steps per second). */
  lastStep: number;
  lastTime: number;
}

/** A problem and its two runs. */
export interface Session {
  readonly problem: SyntheticProblem;
  readonly target: Target;
  /** One step of every active run; returns true when some run changed status (finished or diverged). */
  stepAll(): boolean;
  /** Whether no run is active. */
  done(): boolean;
  /** Each run's current state (computes an SVD of each W: call at a bounded rate). `now` is in milliseconds. */
  snapshot(now: number): RunSnapshot[];
}

/**
 * Build the problem of `state` and a synthetic run per method (runSynthetic's stepped form, startSynthetic: same
 * data, mask and initialization seed for both).
 */
export function createSession(state: PageState): Session {
  const spec = { n: state.n, rank: state.rank, samples: sampleCount(state), seed: state.seed };
  const problem = syntheticProblem(spec);
  const target = makeTarget(problem);
  const backend = getBackend();
  const runs: RunSession[] = state.runs.map((config) => ({
    config,
    run: startSynthetic(
      {
        ...spec,
        method: 'gradient',
        ...config,
        initScale: state.initScale,
        maxIters: state.maxSteps,
        tol: defaultTol(config.penalty),
      },
      { progressEvery: Number.MAX_SAFE_INTEGER },
    ),
    svdWs: backend.createSvdWorkspace(state.n, state.n),
    status: 'active',
    stopReason: null,
    error: null,
    lastStep: 0,
    lastTime: NaN,
  }));
  let svdCalls = 0;

  return {
    problem,
    target,
    stepAll(): boolean {
      let changed = false;
      for (const run of runs) {
        if (run.status !== 'active') continue;
        try {
          if (run.run.advance(1)) {
            run.status = 'done';
            run.stopReason = run.run.status().stopReason;
            changed = true;
          }
        } catch (e) {
          run.status = 'diverged';
          run.stopReason = 'diverged';
          run.error = e instanceof Error ? e.message : String(e);
          changed = true;
        }
      }
      return changed;
    },
    done(): boolean {
      return runs.every((r) => r.status !== 'active');
    },
    snapshot(now: number): RunSnapshot[] {
      svdCalls++;
      return runs.map((run) => {
        const result = run.run.status();
        const W = result.W!;
        const s = finite(W.data)
          ? backend.svdInto(W, run.svdWs, { warmStart: svdCalls > 1 }).s
          : new Float64Array(state.n).fill(NaN);
        const step = result.iterations;
        const dt = (now - run.lastTime) / 1000;
        const stepsPerSecond = dt > 0 ? (step - run.lastStep) / dt : 0;
        run.lastStep = step;
        run.lastTime = now;
        return {
          step,
          status: run.status,
          stopReason: run.stopReason,
          error: run.error,
          metrics: summarize(W, target, s),
          estimate: Float32Array.from(W.data),
          stepsPerSecond,
        };
      });
    },
  };
}

/** Whether every entry is finite (a diverged W is not handed to the SVD). */
function finite(a: Float64Array): boolean {
  for (let i = 0; i < a.length; i++) if (!Number.isFinite(a[i])) return false;
  return true;
}
