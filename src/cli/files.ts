import { closeSync, openSync, readFileSync, renameSync, statSync, unlinkSync, writeSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { InputError } from '../data/input-error.ts';

/** The text of a user's file; a missing file, a folder or an unreadable file becomes a one-line InputError. */
export function readTextFile(path: string): string {
  try {
    if (statSync(path).isDirectory()) throw new InputError({ file: path }, 'is a folder, not a file');
    return readFileSync(path, 'utf8');
  } catch (err) {
    throw fileError(err, path, 'read');
  }
}

/** Throws an InputError unless `path` could be created or replaced: its folder must exist and it must not be a folder. */
export function checkWritable(path: string): void {
  const dir = dirname(resolve(path));
  let ok = false;
  try {
    ok = statSync(dir).isDirectory();
  } catch {
    ok = false;
  }
  if (!ok) throw new InputError({ file: path }, `cannot write here: folder ${dir} does not exist`);
  try {
    if (statSync(path).isDirectory()) throw new InputError({ file: path }, 'cannot write here: it is a folder');
  } catch (err) {
    if (err instanceof InputError) throw err;
  }
}

/**
 * Write `text` to `path` atomically: into a temporary file in the same folder, then renamed over `path`, so a
 * reader never sees half a file and a failure leaves no partial output (the temporary file is removed).
 */
export function writeFileAtomic(path: string, text: string): void {
  const tmp = join(dirname(resolve(path)), `.${basename(path)}.${process.pid}.${Date.now().toString(36)}.tmp`);
  let fd: number | null = null;
  try {
    fd = openSync(tmp, 'wx');
    writeSync(fd, text);
    closeSync(fd);
    fd = null;
    renameSync(tmp, path);
  } catch (err) {
    if (fd !== null) closeSync(fd);
    try {
      unlinkSync(tmp);
    } catch {
      // nothing to remove
    }
    throw fileError(err, path, 'write');
  }
}

/** A file-system error as an InputError naming the file (other errors pass through). */
function fileError(err: unknown, path: string, verb: 'read' | 'write'): unknown {
  if (err instanceof InputError) return err;
  const code = (err as NodeJS.ErrnoException | undefined)?.code;
  if (code === 'ENOENT') return new InputError({ file: path }, verb === 'read' ? 'no such file' : 'cannot write here: the folder does not exist');
  if (code === 'EACCES' || code === 'EPERM') return new InputError({ file: path }, `permission denied (cannot ${verb} it)`);
  if (code === 'EISDIR') return new InputError({ file: path }, 'is a folder, not a file');
  if (code) return new InputError({ file: path }, `cannot ${verb} it (${code})`);
  return err;
}
