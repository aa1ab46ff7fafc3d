/** `fleet lab ...`: a local fleet of sshd hosts in network namespaces, and faults to inject into it. */
import { resolve } from 'node:path';
import { type Command, InvalidArgumentError } from 'commander';
import { ExitCode, FleetError } from '../errors.js';
import type { LabState, LabStatus } from '../lab/index.js';
import type { ExitHolder } from './program.js';

/** The lab's code loads only when a lab command runs. */
const lab = () => import('../lab/index.js');

interface DirOpt {
  dir?: string;
}

function intArg(what: string, min: number, max: number) {
  return (value: string): number => {
    const n = Number(value);
    if (!/^\d+$/.test(value) || n < min || n > max) throw new InvalidArgumentError(`${what} must be a whole number from ${min} to ${max}`);
    return n;
  };
}

function say(line: string): void {
  process.stderr.write(`${line}\n`);
}

function hostLines(state: LabState): string[] {
  return state.hosts.map((h) => `${h.name}\t${h.address}\t${h.groups.join(',')}`);
}

export function formatStatus(status: LabStatus): string[] {
  if (!status.running) return [];
  const rows = status.hosts.map((h) =>
    [h.name, h.address, h.groups.join(','), h.sshd, h.readOnlyProcSys ? 'ro' : 'rw', h.latencyMs > 0 ? `${h.latencyMs}ms(${h.proxy})` : '-'].join('\t'),
  );
  return ['HOST\tADDRESS\tGROUPS\tSSHD\tPROC_SYS\tLATENCY', ...rows];
}

/** Every subcommand works on the lab in --dir (default ./.lab). */
function withDir(cmd: Command): Command {
  return cmd.option('--dir <dir>', 'lab directory (state, keys, per-host folders)', '.lab');
}

const EXAMPLES_UP = `
Examples:
  $ sudo fleet lab up                         3 hosts h1..h3 in group "lab"
  $ sudo fleet lab up --hosts 6 --groups web=3,db=3
  $ ansible -i inventories/lab.yml all -m ping

Hosts get addresses 198.18.0.11, .12, ... on bridge fleetbr0 (198.18.0.1); nothing in
198.18.0.0/15 can leave the machine. Rerunning repairs a broken lab and keeps healthy hosts.`;

