/**
 * The stamp script (fleet's header and owned lines of the persisted file) run
 * by the machine's /bin/sh on files in a temporary folder, as the apply plugin
 * runs it on a host: flags, header and owned line on stdin.
 */
import { chmodSync, existsSync, lstatSync, readdirSync, readFileSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { execa } from 'execa';
import { describe, expect, it } from 'vitest';
import { OWNED_MARK, STAMP_FAILED, STAMPED_MARK, stampScript } from '../../src/ansible/stamp.js';
import { HEADER_PREFIX } from '../../src/render/header.js';
import { OWNED_PREFIX } from '../../src/verify/owned.js';
import { tempDir } from '../support/tmp.js';

const HEADER = `${HEADER_PREFIX} 0.1.0; policy sha256 abc; applied 2026-11-28T00:00:00Z`;
const KEY = 'net.ipv4.ip_local_reserved_ports=5000-6000';
const shq = (s: string) => `'${s.replaceAll("'", `'"'"'`)}'`;

async function stamp(path: string, o: { changed: boolean; check?: boolean; owned?: string }) {
  const script = stampScript(HEADER_PREFIX, OWNED_PREFIX).replace('{{ fleet_persist_file | quote }}', shq(path));
  const input = `${o.changed ? 1 : 0} ${o.check ? 1 : 0}\n${HEADER}\n${o.owned !== undefined ? `${o.owned}\n` : ''}`;
  const r = await execa('/bin/sh', ['-c', script], { input, reject: false });
  return { code: r.exitCode, marks: r.stdout.split('\n').filter(Boolean), stderr: r.stderr };
}

function file(dir: string, text: string, mode = 0o644): string {
  const p = join(dir, '90-fleet.conf');
  writeFileSync(p, text);
  chmodSync(p, mode);
  return p;
}

describe('stamp script', () => {
  it('after a change: the header goes first, older headers anywhere are dropped, other lines and the mode stay', async () => {
    const dir = tempDir('stamp');
    const p = file(dir, `# kept comment\n${HEADER_PREFIX} 0.0.9; old\n${KEY}\n${HEADER_PREFIX} 0.0.8; older\n# fleet owns: 1-2\n`, 0o640);
    const r = await stamp(p, { changed: true });
    expect(r).toEqual({ code: 0, marks: [STAMPED_MARK], stderr: '' });
    // exact mode (no owned line given) leaves an owned line where it is
    expect(readFileSync(p, 'utf8')).toBe(`${HEADER}\n# kept comment\n${KEY}\n# fleet owns: 1-2\n`);
    expect(statSync(p).mode & 0o777).toBe(0o640);
    expect(readdirSync(dir)).toEqual(['90-fleet.conf']);
  });

  it('nothing changed and no owned line: the file is left byte for byte, nothing printed', async () => {
    const dir = tempDir('stamp');
    const text = `${HEADER_PREFIX} 0.0.9; old\n${KEY}`;
    const p = file(dir, text);
    const before = statSync(p).mtimeMs;
    expect(await stamp(p, { changed: false })).toEqual({ code: 0, marks: [], stderr: '' });
    expect(readFileSync(p, 'utf8')).toBe(text);
    expect(statSync(p).mtimeMs).toBe(before);
  });

  it('an owned line already there once: no write; a different or doubled one: rewritten, header first, then the owned line', async () => {
    const dir = tempDir('stamp');
    const owned = `${OWNED_PREFIX} 5000-6000`;
    const same = file(dir, `${HEADER_PREFIX} 0.0.9; old\n${owned}\n${KEY}\n`);
    expect((await stamp(same, { changed: false, owned })).marks).toEqual([]);
    writeFileSync(same, `${KEY}\n${OWNED_PREFIX} 1-2\n`);
    expect((await stamp(same, { changed: false, owned })).marks).toEqual([OWNED_MARK, STAMPED_MARK]);
    expect(readFileSync(same, 'utf8')).toBe(`${HEADER}\n${owned}\n${KEY}\n`);
    writeFileSync(same, `${owned}\n${KEY}\n${owned}\n`);
    expect((await stamp(same, { changed: false, owned })).marks).toEqual([OWNED_MARK, STAMPED_MARK]);
    expect(readFileSync(same, 'utf8')).toBe(`${HEADER}\n${owned}\n${KEY}\n`);
  });

  it('check mode says what it would write and writes nothing', async () => {
    const dir = tempDir('stamp');
    const p = file(dir, `${KEY}\n`);
    expect((await stamp(p, { changed: true, check: true, owned: `${OWNED_PREFIX} none` })).marks).toEqual([OWNED_MARK, STAMPED_MARK]);
    expect(readFileSync(p, 'utf8')).toBe(`${KEY}\n`);
    expect(readdirSync(dir)).toEqual(['90-fleet.conf']);
  });

  it('a symlinked persisted file stays a link; its target is rewritten (as the sysctl module does)', async () => {
    const dir = tempDir('stamp');
    const target = file(dir, `${KEY}\n`);
    const link = join(dir, 'link.conf');
    symlinkSync(target, link);
    expect((await stamp(link, { changed: true })).code).toBe(0);
    expect(lstatSync(link).isSymbolicLink()).toBe(true);
    expect(readFileSync(target, 'utf8')).toBe(`${HEADER}\n${KEY}\n`);
  });

  it('a file name with spaces, quotes and $ is taken literally', async () => {
    const dir = tempDir('stamp');
    const p = join(dir, `it's a $HOME "file".conf`);
    writeFileSync(p, `${KEY}\n`);
    expect((await stamp(p, { changed: true })).code).toBe(0);
    expect(readFileSync(p, 'utf8')).toBe(`${HEADER}\n${KEY}\n`);
  });

  it('a long owned line (200 kB) arrives whole on stdin', async () => {
    const dir = tempDir('stamp');
    const owned = `${OWNED_PREFIX} ${Array.from({ length: 30000 }, (_, i) => String(2 * i + 1)).join(',')}`;
    expect(owned.length).toBeGreaterThan(150_000);
    const p = file(dir, `${KEY}\n`);
    expect((await stamp(p, { changed: true, owned })).marks).toEqual([OWNED_MARK, STAMPED_MARK]);
    expect(readFileSync(p, 'utf8')).toBe(`${HEADER}\n${owned}\n${KEY}\n`);
  });

  it('a folder that does not exist: exit STAMP_FAILED with the reason, nothing created', async () => {
    const dir = tempDir('stamp');
    const r = await stamp(join(dir, 'missing', '90-fleet.conf'), { changed: true });
    expect(r.code).toBe(STAMP_FAILED);
    expect(r.marks).toEqual([]);
    expect(r.stderr).toContain('cannot create a temporary file next to');
    expect(existsSync(join(dir, 'missing'))).toBe(false);
  });
});
