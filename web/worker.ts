// The training worker: runs a Session in time slices, posts snapshots at a bounded rate, obeys start/pause/speed.
import { createSession, type Session } from './session.ts';
import type { FromWorker, ToWorker } from './protocol.ts';

/** Longest stretch of training between two looks at the message queue (ms). */
const SLICE_MS = 20;
/** Least time between two snapshots (ms): the page gets at most 1000/SNAPSHOT_MS of them a second. */
export const SNAPSHOT_MS = 100;

/** The worker's side of postMessage/onmessage (typed here because the project's lib is DOM, not WebWorker). */
interface WorkerScope {
  postMessage(message: FromWorker, options?: { transfer?: Transferable[] }): void;
  onmessage: ((event: MessageEvent<ToWorker>) => void) | null;
}
const scope = self as unknown as WorkerScope;

let session: Session | null = null;
let gen = 0;
let running = false;
let speed = 0;
let tokens = 0;
let lastTick = 0;
let lastPost = -Infinity;
let scheduled = false;

// A zero-delay yield that, unlike nested setTimeout(0), is not clamped to 4 ms.
const channel = new MessageChannel();
channel.port1.onmessage = () => tick();

function schedule(delayMs: number): void {
  if (scheduled) return;
  scheduled = true;
  if (delayMs > 0) setTimeout(tick, delayMs);
  else channel.port2.postMessage(null);
}

function post(message: FromWorker, transfer: Transferable[] = []): void {
  scope.postMessage(message, { transfer });
}

function postSnapshot(): void {
  if (!session) return;
  const now = performance.now();
  lastPost = now;
  const runs = session.snapshot(now);
  post(
    { type: 'snapshot', gen, running, runs },
    runs.map((r) => r.estimate.buffer),
  );
}

/** One slice of training: as many lockstep steps as SLICE_MS and the speed limit allow, then yield. */
function tick(): void {
  scheduled = false;
  if (!running || !session) return;
  const start = performance.now();
  if (speed > 0) tokens = Math.min(tokens + ((start - lastTick) * speed) / 1000, Math.max(1, speed * 0.05));
  lastTick = start;
  let changed = false;
  while (performance.now() - start < SLICE_MS && (speed === 0 || tokens >= 1) && !session.done()) {
    changed = session.stepAll() || changed;
    tokens -= 1;
  }
  if (session.done()) running = false;
  if (changed || !running || performance.now() - lastPost >= SNAPSHOT_MS) postSnapshot();
  if (running) schedule(speed > 0 && tokens < 1 ? Math.min(50, ((1 - tokens) * 1000) / speed) : 0);
}

scope.onmessage = (event) => {
  const msg = event.data;
  switch (msg.type) {
    case 'configure': {
      running = false;
      gen = msg.gen;
      speed = msg.state.speed;
      session = null;
      try {
        session = createSession(msg.state);
      } catch (e) {
        post({ type: 'error', gen, message: e instanceof Error ? e.message : String(e) });
        return;
      }
      const truth = Float32Array.from(session.problem.truth.data);
      const mask = session.target.mask.slice();
      post({ type: 'problem', gen, n: msg.state.n, samples: session.target.count, truth, mask }, [
        truth.buffer,
        mask.buffer,
      ]);
      postSnapshot();
      break;
    }
    case 'start':
      if (!session || session.done() || running) return;
      running = true;
      tokens = 0;
      lastTick = performance.now();
      postSnapshot();
      schedule(0);
      break;
    case 'pause':
      if (!running) return;
      running = false;
      postSnapshot();
      break;
    case 'speed':
      speed = msg.speed;
      tokens = 0;
      lastTick = performance.now();
      break;
  }
};
