// The default `mcomplete run --json` (n = 100, m = 2000, adam + L∗/F, 25,000 steps, seed 0) through the CLI's own
// main(), then its peak RSS on stderr as one JSON line; bench/speed.ts runs this in a child process and times it.
// Usage: node --import tsx bench/run-default.ts [extra mcomplete run flags]
import { main } from '../src/cli/main.ts';

const code = await main(['run', '--json', ...process.argv.slice(2)]);
process.stderr.write(`${JSON.stringify({ maxRssKB: process.resourceUsage().maxRSS })}\n`);
process.exitCode = code;
