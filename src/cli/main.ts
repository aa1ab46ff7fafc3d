#!/usr/bin/env node
/** The fleet binary. The only place that sets process.exitCode; nothing calls process.exit, so pending writes finish. */
import { runFleet } from './run.js';

// A reader that stops early (`fleet check --help | head -1`) closes the pipe: not fleet's error to crash on.
process.stdout.on('error', (e: NodeJS.ErrnoException) => {
  if (e.code !== 'EPIPE') throw e;
});

void runFleet(process.argv).then((code) => {
  process.exitCode = code;
});
