/** The lab state file, `<dir>/state.json`: what exists and which PIDs are ours. */
import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { ExitCode, FleetError } from '../errors.js';
import { writeFileAtomic } from '../io/files.js';
import type { LabHost, LabState } from './types.js';

export function statePath(dir: string): string {
  return join(dir, 'state.json');
}

export function defaultLabDir(cwd = process.cwd()): string {
  return resolve(cwd, '.lab');
}

export function loadState(dir: string): LabState | undefined {
  const file = statePath(dir);
  if (!existsSync(file)) return undefined;
  const data = JSON.parse(readFileSync(file, 'utf8')) as LabState;
  if (data.version !== 1) throw new FleetError(`${file} has unknown version ${String(data.version)}: run fleet lab down --dir ${dir}`, ExitCode.environment);
  return data;
}

export function requireState(dir: string): LabState {
  const state = loadState(dir);
  if (!state) throw new FleetError(`no lab in ${dir}: start one with \`fleet lab up\``, ExitCode.environment);
  return state;
}

/** Atomically (io/files.ts), so a crash never leaves half a file: up must be able to repair from it. */
export async function saveState(state: LabState): Promise<void> {
  state.updatedAt = new Date().toISOString();
  await writeFileAtomic(statePath(state.dir), JSON.stringify(state, null, 2) + '\n');
}

export function findHost(state: LabState, name: string): LabHost {
  const host = state.hosts.find((h) => h.name === name);
  if (!host) {
    throw new FleetError(`no host "${name}" in the lab at ${state.dir}; hosts: ${state.hosts.map((h) => h.name).join(', ')}`, ExitCode.invalid);
  }
  return host;
}
