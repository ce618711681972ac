// Main-thread responsiveness: the longest task the browser reports, and the longest draw of ours.

/** Longest main-thread task (ms) since load and since `mark()`, and the longest draw. */
export interface PerfStats {
  longestTask: number;
  longestTaskSinceMark: number;
  longTasks: number;
  longestDraw: number;
  draws: number;
}

/** Start observing long tasks (Chromium's Long Tasks API; tasks over 50 ms). Returns the live stats and a marker. */
export function watchMainThread(): { stats: PerfStats; mark(): void; timeDraw<T>(draw: () => T): T } {
  const stats: PerfStats = { longestTask: 0, longestTaskSinceMark: 0, longTasks: 0, longestDraw: 0, draws: 0 };
  let markTime = Infinity;
  if (typeof PerformanceObserver !== 'undefined' && PerformanceObserver.supportedEntryTypes?.includes('longtask')) {
    new PerformanceObserver((list) => {
      for (const e of list.getEntries()) {
        stats.longTasks++;
        stats.longestTask = Math.max(stats.longestTask, e.duration);
        if (e.startTime >= markTime) stats.longestTaskSinceMark = Math.max(stats.longestTaskSinceMark, e.duration);
      }
    }).observe({ type: 'longtask', buffered: true });
  }
  return {
    stats,
    mark(): void {
      if (markTime === Infinity) markTime = performance.now();
    },
    timeDraw<T>(draw: () => T): T {
      const t0 = performance.now();
      try {
        return draw();
      } finally {
        stats.draws++;
        stats.longestDraw = Math.max(stats.longestDraw, performance.now() - t0);
      }
    },
  };
}
