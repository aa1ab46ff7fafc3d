import { Document } from 'yaml';

export interface YamlOptions {
  /**
   * Double-quote every string value (keys stay plain). Used for inventories,
   * where a lone port like `5000` must stay the string Ansible compares with
   * `sysctl -n`, not become an integer.
   */
  quoteStrings?: boolean;
}

/**
 * Serialise data for Ansible: YAML 1.1 (Ansible's dialect, so `yes`, `on`
 * and `22:30` get quoted), a header comment, stable key order as given.
 */
export function toAnsibleYaml(data: unknown, header: string, opts: YamlOptions = {}): string {
  // No anchors: a value object reused across hosts must be written out for each host (and it is faster).
  const doc = new Document(data, { version: '1.1', aliasDuplicateObjects: false });
  doc.commentBefore = header
    .split('\n')
    .map((l) => ` ${l}`)
    .join('\n');
  return doc.toString({ lineWidth: 0, ...(opts.quoteStrings ? { defaultStringType: 'QUOTE_DOUBLE', defaultKeyType: 'PLAIN' } : {}) });
}