export function registerLab(program: Command, exit: ExitHolder): void {
  const labCmd = program
    .command('lab')
    .description('local test fleet: real sshd hosts in network namespaces (needs root)')
    .addHelpText(
      'after',
      `
Examples:
  $ sudo fleet lab up --hosts 4 --groups web=2,db=2
  $ sudo fleet lab stop h2 && sudo fleet lab status
  $ sudo fleet lab down`,
    );

  withDir(labCmd.command('up'))
    .description('start (or repair) the lab and write inventories/lab.yml')
    .option('--hosts <n>', 'number of hosts', intArg('--hosts', 1, 200))
    .option('--groups <spec>', 'Ansible groups in host order, e.g. web=2,db=1 (default: all in "lab")')
    .option('--inventory <file>', 'where to write the Ansible inventory', 'inventories/lab.yml')
    .option('--prefix <name>', 'name prefix of namespaces, links and the bridge', 'fleet')
    .option('--subnet <cidr>', 'a /24 inside 198.18.0.0/15', '198.18.0.0/24')
    .addHelpText('after', EXAMPLES_UP)
    .action(async (o: DirOpt & { hosts?: number; groups?: string; inventory: string; prefix: string; subnet: string }) => {
      const started = performance.now();
      const state = await (await lab()).labUp({ hosts: o.hosts, groups: o.groups, dir: o.dir, inventory: o.inventory, prefix: o.prefix, subnet: o.subnet });
      for (const line of hostLines(state)) process.stdout.write(`${line}\n`);
      say(`lab up: ${state.hosts.length} hosts in ${((performance.now() - started) / 1000).toFixed(1)} s; inventory ${state.inventory}`);
    });

  withDir(labCmd.command('status'))
    .description('show hosts and their health; exit 1 when a host is down or no lab runs')
    .option('--json', 'print one JSON document')
    .addHelpText(
      'after',
      `
Examples:
  $ fleet lab status
  $ fleet lab status --json | jq '.hosts[] | select(.sshd == "down") | .name'`,
    )
    .action(async (o: DirOpt & { json?: boolean }) => {
      const status = await (await lab()).labStatus(resolveDir(o.dir));
      if (o.json) process.stdout.write(JSON.stringify(status, null, 2) + '\n');
      else if (!status.running) say(`no lab in ${status.dir} (start one with \`sudo fleet lab up\`)`);
      else for (const line of formatStatus(status)) process.stdout.write(`${line}\n`);
      if (!status.running || !status.healthy) exit.code = ExitCode.drift;
    });

  withDir(labCmd.command('down'))
    .description('remove every namespace, link, route, process and file of the lab')
    .option('--prefix <name>', 'name prefix to clean up when the state file is lost', 'fleet')
    .addHelpText(
      'after',
      `
Examples:
  $ sudo fleet lab down
  $ sudo fleet lab down --dir /tmp/lab2 --prefix fleet2`,
    )
    .action(async (o: DirOpt & { prefix: string }) => {
      const report = await (await lab()).labDown(resolveDir(o.dir), { prefix: o.prefix });
      say(report.removed.length > 0 ? `lab down: removed ${report.removed.join(', ')}` : 'lab down: nothing to remove');
    });

  withDir(labCmd.command('stop <host>'))
    .description("stop a host's sshd and its sessions (the host becomes unreachable)")
    .addHelpText('after', '\nExample:\n  $ sudo fleet lab stop h2 && ansible -i inventories/lab.yml h2 -m ping   # UNREACHABLE')
    .action(async (host: string, o: DirOpt) => {
      await (await lab()).stopSshd(host, resolveDir(o.dir));
      say(`${host}: sshd stopped`);
    });

  withDir(labCmd.command('start <host>'))
    .description("start a stopped host's sshd again")
    .addHelpText('after', '\nExample:\n  $ sudo fleet lab start h2')
    .action(async (host: string, o: DirOpt) => {
      await (await lab()).startSshd(host, resolveDir(o.dir));
      say(`${host}: sshd started`);
    });

  withDir(labCmd.command('sysctl <host> <key> <value>'))
    .description("set a net.* sysctl inside one host, behind Ansible's back (drift); prints the value read back")
    .addHelpText(
      'after',
      '\nExamples:\n  $ sudo fleet lab sysctl h1 net.ipv4.ip_local_reserved_ports 7000-7010\n  $ sudo fleet lab sysctl h1 net.ipv4.ip_local_reserved_ports ""   # clear',
    )
    .action(async (host: string, key: string, value: string, o: DirOpt) => {
      process.stdout.write(`${await (await lab()).labSysctl(host, key, value, resolveDir(o.dir))}\n`);
    });

  withDir(labCmd.command('exec <host> <argv...>'))
    .description('run a command inside a host (its network, mount and UTS namespaces); exits with its code')
    .addHelpText(
      'after',
      '\nExamples:\n  $ sudo fleet lab exec h1 -- sysctl -n net.ipv4.ip_local_reserved_ports\n  $ sudo fleet lab exec h1 -- ls /etc/sysctl.d',
    )
    .action(async (host: string, argv: string[], o: DirOpt) => {
      const r = await (await lab()).labExec(host, argv, resolveDir(o.dir));
      process.stdout.write(r.stdout);
      process.stderr.write(r.stderr);
      if (r.spawnError) throw new FleetError(`could not run ${argv[0]}: ${r.spawnError}`, ExitCode.environment);
      exit.code = r.exitCode ?? 1;
    });

  withDir(labCmd.command('readonly <host> <state>'))
    .description('make /proc/sys read-only inside a host ("on"), so every sysctl write there fails; "off" undoes it')
    .addHelpText('after', '\nExamples:\n  $ sudo fleet lab readonly h3 on\n  $ sudo fleet lab readonly h3 off')
    .action(async (host: string, state: string, o: DirOpt) => {
      if (state !== 'on' && state !== 'off') throw new FleetError(`readonly takes "on" or "off", got "${state}"`, ExitCode.invalid);
      await (await lab()).readOnlyProcSys(host, state === 'on', resolveDir(o.dir));
      say(`${host}: /proc/sys ${state === 'on' ? 'read-only' : 'writable'}`);
    });

  withDir(labCmd.command('reboot <host>'))
    .description('reboot a host: new namespace (kernel defaults), its /etc/sysctl.d/*.conf applied in order, sshd restarted')
    .addHelpText('after', '\nExample:\n  $ sudo fleet lab reboot h1 && sudo fleet lab exec h1 -- sysctl -n net.ipv4.ip_local_reserved_ports')
    .action(async (host: string, o: DirOpt) => {
      const applied = await (await lab()).rebootHost(host, resolveDir(o.dir));
      for (const a of applied) process.stdout.write(`${a.ok ? 'applied' : 'FAILED'}\t${a.file}\n`);
      for (const a of applied.filter((x) => !x.ok)) say(`${host}: ${a.file}: ${a.output}`);
      say(`${host}: rebooted (${applied.length} sysctl file(s))`);
    });

  withDir(labCmd.command('latency <host> <ms>'))
    .description('delay every packet to and from a host by MS each way (0 clears); rewrites the inventory')
    .addHelpText('after', '\nExamples:\n  $ sudo fleet lab latency h2 200\n  $ sudo fleet lab latency h2 0')
    .action(async (host: string, ms: string, o: DirOpt) => {
      await (await lab()).setLatency(host, intArg('latency', 0, 60_000)(ms), resolveDir(o.dir));
      say(`${host}: latency ${ms === '0' ? 'cleared' : `${ms} ms each way`}`);
    });
}

function resolveDir(dir: string | undefined): string | undefined {
  return dir === undefined ? undefined : resolve(dir);
}
