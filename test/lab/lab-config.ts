import { resolve } from 'node:path';

/**
 * The lab every integration test shares: 6 hosts h1..h6, web = h1-h3, db = h4-h6.
 * Its own folder, name prefix and subnet, so a demo lab (`.lab`, prefix fleet,
 * 198.18.0.0/24) a user keeps up is never touched by `npm test`.
 * FLEET_TEST_LAB_PREFIX and FLEET_TEST_LAB_SUBNET move it, so two checkouts on
 * one machine (e.g. git worktrees) can run their lab tests at the same time.
 */
const prefix = process.env.FLEET_TEST_LAB_PREFIX ?? 'ftest';
const subnet = process.env.FLEET_TEST_LAB_SUBNET ?? '198.18.2.0/24';

export const TEST_LAB = {
  hosts: 6,
  groups: 'web=3,db=3',
  dir: resolve('.lab-test'),
  prefix,
  subnet,
  inventory: resolve('.lab-test/inventory.yml'),
} as const;

/** First three octets of the test lab's subnet, e.g. `198.18.2`. */
export const TEST_NET = subnet.replace(/\.0\/24$/, '');
