import {
  closeSync,
  lstatSync,
  mkdirSync,
  openSync,
  readlinkSync,
  realpathSync,
  renameSync,
  rmdirSync,
  statSync,
  unlinkSync,
  writeFileSync,
  writeSync,
} from 'node:fs';
import { basename, dirname, isAbsolute, join, resolve } from 'node:path';
import { InputError } from '../data/input-error.ts';

// The one place the commands write files from (docs/security.md): every output path is checked before any work
// (a writable folder, not a folder itself, never an input, never another output, comparing real paths with links
// followed), written through a temporary file and a rename, and removed again when the command fails.

/** A path the command will write, with the flag (or argument) that named it, for the messages. */
export interface OutputPath {
  flag: string;
  path: string;
  /** Appended to in place (a results file), not replaced: an existing file needs only to open for appending. */
  append?: boolean;
}

/** A path the command reads, with what it is (for the messages: "the observed file", "the spec"). */
export interface InputPath {
  what: string;
  path: string;
}

/** At most this many folders are created for one output folder (a bound on mkdir, which has hung on /proc). */
export const MAX_NEW_FOLDERS = 32;

/**
 * The real path `path` names, links followed: realpath when it exists; for a link whose target is missing, the
 * target's; for a missing file, the real path of its nearest existing folder with the rest appended.
 */
export function realTarget(path: string, depth = 0): string {
  const abs = resolve(path);
  try {
    return realpathSync(abs);
  } catch {
    // missing, or a link whose target is missing
  }
  if (depth < 40) {
    try {
      if (lstatSync(abs).isSymbolicLink()) {
        const target = readlinkSync(abs);
        return realTarget(isAbsolute(target) ? target : join(dirname(abs), target), depth + 1);
      }
    } catch {
      // not there at all
    }
  }
  const parent = dirname(abs);
  return parent === abs ? abs : join(realTarget(parent, depth + 1), basename(abs));
}

/** The (device, inode) identity of an existing file, or null (hard links to one file share it). */
function fileIdentity(path: string): string | null {
  try {
    const s = statSync(path);
    return `${s.dev}:${s.ino}`;
  } catch {
    return null;
  }
}

/** Two paths that name one file: equal real paths, or one existing file reached twice (hard links). */
function sameFile(a: string, b: string): boolean {
  if (realTarget(a) === realTarget(b)) return true;
  const ia = fileIdentity(a);
  return ia !== null && ia === fileIdentity(b);
}

/**
 * Throws an InputError (naming the flag, the path and the fix) unless every output can be written: its folder
 * exists and accepts a new file (a probe file is created and removed), it is not a folder, it is not one of
 * `inputs`, and no two outputs name the same file. Call it before any work starts.
 */
export function checkOutputs(outputs: readonly OutputPath[], inputs: readonly InputPath[] = []): void {
  for (const [i, out] of outputs.entries()) {
    if (out.path.trim() === '') throw new InputError({ file: '(empty path)' }, `${out.flag} is empty: name a file`);
    for (const input of inputs) {
      if (sameFile(out.path, input.path)) {
        throw new InputError(
          { file: out.path },
          `${out.flag} names ${input.what} (${input.path}); refusing to overwrite an input: write to another file`,
        );
      }
    }
    for (const other of outputs.slice(0, i)) {
      if (sameFile(out.path, other.path)) {
        throw new InputError(
          { file: out.path },
          `${other.flag} and ${out.flag} name the same file; give each output its own path`,
        );
      }
    }
    checkWritableFile(out);
  }
}

/** The folder of `path` exists and takes a new file, and `path` is not a folder; else an InputError. */
function checkWritableFile(out: OutputPath): void {
  const dir = dirname(realTarget(out.path));
  let dirStat;
  try {
    dirStat = statSync(dir);
  } catch (err) {
    const code = errCode(err);
    if (code === 'ENOTDIR')
      throw new InputError(
        { file: out.path },
        `cannot write ${out.flag} here: a part of ${dir} is a file, not a folder`,
      );
    throw new InputError(
      { file: out.path },
      `cannot write ${out.flag} here: folder ${dir} does not exist (create it first)`,
    );
  }
  if (!dirStat.isDirectory())
    throw new InputError({ file: out.path }, `cannot write ${out.flag} here: ${dir} is a file, not a folder`);
  let exists = false;
  try {
    const s = statSync(out.path);
    if (s.isDirectory())
      throw new InputError({ file: out.path }, `cannot write ${out.flag} here: it is a folder (name a file)`);
    exists = true;
  } catch (err) {
    if (err instanceof InputError) throw err;
  }
  // Appending means reading the file first: a FIFO would block that read (or the open), a device never ends it.
  if (out.append && exists && isSpecialFile(out.path))
    throw new InputError(
      { file: out.path },
      `is not a regular file (a pipe, a device or a socket): ${out.flag} is read back and appended to, so name a file`,
    );
  if ((out.append && exists) || isSpecialFile(out.path)) {
    try {
      closeSync(openSync(out.path, 'a'));
    } catch (err) {
      throw new InputError({ file: out.path }, `cannot write ${out.flag}: ${fsReason(err, 'write')}`);
    }
    return;
  }
  const probe = tempName(join(dir, basename(out.path)), 'probe');
  try {
    closeSync(openSync(probe, 'wx'));
  } catch (err) {
    throw new InputError({ file: out.path }, `cannot write ${out.flag} here: folder ${dir} ${fsReason(err, 'write')}`);
  }
  try {
    unlinkSync(probe);
  } catch {
    // removed by someone else
  }
}

