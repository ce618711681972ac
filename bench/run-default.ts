// The default `mcomplete run --json` (n = 100, m = 2000, adam + L∗/F, 25,000 steps, seed 0) through the CLI's own
// main(), then one JSON line on stderr: peak RSS, and how much of the run the backend's SVDs and gemms took
// (timed around each call; the clock costs well under a microsecond a call). bench/speed.ts runs this in a child
// process and times it.
// Usage: node --import tsx bench/run-default.ts [extra mcomplete run flags]
import { main } from '../src/cli/main.ts';
import { loadNativeBackend } from '../src/linalg/native.ts';
import { tsBackend, type Backend } from '../src/linalg/backend.ts';

const kernelMs = { svd: 0, gemm: 0 };
const calls = { svd: 0, gemm: 0 };

/** fn, adding its time to kernelMs[name] and counting the call. */
function timed<F extends (...args: never[]) => unknown>(name: keyof typeof kernelMs, fn: F): F {
  return ((...args: Parameters<F>) => {
    const t0 = performance.now();
    const out = fn(...args);
    kernelMs[name] += performance.now() - t0;
    calls[name]++;
    return out;
  }) as F;
}

// main() picks the native backend (a cached object) or tsBackend: time the kernels of whichever it picks.
for (const backend of [loadNativeBackend().backend, tsBackend]) {
  if (!backend) continue;
  const b = backend as { -readonly [K in keyof Backend]: Backend[K] };
  b.svdInto = timed('svd', b.svdInto);
  b.gemm = timed('gemm', b.gemm);
}
const code = await main(['run', '--json', ...process.argv.slice(2)]);
process.stderr.write(`${JSON.stringify({ maxRssKB: process.resourceUsage().maxRSS, kernelMs, calls })}\n`);
process.exitCode = code;
