#!/usr/bin/env node
// The parley CLI entry: a thin shim over the compiled harness so `npx parley` and a
// global install both start from compiled JavaScript (no loader cost per node process).
import { main } from '../dist/harness/cli.js';

main(process.argv.slice(2)).then(
  (code) => { process.exitCode = code; },
  (err) => {
    console.error(`parley: internal error: ${err && err.stack ? err.stack : err}`);
    process.exitCode = 70;
  },
);
