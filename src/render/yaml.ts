import { Document, isPair, isScalar, visit } from 'yaml';

/** Keys whose values must stay strings for Ansible (a lone port `5000` would otherwise become an int). */
const ALWAYS_QUOTED = new Set(['fleet_reserved_ports', 'fleet_port_range', 'fleet_persist_file']);

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
  visit(doc, {
    Pair(_, pair) {
      if (isPair(pair) && isScalar(pair.key) && ALWAYS_QUOTED.has(String(pair.key.value)) && isScalar(pair.value)) {
        pair.value.type = 'QUOTE_DOUBLE';
      }
    },
  });
  return doc.toString({ lineWidth: 0 });
}
