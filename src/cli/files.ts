import { readFileSync, statSync } from 'node:fs';
import { checkOutputs, writeFileAtomic } from './output.ts';
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

/** Throws an InputError unless `path` could be created or replaced (see checkOutputs in output.ts). */
export function checkWritable(path: string): void {
  checkOutputs([{ flag: 'output', path }]);
}

/** Write a file atomically (temporary file, then rename); see output.ts, where every command's writing lives. */
export { writeFileAtomic };

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
