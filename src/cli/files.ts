import { closeSync, openSync, readFileSync, readSync, statSync } from 'node:fs';
import { open } from 'node:fs/promises';
import { InputError } from '../data/input-error.ts';

/** Bytes a command reads from one data file (observed or query) unless `--max-input-bytes` says otherwise: 8 GiB. */
export const MAX_INPUT_BYTES = 8 * 1024 ** 3;

/** Bytes read from a sweep spec (JSON) at most: 16 MiB, far above any spec, far below any memory. */
export const MAX_SPEC_BYTES = 16 * 1024 ** 2;

/** Bytes read per chunk. */
const CHUNK = 1 << 20;

/** "8 GiB", "16 MiB", "1,000 bytes": a byte count in words for messages. */
export function formatBytes(bytes: number): string {
  for (const [unit, size] of [
    ['GiB', 1024 ** 3],
    ['MiB', 1024 ** 2],
    ['KiB', 1024],
  ] as const) {
    if (bytes >= size && bytes % size === 0) return `${(bytes / size).toLocaleString('en')} ${unit}`;
  }
  return `${bytes.toLocaleString('en')} bytes`;
}

/** The one-line error for an input that goes on past `maxBytes` (an endless device such as /dev/zero, or a huge file). */
function tooLarge(path: string, maxBytes: number, raise?: string): InputError {
  const how = raise ? `; ${raise} raises the limit` : '';
  return new InputError(
    { file: path },
    `larger than ${formatBytes(maxBytes)}, the limit for this input (it was read up to there and refused)${how}`,
  );
}

/** The size of a regular file in bytes, or null for anything else (a pipe, a device) or a file that cannot be read. */
export function regularFileSize(path: string): number | null {
  try {
    const s = statSync(path);
    return s.isFile() ? s.size : null;
  } catch {
    return null;
  }
}

/**
 * A user's file as chunks of bytes, 1 MiB at a time (pipes such as /dev/stdin included): reading stops with a
 * one-line InputError once more than `maxBytes` come (`raise` names the flag that raises it); a missing file, a
 * folder or an unreadable file is a one-line InputError too. Memory: one chunk.
 */
export async function* readFileChunks(
  path: string,
  opts: { maxBytes: number; raise?: string },
): AsyncGenerator<Uint8Array> {
  let handle;
  try {
    if (statSync(path).isDirectory()) throw new InputError({ file: path }, 'is a folder, not a file');
    handle = await open(path, 'r');
  } catch (err) {
    throw readError(err, path);
  }
  try {
    let total = 0;
    for (;;) {
      const buf = new Uint8Array(CHUNK);
      let n: number;
      try {
        ({ bytesRead: n } = await handle.read(buf, 0, CHUNK, null));
      } catch (err) {
        throw readError(err, path);
      }
      if (n === 0) return;
      total += n;
      if (total > opts.maxBytes) throw tooLarge(path, opts.maxBytes, opts.raise);
      yield buf.subarray(0, n);
    }
  } finally {
    await handle.close();
  }
}

/**
 * The text of a user's file (UTF-8), read in chunks up to `maxBytes` (more is a one-line InputError, so an endless
 * device stops); a missing file, a folder or an unreadable file becomes a one-line InputError.
 */
export function readTextFile(path: string, opts: { maxBytes: number; raise?: string }): string {
  let text: string | null;
  try {
    if (statSync(path).isDirectory()) throw new InputError({ file: path }, 'is a folder, not a file');
    text = readUpTo(path, opts.maxBytes);
  } catch (err) {
    throw readError(err, path);
  }
  if (text === null) throw tooLarge(path, opts.maxBytes, opts.raise);
  return text;
}

/**
 * The text of a file (UTF-8) read in chunks, or null once it passes `maxBytes` (an endless device stops there);
 * file-system errors are thrown as they come.
 */
export function readUpTo(path: string, maxBytes: number): string | null {
  const fd = openSync(path, 'r');
  try {
    const chunks: Buffer[] = [];
    let total = 0;
    for (;;) {
      const buf = Buffer.allocUnsafe(CHUNK);
      const n = readSync(fd, buf, 0, CHUNK, null);
      if (n === 0) break;
      total += n;
      if (total > maxBytes) return null;
      chunks.push(buf.subarray(0, n));
    }
    return Buffer.concat(chunks, total).toString('utf8');
  } finally {
    closeSync(fd);
  }
}

/** A file-system error on reading as an InputError naming the file (other errors pass through); writing: output.ts. */
function readError(err: unknown, path: string): unknown {
  if (err instanceof InputError) return err;
  const code = (err as NodeJS.ErrnoException | undefined)?.code;
  if (code === 'ENOENT') return new InputError({ file: path }, 'no such file');
  if (code === 'EACCES' || code === 'EPERM')
    return new InputError({ file: path }, 'permission denied (cannot read it)');
  if (code === 'EISDIR') return new InputError({ file: path }, 'is a folder, not a file');
  if (code) return new InputError({ file: path }, `cannot read it (${code})`);
  return err;
}

/** The bytes of a user's file (a saved model); problems as readTextFile's: one-line InputErrors naming the file. */
export function readBinaryFile(path: string): Uint8Array {
  try {
    if (statSync(path).isDirectory()) throw new InputError({ file: path }, 'is a folder, not a file');
    return readFileSync(path);
  } catch (err) {
    throw readError(err, path);
  }
}
