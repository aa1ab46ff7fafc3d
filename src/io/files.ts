/**
 * Writing report files. Atomic (temp file + rename in the same folder) so a
 * reader — node_exporter's textfile collector, a CI artifact upload — never
 * sees half a file.
 */
import { mkdir, open, rename, rm } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { ExitCode, FleetError } from '../errors.js';
import { renderReport, type ReportSpec } from '../report/index.js';
import type { RunReport } from '../verify/types.js';

/**
 * Write `content` to `path` atomically: create parent folders, write
 * `path.tmp-<pid>` next to it, then rename over `path`. The temp name does not
 * end in `.prom`, so the textfile collector ignores it while it is written.
 * @throws FleetError (exit 3) when the file cannot be written.
 */
export async function writeFileAtomic(path: string, content: string, mode = 0o644): Promise<void> {
  const target = resolve(path);
  await mkdir(dirname(target), { recursive: true, mode: 0o755 });
  const tmp = `${target}.tmp-${process.pid}`;
  try {
    const fh = await open(tmp, 'w', mode);
    try {
      await fh.writeFile(content, 'utf8');
      // open()'s mode is filtered by the umask; the collector must be able to read the file.
      await fh.chmod(mode);
      await fh.sync();
    } finally {
      await fh.close();
    }
    await rename(tmp, target);
  } catch (e) {
    await rm(tmp, { force: true });
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
