import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('../..', import.meta.url));

/** A CLI process running in the background (from source, through tsx). */
export interface CliProcess {
  pid: number;
  stdout(): string;
  stderr(): string;
  /** Resolves with the exit code (or the signal's name) once it has exited. */
  exited: Promise<number | string>;
  /** Resolves when `pattern` appears in stderr (rejects after timeoutMs or if the process exits first). */
  waitForStderr(pattern: RegExp, timeoutMs?: number): Promise<void>;
  kill(signal: NodeJS.Signals): void;
}

/** Start `mcomplete args...` from source with extra environment variables. */
export function startCli(args: string[], env: NodeJS.ProcessEnv = {}): CliProcess {
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/cli/entry.ts', ...args], {
    cwd: root,
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  let err = '';
  child.stdout.on('data', (b: Buffer) => (out += b.toString('utf8')));
  child.stderr.on('data', (b: Buffer) => (err += b.toString('utf8')));
  const exited = new Promise<number | string>((resolve) =>
    child.once('exit', (code, signal) => resolve(code ?? signal ?? 'unknown')),
  );
  let done = false;
  void exited.then(() => (done = true));
  return {
    pid: child.pid!,
    stdout: () => out,
    stderr: () => err,
    exited,
    async waitForStderr(pattern, timeoutMs = 30_000) {
      const deadline = Date.now() + timeoutMs;
      while (!pattern.test(err)) {
        if (done) throw new Error(`process exited before ${pattern} appeared on stderr:\n${err}`);
        if (Date.now() > deadline) throw new Error(`timed out waiting for ${pattern} on stderr:\n${err}`);
        await new Promise((r) => setTimeout(r, 25));
      }
    },
    kill(signal) {
      if (!done) child.kill(signal);
    },
  };
}
