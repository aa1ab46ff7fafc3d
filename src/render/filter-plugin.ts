/**
 * The filters fleet's playbooks use, shipped next to them as
 * playbooks/filter_plugins/fleet.py (Ansible loads a playbook's adjacent
 * filter_plugins folder by itself).
 *
 * fleet_shard: FNV-1a over the UTF-8 bytes of the host name, the same hash
 * as plan/shard.ts, so `--shard K/N` ends the other shards' hosts before any
 * connection (test/render/filter-plugin.test.ts runs both on hostile names).
 *
 * fleet_decided: the values fleet decided for one host, from the host's own
 * file in the decision folder (named by the sha1 of the host name, as
 * decisionFileName in engine/session.ts), or None for a host not chosen.
 *
 * fleet_await: a read-then-apply run waits here, on the controller, for the
 * decision fleet writes after the plan (and the confirmation); it gives up
 * when the fleet process that started the run is gone.
 */
import { APPLY_GROUP } from './playbooks.js';

/** The plugin file, under the project's header line. */
export function filterPlugin(header: string): string {
  return `# ${header}
${FILTER_PLUGIN}`;
}

const FILTER_PLUGIN = `import hashlib
import json
import os
import time


def utf8(text):
    # as JavaScript's TextEncoder: a lone surrogate becomes U+FFFD
    try:
        return text.encode('utf-8')
    except UnicodeEncodeError:
        return text.encode('utf-16-le', 'surrogatepass').decode('utf-16-le', 'replace').encode('utf-8')


def fnv1a(text):
    h = 0x811c9dc5
    for byte in utf8(str(text)):
        h ^= byte
        h = (h * 0x01000193) & 0xffffffff
    return h


def fleet_shard(host, count):
    return fnv1a(host) % int(count)


def fleet_await(path, pid):
    from ansible.errors import AnsibleFilterError
    while not os.path.exists(path):
        try:
            os.kill(int(pid), 0)
        except ProcessLookupError:
            raise AnsibleFilterError('fleet (pid %s) stopped before it decided what to change' % pid)
        except PermissionError:
            pass
        time.sleep(0.05)
    with open(path, encoding='utf-8') as f:
        return json.load(f)


def fleet_apply_hosts(path):
    # play 2's hosts: the names fleet chose, or the group group_by made (also when the run never decided)
    try:
        with open(str(path), encoding='utf-8') as f:
            return json.load(f).get('pattern') or '${APPLY_GROUP}'
    except FileNotFoundError:
        return '${APPLY_GROUP}'


def fleet_decided(host, folder):
    # the host's own decision file (named by the sha1 of its UTF-8 name), or None when fleet did not choose it
    path = os.path.join(str(folder), hashlib.sha1(utf8(str(host))).hexdigest() + '.json')
    try:
        with open(path, encoding='utf-8') as f:
            return json.load(f)
    except FileNotFoundError:
        return None


class FilterModule(object):
    def filters(self):
        return {'fleet_shard': fleet_shard, 'fleet_await': fleet_await, 'fleet_decided': fleet_decided, 'fleet_apply_hosts': fleet_apply_hosts}
`;
