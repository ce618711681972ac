import { main } from '../../src/cli/main.ts';
import { getBackend, setBackend } from '../../src/linalg/backend.ts';

/** What one in-process `mcomplete` command did: its exit code and everything it wrote to stdout and stderr. */
export interface MainResult {
  code: number;
  stdout: string;
  stderr: string;
}

/**
 * Run `mcomplete argv` in this process through main() (no child process: cheap enough for thousands of cases),
 * capturing stdout and stderr; process.exitCode is reset before and after, and the default backend (which main()
 * sets) is put back after, so later tests in the process see the default they would see alone. A rejection of main()
 * (an error that escaped the command's handling) rejects here too.
 */
export async function runMain(argv: string[]): Promise<MainResult> {
  const out: string[] = [];
  const err: string[] = [];
  const stdoutWrite = process.stdout.write;
  const stderrWrite = process.stderr.write;
  // The commands write strings; the test runner reports to its parent through stdout in binary chunks, which
  // pass through untouched (else the parent would lose the results of tests reported while a command runs).
  const capture = (sink: string[], original: typeof process.stdout.write) =>
    ((chunk: string | Uint8Array, ...rest: unknown[]): boolean => {
      if (typeof chunk !== 'string')
        return (original as (c: Uint8Array, ...r: unknown[]) => boolean).call(process.stdout, chunk, ...rest);
      sink.push(chunk);
      const cb = rest.find((r) => typeof r === 'function') as (() => void) | undefined;
      cb?.();
      return true;
    }) as typeof process.stdout.write;
  const backend = getBackend();
  process.exitCode = undefined;
  process.stdout.write = capture(out, stdoutWrite);
  process.stderr.write = capture(err, stderrWrite);
  try {
    const code = await main(argv);
    return { code, stdout: out.join(''), stderr: err.join('') };
  } finally {
    process.stdout.write = stdoutWrite;
    process.stderr.write = stderrWrite;
    process.exitCode = undefined;
    setBackend(backend);
  }
}
