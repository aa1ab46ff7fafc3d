// ports/: port-set algebra and the kernel's canonical form (pure).
import { difference, format, intersect, range, rangeText, size, type PortRange, type PortSet } from './portset.js';

/** Linux default for net.ipv4.ip_local_port_range. */
export const DEFAULT_EPHEMERAL: PortRange = [32768, 60999];

/** How much of the ephemeral range stays auto-assignable once `reserved` is applied. */
export interface Capacity {
  ephemeral: PortRange;
  ephemeralSize: number;
  reservedInside: PortSet;
  free: number;
}

export function capacity(reserved: PortSet, ephemeral: PortRange = DEFAULT_EPHEMERAL): Capacity {
  const eph = range(ephemeral[0], ephemeral[1]);
  const reservedInside = intersect(reserved, eph);
  return {
    ephemeral,
    ephemeralSize: size(eph),
    reservedInside,
    free: size(difference(eph, reservedInside)),
  };
}

/** Plain words on which reserved ranges eat the ephemeral capacity, largest first. */
export function explainCapacity(c: Capacity, limit = 5): string {
  const parts = [...c.reservedInside]
    .sort((a, b) => b[1] - b[0] - (a[1] - a[0]))
    .slice(0, limit)
    .map((r) => `${format([r])} (${r[1] - r[0] + 1} ports)`);
  const more = c.reservedInside.length > limit ? ` and ${c.reservedInside.length - limit} more` : '';
  return `ephemeral range ${rangeText(c.ephemeral)} has ${c.ephemeralSize} ports; reserved inside it: ${parts.join(', ') || 'none'}${more}; ${c.free} left for outgoing connections`;
}
