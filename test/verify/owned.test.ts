import { describe, expect, it } from 'vitest';
import { format, mustParse } from '../../src/ports/portset.js';
import type { SysctlFile } from '../../src/verify/boot.js';
import type { Observed } from '../../src/verify/readback.js';
import { droppedPorts, holdsOf, otherFilesReserve, ownedLine, parseOwned } from '../../src/verify/owned.js';

const KEY = 'net.ipv4.ip_local_reserved_ports';

function obs(persist: string | null, files: SysctlFile[], runtime = ''): Observed {
  return {
    reserved: mustParse(runtime),
    reservedRaw: runtime,
    persist: persist === null ? { state: 'absent' } : { state: 'present', text: persist },
    files,
    unreadableDirs: [],
  };
}
const file = (dir: string, name: string, text: string): SysctlFile => ({ dir, name, state: 'content', text });

describe('owned ports line', () => {
  it('round-trips, with `none` for the empty set', () => {
    expect(ownedLine(mustParse('5000-10000,12000'))).toBe('# fleet owns: 5000-10000,12000');
    expect(ownedLine([])).toBe('# fleet owns: none');
    expect(parseOwned(`# Managed by fleet 0.1.0\n${ownedLine(mustParse('5000-10000'))}\n${KEY}=5000-10000\n`)).toEqual(mustParse('5000-10000'));
    expect(parseOwned('# fleet owns: none\n')).toEqual([]);
  });

  it.each([
    ['no line (an older fleet wrote the file)', `${KEY}=5000\n`],
    ['an empty value', '# fleet owns: \n'],
    ['garbage', '# fleet owns: 5000-x\n'],
    ['a reversed range', '# fleet owns: 10000-5000\n'],
  ])('is unknown with %s', (_, text) => {
    expect(parseOwned(text)).toBeUndefined();
  });
});

describe('otherFilesReserve', () => {
  const ours = file('/etc/sysctl.d', '90-fleet-reserved-ports.conf', `${KEY}=5000-10000\n`);

  it("unites what every other boot file sets for the key, not fleet's own file", () => {
    const o = obs(ours.text!, [
      ours,
      file('/etc/sysctl.d', '99-sysctl.conf', `${KEY} = 30000-32767\n`),
      file('/usr/lib/sysctl.d', '50-app.conf', `${KEY}=7000\nnet.core.somaxconn=1024\n`),
    ]);
    expect(format(otherFilesReserve(o, '/etc/sysctl.d/90-fleet-reserved-ports.conf'))).toBe('7000,30000-32767');
  });

  it('leaves out masked files, cancel lines and values the kernel refuses', () => {
    const o = obs(ours.text!, [
      ours,
      file('/etc/sysctl.d', '50-app.conf', ''),
      file('/usr/lib/sysctl.d', '50-app.conf', `${KEY}=7000\n`),
      file('/etc/sysctl.d', '60-cancel.conf', `-${KEY}\n`),
      file('/etc/sysctl.d', '70-bad.conf', `${KEY}=70000\n`),
    ]);
    expect(format(otherFilesReserve(o, '/etc/sysctl.d/90-fleet-reserved-ports.conf'))).toBe('');
  });

  it("treats Debian's 99-sysctl.conf link as fleet's file when persist_file is /etc/sysctl.conf", () => {
    const text = `${KEY}=5000-10000\n`;
    expect(format(otherFilesReserve(obs(text, [file('/etc/sysctl.d', '99-sysctl.conf', text)]), '/etc/sysctl.conf'))).toBe('');
  });
});

describe('droppedPorts', () => {
  it('is what fleet owned less what the policy wants and other files set', () => {
    const o = obs(
      `# fleet owns: 5000-10000\n${KEY}=5000-10000,30000-32767\n`,
      [file('/etc/sysctl.d', '99-sysctl.conf', `${KEY}=30000-32767,9900\n`)],
      '5000-10000,30000-32767',
    );
    const holds = holdsOf(o, '/etc/sysctl.d/99-zz-fleet.conf');
    expect(format(droppedPorts(mustParse('5000-8999'), holds))).toBe('9000-9899,9901-10000');
  });

  it("is empty when fleet's file records nothing", () => {
    expect(droppedPorts(mustParse('5000'), holdsOf(obs(`${KEY}=5000-10000\n`, []), '/x'))).toEqual([]);
  });
});
