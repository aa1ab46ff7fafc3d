import { Document, isMap, isScalar, visit } from 'yaml';

const MERGE_TAG = 'tag:yaml.org,2002:merge';

export interface YamlOptions {
  /**
   * Double-quote every string value (keys stay plain). Used for inventories,
   * where a lone port like `5000` must stay the string Ansible compares with
   * `sysctl -n`, not become an integer.
   */
  quoteStrings?: boolean;
}

/**
 * Double-quote every key of a mapping under a `hosts:` key (those keys are
 * host names, from a source inventory too), and with `allHostKeys` false only
 * a `<<` key anywhere (YAML 1.1 readers take a plain `<<` as a merge key; the
 * library already quotes `~`, `yes` and the like). Quoting keeps each name the
 * exact string it is.
 */
function quoteKeys(doc: Document, allHostKeys: boolean): void {
  visit(doc, {
    Pair(_, pair) {
      if (isScalar(pair.key) && pair.key.value === '<<') pair.key.type = 'QUOTE_DOUBLE';
      if (!allHostKeys || !isScalar(pair.key) || pair.key.value !== 'hosts' || !isMap(pair.value)) return;
      for (const item of pair.value.items) if (isScalar(item.key)) item.key.type = 'QUOTE_DOUBLE';
    },
  });
}

/**
 * A YAML 1.1 document for a file Ansible or fleet reads: no anchors (a value
 * object reused across hosts is written out for each host), and no merge tag,
 * so a `<<` string stays a string (quoted), never written as a merge key.
 */
export function ansibleDocument(data: unknown, opts: { quoteHostKeys?: boolean } = {}): Document {
  const doc = new Document(data, { version: '1.1', aliasDuplicateObjects: false, customTags: (tags) => tags.filter((t) => typeof t === 'string' || t.tag !== MERGE_TAG) });
  quoteKeys(doc, opts.quoteHostKeys ?? false);
  return doc;
}

/**
 * Serialise data for Ansible: YAML 1.1 (Ansible's dialect, so `yes`, `on`
 * and `22:30` get quoted), a header comment, stable key order as given.
 */
export function toAnsibleYaml(data: unknown, header: string, opts: YamlOptions = {}): string {
  const doc = ansibleDocument(data, { quoteHostKeys: opts.quoteStrings ?? false });
  doc.commentBefore = header
    .split('\n')
    .map((l) => ` ${l}`)
    .join('\n');
  return doc.toString({ lineWidth: 0, ...(opts.quoteStrings ? { defaultStringType: 'QUOTE_DOUBLE', defaultKeyType: 'PLAIN' } : {}) });
}
