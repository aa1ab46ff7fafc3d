/**
 * Stable sharding: `--shard K/N` gives controller K (1-based) the hosts whose
 * FNV-1a hash of the name falls in bucket K-1. Same inputs, same split, on
 * any machine; every host in exactly one shard.
 */
export interface Shard {
  index: number;
  count: number;
}

export function parseShard(text: string): Shard | string {
  const m = /^(\d+)\/(\d+)$/.exec(text);
  if (!m) return `--shard takes K/N, e.g. 1/4 (got "${text}")`;
  const index = Number(m[1]);
  const count = Number(m[2]);
  if (count < 1 || index < 1 || index > count) return `--shard ${text}: K must be between 1 and N`;
  return { index, count };
}

export function fnv1a(text: string): number {
  let h = 0x811c9dc5;
  for (const byte of new TextEncoder().encode(text)) {
    h ^= byte;
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h >>> 0;
}

export function inShard(host: string, shard: Shard): boolean {
  return fnv1a(host) % shard.count === shard.index - 1;
}
