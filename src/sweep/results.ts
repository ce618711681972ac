import {
  closeSync,
  existsSync,
  fsyncSync,
  ftruncateSync,
  openSync,
  readFileSync,
  statSync,
  truncateSync,
  unlinkSync,
  writeSync,
} from 'node:fs';
import { hostname } from 'node:os';
import { InputError } from '../data/input-error.ts';
import type { RunRecord } from './execute.ts';

/** What reading a results file found. */
export interface ResultsFile {
  records: RunRecord[];
  /** The 1-based line of each record (same order), for messages. */
  lines: number[];
  /** Bytes of a cut-off last record (the process was killed while appending it) that were ignored. */
  partialBytes: number;
  /** Whether that cut-off record was removed from the file (readResults with repair). */
  repaired: boolean;
}

/** Every record this tool writes starts with these bytes (RunRecord's first field; see executeTask). */
export const RECORD_PREFIX = '{"version":';

/**
 * Read a JSON Lines results file: one RunRecord per line, blank lines ignored. Only a last line that is a record
 * of this tool cut off while being written (no newline at the end, starting with RECORD_PREFIX) is ignored, and
 * with `repair` cut off the file so appends start on a clean line. Any other line that is not a run record (notes,
 * a hand-written line, a spec given as the results file), the last one included, is an InputError naming the file
 * and line, and the file is left as it was. A missing file has no records.
 */
export function readResults(file: string, opts: { repair?: boolean } = {}): ResultsFile {
  if (!existsSync(file)) return { records: [], lines: [], partialBytes: 0, repaired: false };
  let buf: Buffer;
  try {
    const s = statSync(file);
    if (!s.isFile())
      throw new InputError(
        { file },
        s.isDirectory()
          ? 'is a folder, not a results file'
          : 'is not a regular file (a results file is read whole and appended to)',
      );
    buf = readFileSync(file);
  } catch (err) {
    if (err instanceof InputError) throw err;
    const code = (err as NodeJS.ErrnoException).code ?? 'error';
    throw new InputError(
      { file },
      code === 'EISDIR' ? 'is a folder, not a results file' : `cannot read the results file (${code})`,
    );
  }
  const text = buf.toString('utf8');
  const records: RunRecord[] = [];
  const lines: number[] = [];
  let offset = 0;
  let line = 0;
  let goodBytes = 0;
  while (offset < text.length) {
    line++;
    const end = text.indexOf('\n', offset);
    const complete = end !== -1;
    const body = text.slice(offset, complete ? end : text.length);
    const next = complete ? end + 1 : text.length;
    if (body.trim() !== '') {
      let record: RunRecord | null = null;
      try {
        const parsed: unknown = JSON.parse(body);
        if (isRunRecord(parsed)) record = parsed;
      } catch {
        record = null;
      }
      if (!complete && body.startsWith(RECORD_PREFIX)) break; // a record cut off while being appended
      if (!record) {
        throw new InputError(
          { file, line },
          'not a run record of mcomplete (expected one JSON object per line with "key", "sweep", "name", "samples", "seed", "settings" and "metrics"); ' +
            'the file was left as it was: ' +
            'give --out a results file of its own',
        );
      }
      records.push(record);
      lines.push(line);
    }
    goodBytes += Buffer.byteLength(text.slice(offset, next), 'utf8');
    offset = next;
  }
  const partialBytes = buf.length - goodBytes;
  let repaired = false;
  if (partialBytes > 0 && opts.repair) {
    truncateSync(file, goodBytes);
    repaired = true;
  }
  return { records, lines, partialBytes, repaired };
}

/**
 * Throws an InputError at the first record of `results` that is not one of `spec`'s runs (another sweep name, or a
 * key the spec does not expand to): a sweep resumed with a spec other than the one that wrote the file would mix
 * two sweeps in one file, and a report would count their seeds together.
 */
