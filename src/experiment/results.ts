import { closeSync, existsSync, fsyncSync, openSync, readFileSync, truncateSync, writeSync } from 'node:fs';
import { InputError } from '../data/input-error.ts';
import type { RunRecord } from './execute.ts';

/** What reading a results file found. */
export interface ResultsFile {
  records: RunRecord[];
  /** Bytes of an unfinished last line (a run interrupted while being written) that were ignored. */
  partialBytes: number;
  /** Whether that partial line was cut off the file (readResults with repair). */
  repaired: boolean;
}

/**
 * Read a JSON Lines results file: one RunRecord per line. An unfinished last line (no newline, or not JSON: the
 * process was killed while appending) is ignored and, with `repair`, truncated away so appends start on a clean
 * line. Any other bad line is an InputError naming the file and line. A missing file has no records.
 */
export function readResults(file: string, opts: { repair?: boolean } = {}): ResultsFile {
  if (!existsSync(file)) return { records: [], partialBytes: 0, repaired: false };
  const buf = readFileSync(file);
  const text = buf.toString('utf8');
  const records: RunRecord[] = [];
  let offset = 0;
  let line = 0;
  let goodBytes = 0;
  while (offset < text.length) {
    line++;
    const end = text.indexOf('\n', offset);
    const complete = end !== -1;
    const body = text.slice(offset, complete ? end : text.length);
    const next = complete ? end + 1 : text.length;
    let record: RunRecord | null = null;
    if (body.trim() !== '') {
      try {
        const parsed: unknown = JSON.parse(body);
        if (isRecord(parsed)) record = parsed;
      } catch {
        record = null;
      }
      if (!record || !complete) {
        if (next >= text.length) break; // the unfinished last line
        throw new InputError({ file, line }, 'not a run record (expected one JSON object with "key" and "settings" per line)');
      }
      records.push(record);
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
  return { records, partialBytes, repaired };
}

/** Whether a parsed line looks like a RunRecord. */
function isRecord(v: unknown): v is RunRecord {
  return v !== null && typeof v === 'object' && typeof (v as RunRecord).key === 'string' && typeof (v as RunRecord).settings === 'object';
}

/** An open results file that appends one line per record, each with a single write followed by fsync. */
export interface ResultsWriter {
  append(record: RunRecord): void;
  close(): void;
}

/**
 * Open `file` for appending (created if missing; emptied first when `truncate`). Each record is one write(2) of
 * one complete line on an O_APPEND descriptor, then fsync, so a crash loses at most the line being written, which
 * readResults ignores.
 */
export function openResults(file: string, opts: { truncate?: boolean } = {}): ResultsWriter {
  const fd = openSync(file, opts.truncate ? 'w' : 'a');
  let open = true;
  return {
    append(record) {
      const line = Buffer.from(`${JSON.stringify(record)}\n`, 'utf8');
      let written = 0;
      while (written < line.length) written += writeSync(fd, line, written);
      fsyncSync(fd);
    },
    close() {
      if (open) closeSync(fd);
      open = false;
    },
  };
}
