/**
 * The apply write phase as ONE Ansible task per host: an action plugin
 * shipped next to the apply playbook (`playbooks/action_plugins/`, which
 * ansible-playbook loads by itself, in addition to any `action_plugins` the
 * user configures). Ansible's controller costs a worker fork and ≈ 100 ms of
 * CPU per host-task whatever the task does; inside one task the plugin runs,
 * over the host's existing connection and with the play's become, what used
 * to be four to six tasks:
 *
 * - `ansible.posix.sysctl` per managed key, with the same arguments as
 *   before (the writes stay with the sysctl module);
 * - the whole write of a reserved value longer than one kernel write
 *   (`ansible.builtin.command` with the value on stdin, as the shell task did);
 * - for an empty reserved set, the persisted clear (lineinfile) and the
 *   runtime clear (the same shell line as before);
 * - the owned-ports line (additive hosts) and the header stamp, the stamp
 *   only when one of the steps before changed the host (a no-op stays ok):
 *   a shell script (ansible/stamp.ts), not two `lineinfile` runs, sent in
 *   the same SSH operation as
 * - the read-back script, run like `raw` (no module upload).
 *
 * Step names are the former task names: a failure says which step failed
 * (`fleet_step`) and the result lists the steps that changed the host before
 * it (`fleet_changed`); an unreachable host is reported unreachable, with the
 * same two keys. The scripts stay in TypeScript (ansible/scripts.ts,
 * ansible/whole-write.ts, render/empty-set.ts) and reach the plugin as task
 * arguments, templated by Ansible as before; the plugin holds no shell text.
 *
 * Check mode: the sysctl and lineinfile steps run in check mode (they report
 * what they would change, and their diffs with --diff); the stamp says what
 * it would change and writes nothing; the two shell writes (whole write,
 * runtime clear) cannot be simulated and are listed in `fleet_skipped`; the
 * read-back, read-only, still runs.
 */
import { KEY_RANGE, KEY_RESERVED, MARK } from '../ansible/scripts.js';
import { OWNED_MARK, STAMP_FAILED, STAMPED_MARK } from '../ansible/stamp.js';
import { WRITTEN_MARK } from '../ansible/whole-write.js';
import { CLEAR_TASK, CLEARED_MARK, CLEAR_PERSIST_REGEXP } from './empty-set.js';
import { HEADER_TASK, OWNED_TASK } from './header.js';

/** The plugin's name in a task (a playbook-adjacent plugin is called by its short name). */
export const APPLY_ACTION = 'fleet_apply';

/** Where the plugin goes in a rendered project: next to the playbooks. */
export const APPLY_PLUGIN_PATH = `playbooks/action_plugins/${APPLY_ACTION}.py`;

/** The steps, named as the tasks they replace (what a report's "failed at" shows). */
export const APPLY_STEP = {
  setSysctl: 'fleet set sysctl keys',
  writeWhole: 'fleet write long reserved ports whole',
  clearPersist: CLEAR_TASK.persist,
  clearRuntime: CLEAR_TASK.runtime,
  owned: OWNED_TASK,
  header: HEADER_TASK,
  readBack: 'fleet read back',
} as const;

const py = (v: unknown) => JSON.stringify(v);

/** The plugin's Python source (ansible-core 2.14's ActionBase), with fleet's names and markers filled in. */
export function applyPluginSource(header: string): string {
  const constants = [
    `STEP = ${py(APPLY_STEP)}`,
    `KEY_RESERVED = ${py(KEY_RESERVED)}`,
    `KEY_RANGE = ${py(KEY_RANGE)}`,
    `WRITTEN_MARK = ${py(WRITTEN_MARK)}`,
    `CLEARED_MARK = ${py(CLEARED_MARK)}`,
    `CLEAR_PERSIST_REGEXP = ${py(CLEAR_PERSIST_REGEXP)}`,
    `STAMPED_MARK = ${py(STAMPED_MARK)}`,
    `OWNED_MARK = ${py(OWNED_MARK)}`,
    `STAMP_FAILED = ${STAMP_FAILED}`,
    `READ_BEGIN = ${py(`${MARK}begin `)}`,
  ];
  return [...header.split('\n').map((l) => `# ${l}`), PLUGIN_DOC, ...constants, PLUGIN_BODY].join('\n');
}

