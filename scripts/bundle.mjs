#!/usr/bin/env node
// `npm run build`, second step: bundle tsc's dist/ into the fleet binary, dist/cli/main.js (it
// replaces tsc's entry file), with one chunk per command and shared chunks in dist/cli/chunks/.
// A run then compiles a few files instead of ~150 ES modules and their dependencies: a one-host
// `fleet check` starts ansible-playbook ≈ 65 ms sooner (issue 19). Commands stay lazily loaded
// (each is a chunk); the rest of dist/ stays for the bench and anything importing modules.
import { rmSync } from 'node:fs';
import { build } from 'esbuild';

rmSync('dist/cli/chunks', { recursive: true, force: true });
await build({
  entryPoints: { main: 'dist/cli/main.js' },
  outdir: 'dist/cli',
  chunkNames: 'chunks/[name]-[hash]',
  allowOverwrite: true,
  bundle: true,
  splitting: true,
  format: 'esm',
  platform: 'node',
  target: 'node20',
  // commander is CommonJS: its require() of node builtins needs a require in each ES chunk
  banner: { js: "import { createRequire as fleetCreateRequire } from 'node:module';\nconst require = fleetCreateRequire(import.meta.url);" },
  logLevel: 'warning',
});
