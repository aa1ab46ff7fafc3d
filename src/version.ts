/** fleet's version: package.json's, read once here (src/version.ts and dist/version.js both sit one folder below it). */
import { createRequire } from 'node:module';

const pkg = createRequire(import.meta.url)('../package.json') as { version: string };

export const VERSION: string = pkg.version;
