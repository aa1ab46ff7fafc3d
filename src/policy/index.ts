/** The policy module: load and validate policy files v1 (see examples/policy.yaml). */
export { formatDiagnostic, formatPath, type Diagnostic, type FieldPath } from './diagnostic.js';
export { loadPolicy } from './load.js';
export { MAX_POLICY_BYTES, parsePolicyText, type PolicyParseResult } from './parse.js';
export { policyJsonSchema, policySchema } from './schema.js';
export * from './types.js';
