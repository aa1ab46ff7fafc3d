/**
 * Writing report files. Atomic (temp file + rename in the same folder) so a
 * reader — node_exporter's textfile collector, a CI artifact upload — never
 * sees half a file; safe in a folder others can write (no symlink followed).
 */
import { randomBytes } from 'node:crypto';
import { constants } from 'node:fs';
import { mkdir, open, rename, rm } from 'node:fs/promises';
import { basename, dirname, join, resolve } from 'node:path';
import { ExitCode, FleetError } from '../errors.js';
import { renderReport, type ReportSpec } from '../report/index.js';
import type { RunReport } from '../verify/types.js';

/** A new file only: fails on anything already at the path, and never follows a symlink there. */
const CREATE_NEW = constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW;

/**
 * Write `content` to `path` atomically: create parent folders, write a new
 * temp file with a random name next to it (O_EXCL | O_NOFOLLOW, so a planted
 * file or symlink is never opened), then rename over `path`. The temp name
 * starts with `.` and does not end in `.prom`, so the textfile collector
 * ignores it while it is written. Only the temp file fleet just created is
 * chmod-ed (through its descriptor): the umask must not make a report
 * unreadable to the collector, and nothing else is touched.
 * @throws FleetError (exit 3) when the file cannot be written.
 */
export async function writeFileAtomic(path: string, content: string, mode = 0o644): Promise<void> {
  const target = resolve(path);
  await mkdir(dirname(target), { recursive: true, mode: 0o755 });
  const tmp = join(dirname(target), `.${basename(target)}.${randomBytes(6).toString('hex')}.tmp`);
  let created = false;
  try {
    const fh = await open(tmp, CREATE_NEW, mode);
    created = true;
    try {
      await fh.writeFile(content, 'utf8');
      await fh.chmod(mode);
      await fh.sync();
    } finally {
      await fh.close();
    }
    await rename(tmp, target);
  } catch (e) {
    if (created) await rm(tmp, { force: true });
    const why = e instanceof Error ? e.message : String(e);
    throw new FleetError(`cannot write ${path}: ${why} (check the folder exists and is writable)`, ExitCode.environment);
  }
}

/** Render and write every `--report` spec; returns the paths written, in order. */
export async function writeReports(specs: readonly ReportSpec[], report: RunReport): Promise<string[]> {
  const written: string[] = [];
  for (const spec of specs) {
    await writeFileAtomic(spec.path, renderReport(spec.format, report));
    written.push(spec.path);
  }
  return written;
}
