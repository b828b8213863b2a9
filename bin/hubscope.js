#!/usr/bin/env node
// The `hubscope` command (`npx hubscope` in the checkout finds it through the
// node_modules/.bin/hubscope link scripts/link-bin.js makes). Runs the compiled CLI
// (npm install builds dist/).
import { runCli } from '../dist/main/cli/index.js';

runCli(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (err) => {
    console.error(`hubscope: ${err instanceof Error ? err.message : String(err)}`);
    process.exitCode = 1;
  },
);
