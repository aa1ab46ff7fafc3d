/**
 * The persisted file's header: fleet's version, the policy's sha256 and the
 * time of the apply, on the file's first line. Written only when a write step
 * of this run changed the host, so an apply that finds nothing to do leaves
 * the file byte for byte as it was and reports ok (a header rewritten on every
 * run would make every apply "changed" and the file's timestamp useless).
 */
export const HEADER_TASK = 'fleet stamp persisted file';

export const HEADER_PREFIX = '# Managed by fleet';

/**
 * The ports fleet owns on the host (the policy's set, see verify/owned.ts)
 * are a comment line of the persisted file, written with the header by the
 * apply plugin's stamp (ansible/stamp.ts: the header first, then this line).
 * Idempotent: the file changes only when the policy's set for the host
 * changes, so a no-op apply stays ok.
 */
export const OWNED_TASK = 'fleet record owned ports';

/** The header line, templated by Ansible when the apply task starts. */
export const HEADER_LINE = `${HEADER_PREFIX} {{ fleet_version }}; policy sha256 {{ fleet_policy_sha256 | default('unknown') }}; applied {{ now(utc=true).strftime('%Y-%m-%dT%H:%M:%SZ') }}`;
