/**
 * How much of `net.ipv4.ip_local_reserved_ports` one write() sets. The kernel
 * parses at most one page minus one byte per write() (4,095 bytes with 4 KiB
 * pages), stops before a number the page cuts, and takes the rest only from a
 * further write() at the next offset. procps `sysctl -w` and `sysctl -p` write
 * "value\n" once and exit 0, so a longer value is silently cut. Checked on a
 * lab host (Linux 6.x, procps-ng 4.0.2): 4,094 characters apply whole, 4,095 are
 * cut. systemd-sysctl (boot) and any writer that loops on short writes
 * (`dd iflag=fullblock`) apply the whole value.
 */
export const ONE_WRITE_LIMIT = 4094;

/** From this length on, plan and check show how long a host's value is. */
export const NEAR_LIMIT = 3600;

/** True when `sysctl -w` would cut this value: fleet writes it whole another way. */
export function exceedsOneWrite(value: string): boolean {
  return value.length > ONE_WRITE_LIMIT;
}

/** `value 4,210 characters (one sysctl write takes 4,094; written whole in chunks)`, or undefined when far from the limit. */
export function lengthNote(value: string): string | undefined {
  if (value.length < NEAR_LIMIT) return undefined;
  const n = value.length.toLocaleString('en-US');
  const limit = ONE_WRITE_LIMIT.toLocaleString('en-US');
  return exceedsOneWrite(value)
    ? `value ${n} characters: over the ${limit} one sysctl write takes, fleet writes it whole in chunks`
    : `value ${n} characters, close to the ${limit} one sysctl write takes`;
}
