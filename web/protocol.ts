// Messages between the page (main thread) and the training worker.
import type { PageState } from './state.ts';
import type { RunMetrics } from './snapshot.ts';

/** Page → worker. `gen` numbers each configuration, so messages about an older one can be told apart. */
export type ToWorker =
  | { type: 'configure'; gen: number; state: PageState }
  | { type: 'start' }
  | { type: 'pause' }
  | { type: 'speed'; speed: number };

/** Where one run stands. */
export type RunStatus = 'active' | 'done' | 'diverged';

/** One run at one moment: its step, status, measurements and the current estimate (n×n, row-major, float32). */
export interface RunSnapshot {
  step: number;
  status: RunStatus;
  /** Why it stopped (the trainer's stop reason), or null while active. */
  stopReason: string | null;
  /** The divergence message, when status is 'diverged'. */
  error: string | null;
  metrics: RunMetrics;
  estimate: Float32Array;
  /** Steps per second since the previous snapshot. */
  stepsPerSecond: number;
}

/** The problem being solved: n, the truth (row-major float32) and the mask of observed entries. */
export interface ProblemMessage {
  type: 'problem';
  gen: number;
  n: number;
  samples: number;
  truth: Float32Array;
  mask: Uint8Array;
}

/** Worker → page. */
export type FromWorker =
  | ProblemMessage
  | { type: 'snapshot'; gen: number; running: boolean; runs: RunSnapshot[] }
  | { type: 'error'; gen: number; message: string };
