import { readFileSync, statSync } from 'node:fs';
import { InputError } from '../data/input-error.ts';

/** The text of a user's file; a missing file, a folder or an unreadable file becomes a one-line InputError. */
export function readTextFile(path: string): string {
  try {
    if (statSync(path).isDirectory()) throw new InputError({ file: path }, 'is a folder, not a file');
    return readFileSync(path, 'utf8');
  } catch (err) {
    throw readError(err, path);
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
