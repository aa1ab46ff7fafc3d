/**
 * fleet's callback plugin, shipped next to the playbooks as
 * playbooks/callback_plugins/fleet.py (ansible-playbook loads a playbook's
 * adjacent plugin folders by itself; CALLBACK_NEEDS_ENABLED = False keeps it
 * loaded whatever the user's `callbacks_enabled`). It acts only in runs fleet
 * starts (FLEET_RUN=1 in the environment, ansible/events.ts CONTROLLER): a run
 * by hand is unchanged.
 *
 * The start gate: at v2_playbook_on_start (the inventory is parsed and the
 * playbook loaded; no host has been contacted, no connection opened) the run
 * waits for fleet's line "go" on stdin. Anything else, end of file included
 * (the fleet process is gone), ends the process there (exit 86), having touched no host.
 * This is what lets fleet start Ansible before it has validated the run
 * (engine/prelaunch.ts): Python's start-up, the inventory parse and the
 * playbook load overlap fleet's own, and nothing reaches a host until fleet
 * has checked that this process is the run it would have started.
 *
 * The targets report: at the first play's start, one JSON line on stdout,
 * {"_event": "fleet_report_targets", "hosts": [...], "groups": {...}}: the
 * hosts the play targets (its pattern under --limit, computed as Ansible
 * computes ansible_play_hosts_all) and every group with all its hosts
 * (Ansible's `groups`). fleet plans the hosts from it (inventory/reported.ts)
 * before their reads arrive: no task, no worker process, no templating.
 * Nothing is printed when the play targets no host (Ansible then says "no
 * hosts matched", which fleet reports as such); a failure is reported as
 * {"_event": "fleet_report_targets", "error": "..."}.
 *
 * A quicker end: at the first play's start and again at the stats (the last
 * event), gc.freeze() moves every object so far out of the garbage
 * collector's reach. Python's shutdown then skips collecting Ansible's
 * objects (≈ 40 ms of a one-host run); nothing else changes, memory is
 * freed at exit as before.
 */
import { CONTROLLER } from '../ansible/events.js';

/** The plugin file, under the project's header line. */
export function callbackPlugin(header: string): string {
  return `# ${header}
${CALLBACK_PLUGIN}`;
}

const CALLBACK_PLUGIN = `import gc
import json
import os
import sys

from ansible.plugins.callback import CallbackBase


def fleet_run():
    return os.environ.get('${CONTROLLER.env}') == '1'


class CallbackModule(CallbackBase):
    CALLBACK_VERSION = 2.0
    CALLBACK_TYPE = 'aggregate'
    CALLBACK_NAME = 'fleet'
    CALLBACK_NEEDS_ENABLED = False

    def __init__(self, *args, **kwargs):
        super(CallbackModule, self).__init__(*args, **kwargs)
        self._gated = False
        self._reported = False

    def v2_playbook_on_start(self, playbook):
        if not fleet_run() or self._gated:
            return
        self._gated = True
        line = b''
        try:
            while len(line) < 16 and not line.endswith(b'\\n'):
                chunk = os.read(0, 1)
                if not chunk:
                    break
                line += chunk
        except BaseException:
            line = b''
        # a callback's exception would only be a warning to Ansible: the gate ends the process itself
        if line != ${JSON.stringify(CONTROLLER.go)}.encode():
            sys.stderr.write('fleet: the run was not confirmed by the fleet process that started it; no host was contacted\\n')
            sys.stderr.flush()
            os._exit(${CONTROLLER.gateClosedExit})

    def v2_playbook_on_play_start(self, play):
        if not fleet_run() or self._reported:
            return
        self._reported = True
        try:
            inventory = play.get_variable_manager()._inventory
            hosts = [h.name for h in inventory.get_hosts(pattern=play.hosts or 'all', ignore_restrictions=True)]
            report = {'_event': '${CONTROLLER.targetsEvent}', 'hosts': hosts, 'groups': inventory.get_groups_dict()}
        except Exception as e:
            report = {'_event': '${CONTROLLER.targetsEvent}', 'error': '%s: %s' % (type(e).__name__, e)}
        else:
            if not hosts:
                return
        self._display.display(json.dumps(report, sort_keys=True))
        gc.freeze()

    def v2_playbook_on_stats(self, stats):
        if fleet_run():
            gc.freeze()
`;
