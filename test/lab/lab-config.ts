import { resolve } from 'node:path';

/**
 * The lab every integration test shares: 6 hosts h1..h6, web = h1-h3, db = h4-h6.
 * Its own folder, name prefix and subnet, so a demo lab (`.lab`, prefix fleet,
 * 198.18.0.0/24) a user keeps up is never touched by `npm test`.
 */
export const TEST_LAB = {
  hosts: 6,
  groups: 'web=3,db=3',
  dir: resolve('.lab-test'),
  prefix: 'ftest',
  subnet: '198.18.2.0/24',
  inventory: resolve('.lab-test/inventory.yml'),
} as const;