const PLUGIN_DOC = `"""fleet's apply as one task per host: the writes (ansible.posix.sysctl and the
steps that used to be separate tasks), then the read-back, in one host-task.
The shell scripts arrive as task arguments; see src/render/apply-plugin.ts."""
from __future__ import absolute_import, division, print_function
__metaclass__ = type

from ansible.errors import AnsibleActionFail, AnsibleConnectionFailure, AnsibleError
from ansible.module_utils.common.text.converters import to_text
from ansible.plugins.action import ActionBase
`;

const PLUGIN_BODY = `
# What a failed step's result passes on to the task's result (the read-back's stdout too).
FAILURE_KEYS = ("msg", "stderr", "module_stderr", "module_stdout", "rc", "exception")


class StepStopped(Exception):
    def __init__(self, step, result, unreachable=False):
        super(StepStopped, self).__init__(step)
        self.step = step
        self.result = result
        self.unreachable = unreachable


REQUIRED_ARGS = frozenset((
    "persist_file", "reserved_ports", "header_line", "one_write_limit", "whole_write", "clear_runtime", "stamp", "read_back",
))


class ActionModule(ActionBase):
    TRANSFERS_FILES = False
    _VALID_ARGS = REQUIRED_ARGS.union(("port_range", "owned_line"))

    def run(self, tmp=None, task_vars=None):
        result = super(ActionModule, self).run(tmp, task_vars)
        del tmp
        self._vars = task_vars or {}
        self._changed = []
        self._diffs = []
        self._passed = {}
        args = self._task.args
        missing = sorted(REQUIRED_ARGS.difference(args))
        if missing:
            raise AnsibleActionFail("missing arguments %s: this playbook and its action plugin are from different fleet versions; run fleet render again" % ", ".join(missing))
        check = bool(self._task.check_mode)
        skipped = []
        try:
            persist = to_text(args["persist_file"])
            reserved = to_text(args["reserved_ports"])
            port_range = args.get("port_range")
            owned_line = args.get("owned_line")
            long_value = len(reserved) > int(args["one_write_limit"])

            keys = []
            if reserved != "":
                keys.append((KEY_RESERVED, reserved, not long_value))
            if port_range is not None:
                keys.append((KEY_RANGE, to_text(port_range), True))
            for name, value, set_runtime in keys:
                self._module(STEP["setSysctl"], "ansible.posix.sysctl", dict(
                    name=name, value=value, sysctl_file=persist, sysctl_set=set_runtime, reload=False, state="present"))

            if long_value:
                if check:
                    skipped.append(STEP["writeWhole"])
                else:
                    r = self._module(STEP["writeWhole"], "ansible.builtin.command", dict(
                        _raw_params=to_text(args["whole_write"]), _uses_shell=True, stdin=reserved), judge=False)
                    if WRITTEN_MARK in to_text(r.get("stdout", "")):
                        self._mark(STEP["writeWhole"])

            if reserved == "":
                self._module(STEP["clearPersist"], "ansible.builtin.lineinfile", dict(
                    path=persist, regexp=CLEAR_PERSIST_REGEXP, line=KEY_RESERVED + "=", create=True, mode="0644"))
                if check:
                    skipped.append(STEP["clearRuntime"])
                else:
                    r = self._raw(STEP["clearRuntime"], to_text(args["clear_runtime"]))
                    if CLEARED_MARK in r["stdout"]:
                        self._mark(STEP["clearRuntime"])

            if owned_line is not None or self._changed:
                # fleet's comment lines and the read-back in one SSH operation (ansible/stamp.ts)
                data = "%d %d\\n%s\\n" % (1 if self._changed else 0, 1 if check else 0, to_text(args["header_line"]))
                if owned_line is not None:
                    data += to_text(owned_line) + "\\n"
                read = self._stamp_and_read(to_text(args["stamp"]) + "\\n" + to_text(args["read_back"]), data)
            else:
                read = self._raw(STEP["readBack"], to_text(args["read_back"]))
        except StepStopped as stop:
            result.update(self._summary())
            result["fleet_step"] = stop.step
            keys = FAILURE_KEYS + (("stdout",) if stop.step == STEP["readBack"] else ())
            for k in keys:
                if k in stop.result:
                    result[k] = stop.result[k]
            result["msg"] = to_text(stop.result.get("msg") or "failed")
            if stop.unreachable:
                result["unreachable"] = True
            else:
                result["failed"] = True
            return result

        result.update(self._summary())
        result.update(stdout=read["stdout"], stderr=read["stderr"], rc=read["rc"])
        if skipped:
            result["fleet_skipped"] = skipped
        return result

    def _summary(self):
        out = dict(self._passed, changed=bool(self._changed), fleet_changed=list(self._changed))
        if self._diffs:
            out["diff"] = self._diffs
        return out

    def _mark(self, step):
        if step not in self._changed:
            self._changed.append(step)

    def _module(self, step, name, module_args, judge=True):
        """Run one module on the host in this task's connection; a failure stops the task at this step."""
        try:
            r = self._execute_module(module_name=name, module_args=module_args, task_vars=self._vars)
        except AnsibleConnectionFailure as e:
            raise StepStopped(step, dict(msg=to_text(e)), unreachable=True)
        except AnsibleError as e:
            raise StepStopped(step, dict(msg=to_text(e)))
        if r.get("unreachable"):
            raise StepStopped(step, r, unreachable=True)
        if r.get("failed"):
            raise StepStopped(step, r)
        if r.get("diff"):
            self._diffs.append(r["diff"])
        # the interpreter found by discovery, and module warnings, reach the controller as from a module task
        if r.get("ansible_facts"):
            self._passed.setdefault("ansible_facts", {}).update(r["ansible_facts"])
        for k in ("warnings", "deprecations"):
            if r.get(k):
                self._passed.setdefault(k, []).extend(r[k])
        if judge and r.get("changed"):
            self._mark(step)
        return r

    def _raw(self, step, script, in_data=None, checked=True):
        """Run a script like the raw action does (no module upload, no executable wrapper)."""
        try:
            r = self._low_level_execute_command(script, executable=False, in_data=in_data)
        except AnsibleConnectionFailure as e:
            raise StepStopped(step, dict(msg=to_text(e)), unreachable=True)
        except AnsibleError as e:
            raise StepStopped(step, dict(msg=to_text(e)))
        if checked and r.get("rc") != 0:
            raise StepStopped(step, dict(r, msg="non-zero return code"))
        return r

    def _stamp_and_read(self, script, data):
        """The stamp's markers come before the read-back's first line; a failed stamp exits before the read-back starts.
        A connection lost during the operation is reported at the read-back: what is lost for sure is the read-back."""
        r = self._raw(STEP["readBack"], script, in_data=data, checked=False)
        out = to_text(r.get("stdout", ""))
        begin = out.find(READ_BEGIN)
        head = out if begin < 0 else out[:begin]
        if begin < 0 and r.get("rc") == STAMP_FAILED:
            raise StepStopped(STEP["header"], dict(r, msg=to_text(r.get("stderr", "")).strip() or "the stamp failed"))
        if OWNED_MARK in head:
            self._mark(STEP["owned"])
        if STAMPED_MARK in head:
            self._mark(STEP["header"])
        r = dict(r, stdout=out[begin:] if begin >= 0 else out)
        if r.get("rc") != 0:
            raise StepStopped(STEP["readBack"], dict(r, msg="non-zero return code"))
        return r
`;
