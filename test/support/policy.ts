/** A validated policy for renderer tests: a source inventory, exact mode, company port 5000; override any field. */
import { DEFAULT_PERSIST_FILE, type Policy } from '../../src/policy/types.js';
import { mustParse } from '../../src/ports/portset.js';

export function testPolicy(p: Partial<Policy> = {}): Policy {
  return {
    file: '/srv/fleet/policy.yaml',
    version: 1,
    mode: 'exact',
    company: { reserved: mustParse('5000') },
    minEphemeralPorts: 10000,
    groups: {},
    hosts: {},
    inventory: { kind: 'source', source: '/srv/inventories/prod.yml' },
    persistFile: DEFAULT_PERSIST_FILE,
    targets: 'all',
    ansible: { become: { reads: false }, timeout: 10, user: 'deploy' },
    audit: { allow: [] },
    ...p,
  };
}