export function checkSameSweep(
  file: string,
  results: Pick<ResultsFile, 'records' | 'lines'>,
  sweepName: string,
  keys: ReadonlySet<string>,
): void {
  results.records.forEach((r, i) => {
    const what = `a run of ${r.sweep === sweepName ? 'another spec' : `another sweep ("${r.sweep}")`} (${r.name} m=${r.samples} seed ${r.seed})`;
    if (r.sweep !== sweepName || !keys.has(r.key)) {
      throw new InputError(
        { file, line: results.lines[i] },
        `${what} that the spec "${sweepName}" does not have; resume only with the spec that wrote the file, or give --out a new file`,
      );
    }
  });
}

/**
 * Throws an InputError when `results` mixes sweeps, which a report would count together (seeds twice): records of
 * more than one sweep name, or one run (method name, samples, seed) twice. Names the file and both lines.
 */
export function checkOneSweep(file: string, results: Pick<ResultsFile, 'records' | 'lines'>): void {
  const { records, lines } = results;
  if (records.length === 0) return;
  const first = records[0].sweep;
  const seen = new Map<string, number>();
  records.forEach((r, i) => {
    if (r.sweep !== first) {
      throw new InputError(
        { file, line: lines[i] },
        `a run of sweep "${r.sweep}" after runs of sweep "${first}" (line ${lines[0]}); a report covers one sweep: put each sweep in its own file`,
      );
    }
    const id = JSON.stringify([r.name, r.samples, r.seed]);
    const before = seen.get(id);
    if (before !== undefined) {
      throw new InputError(
        { file, line: lines[i] },
        `a second run of ${r.name} m=${r.samples} seed ${r.seed} (the first is on line ${before}); the file mixes two sweeps named "${first}": put each in its own file`,
      );
    }
    seen.set(id, lines[i]);
  });
}

/**
 * Whether a parsed value is a RunRecord: the identity fields a report and a resume read, and metrics (or null). The
 * one check of a record, for a line of a results file and for a record a queue worker returns alike.
 */
export function isRunRecord(v: unknown): v is RunRecord {
  if (v === null || typeof v !== 'object') return false;
  const r = v as RunRecord;
  const metricsOk = r.metrics === null || (typeof r.metrics === 'object' && typeof r.metrics.relError === 'number');
  return (
    typeof r.key === 'string' &&
    typeof r.settings === 'object' &&
    r.settings !== null &&
    typeof r.sweep === 'string' &&
    typeof r.name === 'string' &&
    typeof r.samples === 'number' &&
    typeof r.seed === 'number' &&
    metricsOk
  );
}

/** An open results file that appends one line per record, each with a single write followed by fsync. */
export interface ResultsWriter {
  append(record: RunRecord): void;
  close(): void;
}

/**
 * Open `file` for appending (created if missing; emptied first when `truncate`). Each record is one write(2) of
 * one complete line on an O_APPEND descriptor, then fsync, so a crash loses at most the line being written, which
 * readResults ignores. With `lock` (from lockResults) close() also releases that lock.
 */
export function openResults(file: string, opts: { truncate?: boolean; lock?: ResultsLock } = {}): ResultsWriter {
  let fd: number;
  try {
    // Always O_APPEND: emptied by ftruncate, so a writer that (wrongly) shares the file still never writes at an offset.
    fd = openSync(file, 'a');
    if (opts.truncate) ftruncateSync(fd, 0);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code ?? 'error';
    throw new InputError({ file }, `cannot open the results file for writing (${code})`);
  }
  let open = true;
  return {
    append(record) {
      const line = Buffer.from(`${JSON.stringify(record)}\n`, 'utf8');
      try {
        let written = 0;
        while (written < line.length) written += writeSync(fd, line, written);
        fsyncSync(fd);
      } catch (err) {
        // A full disk or a vanished file system: one line naming the file (the runs before this one are saved).
        const code = (err as NodeJS.ErrnoException).code ?? 'error';
        throw new InputError(
          { file },
          `cannot append a run to the results file (${code}); the runs before it are saved, resume once it can be written`,
        );
      }
    },
    close() {
      if (open) closeSync(fd);
      open = false;
      opts.lock?.release();
    },
  };
}

