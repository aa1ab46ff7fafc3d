import { createInterface } from 'node:readline/promises';

/**
 * Ask a yes/no question on the terminal (prompt on stderr); only `y` or `yes`
 * is a yes. Ctrl-C at the prompt is a no that also goes on as the SIGINT it
 * is (the run's handler stops Ansible, which may be waiting for this answer,
 * and the run exits 130).
 */
export async function confirm(question: string): Promise<boolean> {
  const rl = createInterface({ input: process.stdin, output: process.stderr });
  const abort = new AbortController();
  rl.on('SIGINT', () => {
    abort.abort();
    process.kill(process.pid, 'SIGINT');
  });
  try {
    return /^y(es)?$/i.test((await rl.question(question, { signal: abort.signal })).trim());
  } catch (e) {
    if (abort.signal.aborted) return false;
    throw e;
  } finally {
    rl.close();
  }
}
