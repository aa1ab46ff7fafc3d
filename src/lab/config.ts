/** Turn `LabOptions` into a concrete, validated `LabConfig`. Pure. */
import { resolve } from 'node:path';
import { ExitCode, FleetError } from '../errors.js';
import type { GroupSpec, LabHostSpec, LabConfig, LabOptions } from './types.js';

const DEFAULT_GROUP = 'lab';
/** Host addresses are x.y.z.(10+n); keep n small enough for one /24. */
export const MAX_HOSTS = 200;

/** Parse `web=2,db=1` into a GroupSpec. */
export function parseGroupSpec(text: string): GroupSpec {
  const spec: Array<[string, number]> = [];
  for (const part of text
    .split(',')
    .map((p) => p.trim())
    .filter(Boolean)) {
    const m = /^([A-Za-z_][A-Za-z0-9_]*)=(\d+)$/.exec(part);
    if (!m) throw new FleetError(`bad group "${part}" in --groups: expected NAME=COUNT, e.g. web=2,db=1`, ExitCode.invalid);
    spec.push([m[1]!, Number(m[2])]);
  }
  if (spec.length === 0) throw new FleetError('--groups is empty: expected NAME=COUNT, e.g. web=2,db=1', ExitCode.invalid);
  return spec;
}

/** Check a subnet is a /24 inside 198.18.0.0/15 and return its first three octets. */
export function parseLabSubnet(subnet: string): string {
  const m = /^198\.(18|19)\.(\d{1,3})\.0\/24$/.exec(subnet);
  if (!m || Number(m[2]) > 255) {
    throw new FleetError(`lab subnet ${subnet} is not allowed: use a /24 inside 198.18.0.0/15 (benchmarking range), e.g. 198.18.1.0/24`, ExitCode.invalid);
  }
  return `198.${m[1]}.${m[2]}`;
}

/** Assign hosts to groups in order; hosts past the spec's total land in `lab`. */
export function labHostSpecs(count: number, groups: GroupSpec, hostPrefix: string, net: string): LabHostSpec[] {
  const names: string[] = [];
  for (const [group, n] of groups) for (let i = 0; i < n; i++) names.push(group);
  if (names.length > count) {
    throw new FleetError(`--groups assigns ${names.length} hosts but the lab has ${count}: raise --hosts or lower the counts`, ExitCode.invalid);
  }
  return Array.from({ length: count }, (_, i) => ({
    name: `${hostPrefix}${i + 1}`,
    index: i + 1,
    address: `${net}.${10 + i + 1}`,
    groups: [names[i] ?? DEFAULT_GROUP],
  }));
}

export function resolveConfig(opts: LabOptions, cwd = process.cwd()): LabConfig {
  const prefix = opts.prefix ?? 'fleet';
  // Linux interface names are at most 15 characters: `<prefix>br0`, `<prefix>v<n>`.
  if (!/^[a-z][a-z0-9]{0,9}$/.test(prefix)) {
    throw new FleetError(`lab prefix "${prefix}" must be 1-10 lowercase letters/digits starting with a letter`, ExitCode.invalid);
  }
  const hostPrefix = opts.hostPrefix ?? 'h';
  if (!/^[a-z][a-z0-9-]{0,20}$/.test(hostPrefix)) throw new FleetError(`host prefix "${hostPrefix}" must be lowercase letters, digits or -`, ExitCode.invalid);
  const groups = typeof opts.groups === 'string' ? parseGroupSpec(opts.groups) : (opts.groups ?? []);
  const total = groups.reduce((sum, [, n]) => sum + n, 0);
  const count = opts.hosts ?? (total > 0 ? total : 3);
  if (!Number.isInteger(count) || count < 1 || count > MAX_HOSTS) {
    throw new FleetError(`--hosts must be a whole number from 1 to ${MAX_HOSTS}, got ${count}`, ExitCode.invalid);
  }
  const subnet = opts.subnet ?? '198.18.0.0/24';
  const net = parseLabSubnet(subnet);
  return {
    dir: resolve(cwd, opts.dir ?? '.lab'),
    prefix,
    bridge: `${prefix}br0`,
    subnet,
    gateway: `${net}.1`,
    inventory: resolve(cwd, opts.inventory ?? 'inventories/lab.yml'),
    hostPrefix,
    proxyPortBase: opts.proxyPortBase ?? 2200,
    concurrency: opts.concurrency ?? 16,
    hosts: labHostSpecs(count, groups, hostPrefix, net),
  };
}