/** A held lock on a results file (see lockResults). */
export interface ResultsLock {
  /** The lock file, FILE.lock. */
  path: string;
  /** Remove the lock file (once; later calls do nothing). */
  release(): void;
}

/**
 * Take the lock that makes this process the only writer of results file `file`: FILE.lock created with O_EXCL,
 * holding the pid and host. A lock left by a process of this host that no longer runs (killed) is taken over; any
 * other is an InputError naming the file and the process that holds it.
 */
export function lockResults(file: string): ResultsLock {
  const path = `${file}.lock`;
  const me = JSON.stringify({ pid: process.pid, host: hostname(), since: new Date().toISOString() });
  for (let attempt = 0; ; attempt++) {
    let fd: number;
    try {
      fd = openSync(path, 'wx');
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code ?? 'error';
      if (code !== 'EEXIST')
        throw new InputError({ file }, `cannot create the lock file ${path} beside the results file (${code})`);
      const holder = readLock(path);
      if (attempt === 0 && holder !== null && holder.host === hostname() && !processRuns(holder.pid)) {
        try {
          unlinkSync(path); // left by a killed process
        } catch {
          // another process removed it first; the next attempt decides
        }
        continue;
      }
      const who = holder ? `process ${holder.pid} on ${holder.host} (since ${holder.since})` : 'another process';
      throw new InputError(
        { file },
        `is being written by ${who}: one writer per results file; wait for it to finish (if it no longer runs, remove ${path})`,
      );
    }
    try {
      writeSync(fd, me);
    } finally {
      closeSync(fd);
    }
    let held = true;
    return {
      path,
      release() {
        if (!held) return;
        held = false;
        try {
          unlinkSync(path);
        } catch {
          // already gone: nothing to release
        }
      },
    };
  }
}

/** The holder recorded in a lock file, or null when it cannot be read (being written, or not ours). */
function readLock(path: string): { pid: number; host: string; since: string } | null {
  try {
    const v = JSON.parse(readFileSync(path, 'utf8')) as { pid?: unknown; host?: unknown; since?: unknown };
    if (typeof v.pid !== 'number' || typeof v.host !== 'string') return null;
    return { pid: v.pid, host: v.host, since: typeof v.since === 'string' ? v.since : '?' };
  } catch {
    return null;
  }
}

/** Whether a process with this pid runs on this host (signal 0 probes without signalling). */
export function processRuns(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** A results file opened by a sweep: the records it held (resume) and the writer that appends to it. */
export interface SweepResults {
  existing: ResultsFile;
  writer: ResultsWriter;
}

/**
 * Open results file `file` for a sweep named `sweepName` with run keys `keys`: the one reader of every resume (sweep,
 * phase, atlas, claims, the queue's collector). It takes the file's lock (lockResults) first; with `resume` it reads
 * the file, refuses records of another sweep (checkSameSweep) and a run held twice (checkOneSweep, the check of
 * `report`), and only then cuts off a last line left half-written; without `resume` it empties the file. The writer's
 * close() releases the lock; on an error the lock is released and the file is as it was.
 */
export function openSweepResults(
  file: string,
  opts: { resume: boolean; sweepName: string; keys: ReadonlySet<string> },
): SweepResults {
  const lock = lockResults(file);
  try {
    let existing: ResultsFile = { records: [], lines: [], partialBytes: 0, repaired: false };
    if (opts.resume) {
      existing = readResults(file);
      checkSameSweep(file, existing, opts.sweepName, opts.keys);
      checkOneSweep(file, existing);
      if (existing.partialBytes > 0) existing = { ...existing, repaired: readResults(file, { repair: true }).repaired };
    }
    return { existing, writer: openResults(file, { truncate: !opts.resume, lock }) };
  } catch (err) {
    lock.release();
    throw err;
  }
}