/**
 * Create folder `dir` and its missing parents one level at a time (at most MAX_NEW_FOLDERS; no recursive mkdir,
 * which has spun at 100% CPU on paths such as /proc/nope/x). Returns the folders created, outermost first, for
 * removeFolders. An existing file in the way, a missing permission or any other failure is an InputError naming
 * `flag`. An existing folder is fine.
 */
export function ensureFolder(dir: string, flag: string): string[] {
  if (dir.trim() === '') throw new InputError({ file: '(empty path)' }, `${flag} is empty: name a folder`);
  const abs = resolve(dir);
  const missing: string[] = [];
  let at = abs;
  for (;;) {
    let s;
    try {
      s = statSync(at);
    } catch (err) {
      const code = errCode(err);
      if (code === 'ENOTDIR') {
        throw new InputError({ file: dir }, `cannot create ${flag} folder: a part of ${at} is a file, not a folder`);
      }
      if (code !== 'ENOENT')
        throw new InputError({ file: dir }, `cannot create ${flag} folder: ${at} ${fsReason(err, 'read')}`);
      missing.push(at);
      if (missing.length > MAX_NEW_FOLDERS) {
        throw new InputError(
          { file: dir },
          `cannot create ${flag} folder: more than ${MAX_NEW_FOLDERS} folders are missing on the way`,
        );
      }
      const parent = dirname(at);
      if (parent === at)
        throw new InputError({ file: dir }, `cannot create ${flag} folder: no existing folder on the way`);
      at = parent;
      continue;
    }
    if (!s.isDirectory()) {
      throw new InputError(
        { file: dir },
        at === abs
          ? `${flag} names a file, not a folder`
          : `cannot create ${flag} folder: ${at} is a file, not a folder`,
      );
    }
    break;
  }
  const created: string[] = [];
  for (const folder of missing.reverse()) {
    try {
      mkdirSync(folder);
    } catch (err) {
      removeFolders(created);
      throw new InputError({ file: dir }, `cannot create ${flag} folder ${folder}: ${fsReason(err, 'write')}`);
    }
    created.push(folder);
  }
  return created;
}

/** Remove folders made by ensureFolder, innermost first, each only if empty (cleanup after a failure). */
export function removeFolders(created: readonly string[]): void {
  for (const folder of [...created].reverse()) {
    try {
      rmdirSync(folder);
    } catch {
      return; // not empty (or gone): keep it and its parents
    }
  }
}

/** A temporary name next to `path` (same folder, so the rename is atomic). */
function tempName(path: string, tag: string): string {
  return join(
    dirname(resolve(path)),
    `.${basename(path)}.${process.pid}.${Date.now().toString(36)}.${Math.random().toString(36).slice(2, 8)}.${tag}`,
  );
}

/** Temporary files written and not yet renamed or removed, in this process: removed on Ctrl-C, SIGTERM or exit. */
const liveTemps = new Set<string>();

/**
 * Remove every live temporary file, then end the process as the signal would have (its listener removed and the
 * signal raised again), unless another part of the command listens to it and decides.
 */
function onSignal(signal: NodeJS.Signals): void {
  for (const tmp of liveTemps) removeFile(tmp);
  liveTemps.clear();
  if (process.listenerCount(signal) > 1) return;
  unwatchSignals();
  process.kill(process.pid, signal);
}

/** Remove every live temporary file on the way out (process.exit, or the end of the event loop). */
function onExit(): void {
  for (const tmp of liveTemps) removeFile(tmp);
}

/** Watch SIGINT, SIGTERM and exit while a temporary file is live, so that none survives them. */
function watchSignals(): void {
  if (process.listeners('exit').includes(onExit)) return;
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  process.on('exit', onExit);
}

/** Stop watching once no temporary file is live (so a later Ctrl-C behaves as the command alone decides). */
function unwatchSignals(): void {
  process.removeListener('SIGINT', onSignal);
  process.removeListener('SIGTERM', onSignal);
  process.removeListener('exit', onExit);
}

/** Forget a temporary file renamed or removed; the last one stops the watch. */
function settled(tmp: string): void {
  liveTemps.delete(tmp);
  if (liveTemps.size === 0) unwatchSignals();
}

