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
  const doc = new Document(data, {
    version: '1.1',
    aliasDuplicateObjects: false,
    customTags: (tags) => tags.filter((t) => typeof t === 'string' || t.tag !== MERGE_TAG),
  });
  quoteKeys(doc, opts.quoteHostKeys ?? false);
  return doc;
}

/**
 * Serialise data for Ansible: YAML 1.1 (Ansible's dialect, so `yes`, `on`
 * and `22:30` get quoted), a header comment, stable key order as given.
 */
export function toAnsibleYaml(data: unknown, header: string, opts: YamlOptions = {}): string {
  // Inventories hold a line per host: the yaml library's Document takes ~40 µs a host, this ~1 µs.
  if (opts.quoteStrings) return quotedYaml(data, header);
  const doc = ansibleDocument(data);
  doc.commentBefore = header
    .split('\n')
    .map((l) => ` ${l}`)
    .join('\n');
  return doc.toString({ lineWidth: 0 });
}

// YAML 1.1 reads these bare words as booleans or null; a key spelled so must be quoted.
const SPECIAL_WORD = /^(?:y|n|yes|no|on|off|true|false|null)$/i;
const PLAIN_KEY = /^[A-Za-z_][A-Za-z0-9_.-]*$/;

/**
 * A JSON string is a YAML double-quoted scalar, except for characters YAML
 * treats as line breaks or as not printable, which get \u escapes.
 */
function quote(s: string): string {
  return JSON.stringify(s).replace(/[\u007f-\u009f\u2028\u2029\ufeff\ufffe\uffff]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

const keyText = (k: string) => (PLAIN_KEY.test(k) && !SPECIAL_WORD.test(k) ? k : quote(k));

type Plain = null | undefined | string | number | boolean | Plain[] | { [k: string]: Plain };

function scalar(v: Plain): string | undefined {
  if (v === null || v === undefined) return 'null';
  if (typeof v === 'string') return quote(v);
  if (typeof v === 'number') return Number.isFinite(v) ? String(v) : quote(String(v));
  if (typeof v === 'boolean') return v ? 'true' : 'false';
  if (Array.isArray(v)) return v.length === 0 ? '[]' : undefined;
  return Object.keys(v).some((k) => v[k] !== undefined) ? undefined : '{}';
}

/**
 * Block YAML, every string double-quoted, keys plain where YAML 1.1 reads them
 * back as the same string; the keys of a `hosts:` mapping (host names, from a
 * source inventory too) always double-quoted.
 */
function emit(v: Plain, pad: string, out: string[], first: string, hostKeys = false): void {
  if (Array.isArray(v)) {
    for (const item of v) {
      const s = scalar(item);
      if (s !== undefined) out.push(`${pad}- ${s}`);
      else if (Array.isArray(item)) {
        out.push(`${pad}-`);
        emit(item, `${pad}  `, out, '');
      } else emit(item, `${pad}  `, out, `${pad}- `);
    }
    return;
  }
  let lead = first;
  for (const [k, val] of Object.entries(v as Record<string, Plain>)) {
    if (val === undefined) continue;
    const s = scalar(val);
    const start = lead || pad;
    lead = '';
    const key = hostKeys ? quote(k) : keyText(k);
    if (s !== undefined) out.push(`${start}${key}: ${s}`);
    else {
      out.push(`${start}${key}:`);
      emit(val, `${pad}  `, out, '', k === 'hosts' && !Array.isArray(val));
    }
  }
}

function quotedYaml(data: unknown, header: string): string {
  const out = header.split('\n').map((l) => `# ${l}`);
  out.push('');
  const s = scalar(data as Plain);
  if (s !== undefined) out.push(s);
  else emit(data as Plain, '', out, '');
  return `${out.join('\n')}\n`;
}
