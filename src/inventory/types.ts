/** A host as fleet sees it after reading the inventory. */
export interface HostInfo {
  name: string;
  /** Every group the host belongs to, directly or through children groups (not `all`/`ungrouped`). Sorted. */
  groups: string[];
  /** Variables that matter for connecting (from hostvars); passed through to the rendered inventory. */
  vars: Record<string, unknown>;
}

export interface Inventory {
  /** Sorted by name. */
  hosts: HostInfo[];
  /** Every group name known to the inventory. */
  groups: string[];
  /** Where it came from, for messages. */
  source: string;
}
