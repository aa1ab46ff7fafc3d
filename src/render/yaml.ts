import { Document } from 'yaml';

/**
 * Serialise data for Ansible: YAML 1.1 (Ansible's dialect, so `yes`, `on`
 * and `22:30` get quoted), a header comment, stable key order as given.
 */
export function toAnsibleYaml(data: unknown, header: string): string {
  const doc = new Document(data, { version: '1.1' });
  doc.commentBefore = header
    .split('\n')
    .map((l) => ` ${l}`)
    .join('\n');
  return doc.toString({ lineWidth: 0, version: '1.1' } as never);
}
