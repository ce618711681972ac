import type { Page } from 'playwright-core';

/** A Chrome trace event (the fields used here). */
interface TraceEvent {
  name: string;
  ph: string;
  pid: number;
  tid: number;
  ts: number;
  dur?: number;
  tdur?: number;
  args?: { name?: string };
}

/** The longest renderer main-thread tasks: by wall-clock time, and by the main thread's own CPU time. */
export interface MainThreadTasks {
  tasks: number;
  /** Tasks whose event carries the thread's CPU time (tdur); 0 where the platform gives none. */
  cpuTimedTasks: number;
  longestWallMs: number;
  longestCpuMs: number;
  overFiftyWallMs: number;
  /** requestAnimationFrame callbacks (the page draws in them) and the longest one's CPU time. */
  animationFrames: number;
  cpuTimedAnimationFrames: number;
  longestAnimationFrameCpuMs: number;
}

/**
 * Record a Chrome trace (category "toplevel": every task the browser runs; "devtools.timeline": animation-frame
 * callbacks among others) while `during` runs, and measure the page's main-thread tasks. Wall time counts time the
 * thread was runnable but not running (a busy machine); CPU time is what the page itself costs.
 */
export async function traceMainThread(page: Page, during: () => Promise<void>): Promise<MainThreadTasks> {
  const cdp = await page.context().newCDPSession(page);
  const events: TraceEvent[] = [];
  cdp.on('Tracing.dataCollected', (d) => events.push(...(d.value as unknown as TraceEvent[])));
  const complete = new Promise<void>((resolve) => cdp.once('Tracing.tracingComplete', () => resolve()));
  await cdp.send('Tracing.start', { categories: 'toplevel,devtools.timeline', transferMode: 'ReportEvents' });
  try {
    await during();
  } finally {
    await cdp.send('Tracing.end');
    await complete;
    await cdp.detach();
  }
  return mainThreadTasks(events);
}

/** Top-level tasks of renderer main threads in a trace (nested task events are folded into their parent). */
export function mainThreadTasks(events: readonly TraceEvent[]): MainThreadTasks {
  const mainThreads = new Set<string>();
  for (const e of events) {
    if (e.ph === 'M' && e.name === 'thread_name' && e.args?.name === 'CrRendererMain')
      mainThreads.add(`${e.pid}:${e.tid}`);
  }
  const tasks = events
    .filter((e) => e.ph === 'X' && /RunTask$/.test(e.name) && mainThreads.has(`${e.pid}:${e.tid}`))
    .sort((a, b) => a.ts - b.ts || (b.dur ?? 0) - (a.dur ?? 0));
  const result: MainThreadTasks = {
    tasks: 0,
    cpuTimedTasks: 0,
    longestWallMs: 0,
    longestCpuMs: 0,
    overFiftyWallMs: 0,
    animationFrames: 0,
    cpuTimedAnimationFrames: 0,
    longestAnimationFrameCpuMs: 0,
  };
  const ends = new Map<string, number>();
  for (const t of tasks) {
    const thread = `${t.pid}:${t.tid}`;
    if (t.ts < (ends.get(thread) ?? -Infinity)) continue; // nested in the previous top-level task
    ends.set(thread, t.ts + (t.dur ?? 0));
    result.tasks++;
    const wall = (t.dur ?? 0) / 1000;
    result.longestWallMs = Math.max(result.longestWallMs, wall);
    if (t.tdur !== undefined) result.cpuTimedTasks++;
    result.longestCpuMs = Math.max(result.longestCpuMs, (t.tdur ?? 0) / 1000);
    if (wall > 50) result.overFiftyWallMs++;
  }
  for (const e of events) {
    if (e.ph !== 'X' || e.name !== 'FireAnimationFrame' || !mainThreads.has(`${e.pid}:${e.tid}`)) continue;
    result.animationFrames++;
    if (e.tdur !== undefined) result.cpuTimedAnimationFrames++;
    result.longestAnimationFrameCpuMs = Math.max(result.longestAnimationFrameCpuMs, (e.tdur ?? 0) / 1000);
  }
  return result;
}
