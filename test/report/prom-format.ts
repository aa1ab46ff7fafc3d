/**
 * A strict checker for the Prometheus text exposition format as the
 * textfile collector reads it. Returns the problems found (empty = valid),
 * so a test failure lists every bad line.
 */
const NAME = '[a-zA-Z_:][a-zA-Z0-9_:]*';
const LABEL = '[a-zA-Z_][a-zA-Z0-9_]*';
const LABEL_VALUE = '"(?:[^"\\\\\\n]|\\\\[\\\\"n])*"';
const VALUE = '(?:[+-]?(?:\\d+(?:\\.\\d*)?|\\.\\d+)(?:[eE][+-]?\\d+)?|[+-]Inf|NaN)';
// name, optional {labels}, one space, value, and nothing after: a timestamp would be a second number.
const SAMPLE = new RegExp(`^(${NAME})(?:\\{((?:${LABEL}=${LABEL_VALUE})(?:,${LABEL}=${LABEL_VALUE})*)?\\})? (${VALUE})$`);
const HELP = new RegExp(`^# HELP (${NAME}) (.*)$`);
const TYPE = new RegExp(`^# TYPE (${NAME}) (counter|gauge|histogram|summary|untyped)$`);
const PAIR = new RegExp(`(${LABEL})=(${LABEL_VALUE})`, 'g');

export interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

/** Parse and check; `samples` holds every sample with label values unescaped. */
export function checkExposition(text: string): { problems: string[]; samples: Sample[]; families: string[] } {
  const problems: string[] = [];
  const samples: Sample[] = [];
  const help = new Set<string>();
  const type = new Map<string, string>();
  const done = new Set<string>();
  const series = new Set<string>();
  const families: string[] = [];
  let current: string | undefined;
  if (!text.endsWith('\n')) problems.push('file does not end with a newline');
  const lines = text.split('\n');
  lines.pop();
  lines.forEach((line, i) => {
    const at = `line ${i + 1}: ${line}`;
    const helpLine = HELP.exec(line);
    const typeLine = helpLine ? null : TYPE.exec(line);
    const sampleLine = helpLine || typeLine ? null : SAMPLE.exec(line);
    if (helpLine) {
      const m = helpLine;
      const name = m[1]!;
      if (help.has(name)) problems.push(`${at}: second HELP for ${name}`);
      if (type.has(name)) problems.push(`${at}: HELP after TYPE`);
      help.add(name);
      if (current && current !== name) done.add(current);
      current = name;
      families.push(name);
    } else if (typeLine) {
      const m = typeLine;
      const name = m[1]!;
      if (type.has(name)) problems.push(`${at}: second TYPE for ${name}`);
      if (!help.has(name) || current !== name) problems.push(`${at}: TYPE without HELP just before`);
      type.set(name, m[2]!);
    } else if (sampleLine) {
      const m = sampleLine;
      const name = m[1]!;
      if (!help.has(name) || !type.has(name)) problems.push(`${at}: sample before HELP and TYPE of ${name}`);
      if (done.has(name) || (current !== undefined && current !== name)) problems.push(`${at}: samples of ${name} are not contiguous`);
      const labels: Record<string, string> = {};
      for (const [, k, v] of (m[2] ?? '').matchAll(PAIR)) {
        if (k! in labels) problems.push(`${at}: label ${k} repeated`);
        labels[k!] = v!.slice(1, -1).replace(/\\(.)/g, (_, c: string) => (c === 'n' ? '\n' : c));
      }
      const key = `${name}{${Object.entries(labels)
        .sort()
        .map(([k, v]) => `${k}=${JSON.stringify(v)}`)
        .join(',')}}`;
      if (series.has(key)) problems.push(`${at}: duplicate series ${key}`);
      series.add(key);
      const raw = m[3]!;
      samples.push({ name, labels, value: raw === 'NaN' ? NaN : raw.endsWith('Inf') ? (raw[0] === '-' ? -Infinity : Infinity) : Number(raw) });
    } else {
      problems.push(`${at}: not a HELP, TYPE or sample line`);
    }
  });
  return { problems, samples, families };
}
