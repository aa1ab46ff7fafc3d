// Writes schema/policy.schema.json from the zod schema in src/policy/schema.ts
// (via the build in dist/), so the published JSON Schema never drifts from
// what fleet validates. test/policy/schema-sync.test.ts fails when it does.
import { writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { policyJsonSchema } from '../dist/policy/schema.js';

const out = fileURLToPath(new URL('../schema/policy.schema.json', import.meta.url));
writeFileSync(out, `${JSON.stringify(policyJsonSchema(), null, 2)}\n`);
console.log(`wrote ${out}`);