/** Write `text` fully into a new file `file` (created exclusively); throws the raw fs error, after removing it. */
function writeNew(file: string, text: string | Uint8Array): void {
  let fd: number | null = null;
  try {
    fd = openSync(file, 'wx');
    const bytes = typeof text === 'string' ? Buffer.from(text, 'utf8') : text;
    let written = 0;
    while (written < bytes.length) written += writeSync(fd, bytes, written);
    closeSync(fd);
    fd = null;
  } catch (err) {
    if (fd !== null) closeSync(fd);
    removeFile(file);
    throw err;
  }
}

/** Remove a file, ignoring a file that is not there. */
function removeFile(file: string): void {
  try {
    unlinkSync(file);
  } catch {
    // nothing to remove
  }
}

/**
 * Write `text` to `path` atomically: into a temporary file in the same folder, then renamed over `path`, so a
 * reader never sees half a file and a failure leaves no partial output (the temporary file is removed). Any
 * failure is an InputError naming `path`.
 */
export function writeFileAtomic(path: string, text: string, flag = 'output'): void {
  const staged = stageOutputs();
  staged.write({ flag, path }, text);
  staged.commit();
}

/** Outputs written in two phases: each to a temporary file first, then all renamed into place at once. */
export interface StagedOutputs {
  /** Write one output's text (or bytes) to its temporary file (an InputError on failure; the others stay staged). */
  write(out: OutputPath, text: string | Uint8Array): void;
  /** Rename every staged file into place; if one rename fails, the outputs already moved are removed too. */
  commit(): void;
  /** Remove every temporary file (after a failure elsewhere); nothing was placed. */
  abort(): void;
}

/**
 * Stage several outputs so that a command writes all of them or none: a failure while writing any one (disk full,
 * a folder gone) leaves no output of this run behind. Outputs are renamed only in commit().
 */
export function stageOutputs(): StagedOutputs {
  // A regular (or new) file gets a temporary file beside its real path (links followed, so a link keeps pointing
  // at the new content), renamed over it; a device or pipe (/dev/null, /dev/stdout) is written directly, since a
  // rename would replace the device node itself.
  const staged: { out: OutputPath; target: string; tmp: string | null; text: string | Uint8Array }[] = [];
  const abort = (): void => {
    for (const s of staged) {
      if (s.tmp === null) continue;
      removeFile(s.tmp);
      settled(s.tmp);
    }
    staged.length = 0;
  };
  return {
    write(out, text) {
      if (isSpecialFile(out.path)) {
        staged.push({ out, target: out.path, tmp: null, text });
        return;
      }
      const target = realTarget(out.path);
      const tmp = tempName(target, 'tmp');
      liveTemps.add(tmp);
      watchSignals();
      try {
        writeNew(tmp, text);
      } catch (err) {
        settled(tmp);
        abort();
        throw new InputError({ file: out.path }, `cannot write ${out.flag}: ${fsReason(err, 'write')}`);
      }
      staged.push({ out, target, tmp, text: '' });
    },
    commit() {
      const placed: string[] = [];
      for (const s of staged) {
        try {
          if (s.tmp === null) writeFileSync(s.target, s.text);
          else {
            renameSync(s.tmp, s.target);
            settled(s.tmp);
          }
        } catch (err) {
          for (const p of placed) removeFile(p);
          abort();
          throw new InputError({ file: s.out.path }, `cannot write ${s.out.flag}: ${fsReason(err, 'write')}`);
        }
        if (s.tmp !== null) placed.push(s.target);
      }
      staged.length = 0;
    },
    abort,
  };
}

/** Whether `path` exists and is neither a regular file nor a folder (a character device, a pipe, a socket). */
function isSpecialFile(path: string): boolean {
  try {
    const s = statSync(path);
    return !s.isFile() && !s.isDirectory();
  } catch {
    return false;
  }
}

/** The errno code of an fs error, if any. */
function errCode(err: unknown): string | undefined {
  return (err as NodeJS.ErrnoException | undefined)?.code;
}

/** A few words for an fs failure ("is read-only", "permission denied", "no space left"), never a stack. */
export function fsReason(err: unknown, verb: 'read' | 'write'): string {
  const code = errCode(err);
  switch (code) {
    case 'ENOENT':
      return 'does not exist';
    case 'EACCES':
    case 'EPERM':
      return `permission denied (cannot ${verb})`;
    case 'EROFS':
      return 'is on a read-only file system';
    case 'EISDIR':
      return 'is a folder, not a file';
    case 'ENOTDIR':
      return 'has a file where a folder should be';
    case 'ENOSPC':
      return 'no space left on the device';
    case 'EDQUOT':
      return 'disk quota exceeded';
    case 'ENAMETOOLONG':
      return 'the name is too long';
    case 'EEXIST':
      return 'already exists';
    case undefined:
      return err instanceof Error ? err.message.split('\n')[0] : String(err);
    default:
      return `cannot ${verb} (${code})`;
  }
}
