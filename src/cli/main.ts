#!/usr/bin/env node
/** The fleet binary. The only place that sets process.exitCode; nothing calls process.exit, so pending writes finish. */
import { runFleet } from './run.js';

void runFleet(process.argv).then((code) => {
  process.exitCode = code;
});
