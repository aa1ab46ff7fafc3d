// Print the closing line CI reads, from vitest's JSON reporter:
// "N passed, N failed, N skipped". A run that failed outside any test
// (lab could not start, build broke) never reads as green.
import { existsSync, readFileSync } from 'node:fs';

const [file, rcText = '0', lintText = '0'] = process.argv.slice(2);
const rc = Number(rcText);
// `npm run lint` (format + lint) failing counts as one failed check of its own
const lintFailed = Number(lintText) !== 0;
let passed = 0;
let failed = 0;
let skipped = 0;
if (file && existsSync(file)) {
  const r = JSON.parse(readFileSync(file, 'utf8'));
  passed = r.numPassedTests ?? 0;
  failed = r.numFailedTests ?? 0;
  skipped = (r.numPendingTests ?? 0) + (r.numTodoTests ?? 0);
  if (rc !== 0 && failed === 0 && !lintFailed) {
    failed = Math.max(1, r.numFailedTestSuites ?? 0);
    console.error(`vitest exited ${rc} with no failed test: counting ${failed} failed suite(s) (setup error?)`);
  }
} else {
  console.error(`no vitest JSON report at ${file}: the suite did not run`);
  failed = 1;
}
if (lintFailed) {
  console.error('npm run lint failed: counted as 1 failed (run npm run format, then fix what it reports)');
  failed += 1;
}
console.log(`${passed} passed, ${failed} failed, ${skipped} skipped`);
