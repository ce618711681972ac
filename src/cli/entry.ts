import { main } from './main.ts';

// The executable entry of `mcomplete` (bin/mcomplete.js loads the compiled copy of this file).
process.exitCode = await main(process.argv.slice(2));
