/**
 * loadPolicy: the one file read of the policy module. Everything after the
 * read is parsePolicyText; problems become one FleetError (exit 2) whose
 * details are every error line.
 */
import { createHash } from 'node:crypto';
import { readFile, stat } from 'node:fs/promises';
import { ExitCode, FleetError } from '../errors.js';
import { formatDiagnostic, type Diagnostic } from './diagnostic.js';
import { MAX_POLICY_BYTES, parsePolicyText } from './parse.js';
import type { Policy } from './types.js';

/** Read, parse and validate a policy file. Throws FleetError(exit 2) naming the file and every problem. */
export async function loadPolicy(file: string, opts: { allowPipe?: boolean } = {}): Promise<{ policy: Policy; warnings: Diagnostic[] }> {
  const fail = (why: string, details: string[] = []) => new FleetError(`policy ${file}: ${why}`, ExitCode.invalid, details);
  let bytes: Buffer;
  try {
    const st = await stat(file);
    if (st.isDirectory()) throw fail('is a directory; pass the policy YAML file itself');
    // a pipe (`<(git show main:policy.yaml)`) only where the caller reads a policy once and keeps no state for it
    const pipe = opts.allowPipe === true && st.isFIFO();
    if (!st.isFile() && !pipe) throw fail('is not a regular file');
    // Checked before reading so a huge file is never loaded into memory.
    if (st.size > MAX_POLICY_BYTES) {
      throw fail('is too large', [`${file}:1:1 (document): the file is ${st.size} bytes, more than the 1 MiB a policy may have`]);
    }
    bytes = await readFile(file);
    if (bytes.length > MAX_POLICY_BYTES) {
      throw fail('is too large', [`${file}:1:1 (document): the file is ${bytes.length} bytes, more than the 1 MiB a policy may have`]);
    }
  } catch (e) {
    if (e instanceof FleetError) throw e;
    const code = (e as NodeJS.ErrnoException).code;
    const why = code === 'ENOENT' ? 'does not exist' : code === 'EACCES' ? 'is not readable (permission denied)' : `cannot be read (${(e as Error).message})`;
    throw fail(why);
  }
  // Non-fatal decoding: invalid UTF-8 becomes U+FFFD, which parsePolicyText reports with its position.
  const text = new TextDecoder('utf-8', { fatal: false, ignoreBOM: false }).decode(bytes);
  const { policy, errors, warnings } = parsePolicyText(text, file);
  if (!policy) {
    const n = errors.length;
    throw fail(`${n} problem${n === 1 ? '' : 's'} found; fix ${n === 1 ? 'it' : 'them'} and run again`, errors.map(formatDiagnostic));
  }
  return { policy: { ...policy, sha256: createHash('sha256').update(bytes).digest('hex') }, warnings };
}
