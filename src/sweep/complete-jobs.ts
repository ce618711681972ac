// complete()'s jobs on their way to a worker thread and back: the typed arrays of the data in SharedArrayBuffers
// (copied once per run, shared by every job after that), the evaluator as its data, no callbacks.
import { makeEvaluator, type EvaluatorSource, type FitJob } from '../complete/tune.ts';
import { DivergenceError } from '../solver/loop.ts';

/** A job as posted to a worker thread: its fields without callbacks, the evaluator as its data, and the backend. */
export interface WireTask {
  job: Record<string, unknown>;
  evaluator: EvaluatorSource | null;
  backend: 'ts' | 'native';
}

/**
 * Makes the tasks of one run's jobs: every typed array is copied into shared memory the first time a job holds it
 * (the residual, the validation entries, the biases), so the jobs after it post only references. Cost: one copy of
 * each array per run.
 */
export function createWireEncoder(backend: 'ts' | 'native'): (job: FitJob) => WireTask {
  const shared = new WeakMap<ArrayBufferView, ArrayBufferView>();
  const share = (a: ArrayBufferView): ArrayBufferView => {
    let s = shared.get(a);
    if (!s) {
      const Kind = a.constructor as new (
        buffer: SharedArrayBuffer,
      ) => ArrayBufferView & { set(x: ArrayLike<number>): void };
      const copy = new Kind(new SharedArrayBuffer(a.byteLength));
      copy.set(a as unknown as ArrayLike<number>);
      shared.set(a, (s = copy));
    }
    return s;
  };
  const plain = (x: unknown): unknown => {
    if (ArrayBuffer.isView(x)) return share(x);
    if (Array.isArray(x)) return x.map(plain);
    if (x === null || typeof x !== 'object') return typeof x === 'function' ? undefined : x;
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(x)) if (typeof v !== 'function') out[k] = plain(v);
    return out;
  };
  return (job) => {
    const {
      tally: _tally,
      progress: _progress,
      evaluate,
      ...fields
    } = job as FitJob & {
      tally?: unknown;
      progress?: unknown;
      evaluate?: { source?: EvaluatorSource };
    };
    if (evaluate && !evaluate.source) throw new Error(`complete: a ${job.kind} job's evaluator has no data to post`);
    return {
      job: plain(fields) as Record<string, unknown>,
      evaluator: evaluate?.source ? (plain(evaluate.source) as EvaluatorSource) : null,
      backend,
    };
  };
}

/** The job a task stands for, on the worker thread: its evaluator made again from its data (makeEvaluator). */
export function decodeWireTask(task: WireTask): FitJob {
  const e = task.evaluator;
  return (e ? { ...task.job, evaluate: makeEvaluator(e.fit, e.val, e.b, e.clip) } : task.job) as unknown as FitJob;
}

/** An error a job threw on a worker thread, as posted back: its class by name, its message and its own fields. */
export interface WireError {
  kind: 'error';
  name: string;
  message: string;
  fields: Record<string, unknown>;
}

/** An error thrown by a job, for posting (a thrown non-error becomes its text). */
export function toWireError(err: unknown): WireError {
  if (!(err instanceof Error)) return { kind: 'error', name: 'Error', message: String(err), fields: {} };
  const fields: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(err)) if (typeof v !== 'function' && typeof v !== 'object') fields[k] = v;
  return { kind: 'error', name: err.name, message: err.message, fields };
}

/** The classes a job's error keeps across threads (the CLI tells a divergence or a RangeError by its class). */
const ERROR_CLASSES: Record<string, { prototype: Error }> = { DivergenceError, RangeError, TypeError };

/** The error a job threw on a worker thread, of its class again where that is one of ERROR_CLASSES. */
export function fromWireError(e: WireError): Error {
  const out = Object.create((ERROR_CLASSES[e.name] ?? Error).prototype) as Error;
  Object.assign(out, e.fields, { message: e.message, name: e.name, stack: `${e.name}: ${e.message}` });
  return out;
}
