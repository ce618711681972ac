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

/**
 * Reports reading an input on stderr: a bar by bytes on a terminal when the size is known, otherwise a line every
 * few seconds (bytes, lines, MB/s); `quiet` silences it. `update` takes what the reader reports after each chunk.
 */
export function createReadProgress(
  file: string,
  opts: { totalBytes: number | null; stream?: NodeJS.WriteStream; quiet?: boolean; intervalSeconds?: number },
): { update(p: { bytes: number; lines: number }): void; stop(): void } {
  const stream = opts.stream ?? process.stderr;
  if (opts.quiet) return { update() {}, stop() {} };
  const mb = (bytes: number): string => (bytes / 1e6).toFixed(1);
  const start = Date.now();
  const total = opts.totalBytes;
  if (stream.isTTY && total !== null && total > 0) {
    const bar = new cliProgress.SingleBar(
      {
        stream,
        format: `reading ${file} |{bar}| {percentage}% | {done} of {all} MB | {lines} lines | {duration_formatted} elapsed, eta {eta_formatted}`,
        hideCursor: true,
        etaBuffer: 50,
      },
      cliProgress.Presets.shades_classic,
    );
    let started = false;
    return {
      update({ bytes, lines }) {
        const fields = { done: mb(bytes), all: mb(total), lines: lines.toLocaleString('en') };
        if (!started) {
          bar.start(total, Math.min(bytes, total), fields);
          started = true;
        } else bar.update(Math.min(bytes, total), fields);
      },
      stop() {
        if (started) bar.stop();
      },
    };
  }
  const intervalMs = 1000 * (opts.intervalSeconds ?? 5);
  let last = start;
  return {
    update({ bytes, lines }) {
      const now = Date.now();
      if (now - last < intervalMs) return;
      last = now;
      const seconds = (now - start) / 1000;
      const of = total !== null ? ` of ${mb(total)} MB (${((100 * bytes) / Math.max(total, 1)).toFixed(1)}%)` : ' MB';
      stream.write(
        `reading ${file}: ${mb(bytes)}${of}, ${lines.toLocaleString('en')} lines, ${(bytes / 1e6 / Math.max(seconds, 1e-3)).toFixed(1)} MB/s, ${seconds.toFixed(1)} s\n`,
      );
    },
    stop() {},
  };
}
