import cliProgress from 'cli-progress';

/** Reports training progress on stderr: a live bar on a terminal, a plain line every few seconds otherwise. */
export interface ProgressReporter {
  update(step: number, total: number, fields: Record<string, string>): void;
  stop(): void;
}

/** A reporter for `stream` (a progress bar when it is a TTY); `quiet` silences it. */
export function createProgressReporter(
  label: string,
  opts: { stream?: NodeJS.WriteStream; quiet?: boolean; intervalSeconds?: number } = {},
): ProgressReporter {
  const stream = opts.stream ?? process.stderr;
  if (opts.quiet) return { update() {}, stop() {} };
  if (stream.isTTY) {
    const bar = new cliProgress.SingleBar(
      {
        stream,
        format: `${label} |{bar}| {percentage}% | {value}/{total} | {info} | {duration_formatted} elapsed, eta {eta_formatted}`,
        hideCursor: true,
        etaBuffer: 50,
      },
      cliProgress.Presets.shades_classic,
    );
    let started = false;
    return {
      update(step, total, fields) {
        const info = Object.entries(fields)
          .map(([k, v]) => `${k} ${v}`)
          .join(' ');
        if (!started) {
          bar.start(total, step, { info });
          started = true;
        } else bar.update(step, { info });
      },
      stop() {
        if (started) bar.stop();
      },
    };
  }
  const intervalMs = 1000 * (opts.intervalSeconds ?? 5);
  const start = Date.now();
  let last = start;
  return {
    update(step, total, fields) {
      const now = Date.now();
      if (now - last < intervalMs && step < total) return;
      last = now;
      const info = Object.entries(fields)
        .map(([k, v]) => `${k} ${v}`)
        .join(', ');
      const pct = ((100 * step) / total).toFixed(1);
      stream.write(`${label}: ${step}/${total} (${pct}%), ${info}, ${((now - start) / 1000).toFixed(1)} s\n`);
    },
    stop() {},
  };
}
