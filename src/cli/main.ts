#!/usr/bin/env node
/** The fleet binary. The only place that sets process.exitCode; nothing calls process.exit, so pending writes finish. */
import { prelaunch } from '../engine/prelaunch.js';

// Before anything else is loaded: a `fleet check` seen before starts its Ansible process now, held at its gate (engine/prelaunch.ts).
prelaunch(process.argv.slice(2));

// A reader that stops early (`fleet check --help | head -1`) closes the pipe: not fleet's error to crash on.
process.stdout.on('error', (e: NodeJS.ErrnoException) => {
  if (e.code !== 'EPIPE') throw e;
});

const { runFleet } = await import('./run.js');
process.exitCode = await runFleet(process.argv);
