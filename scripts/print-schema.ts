// Writes schema.graphql; with --check, fails when the committed file differs (CI drift check).
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { printSchemaSdl } from '../src/schema.ts';

const file = join(import.meta.dirname, '..', 'schema.graphql');
const sdl = printSchemaSdl();
if (process.argv.includes('--check')) {
  let committed = '';
  try {
    committed = readFileSync(file, 'utf8');
  } catch {
    // A missing file is drift like any other; reported below.
  }
  if (committed !== sdl) {
    console.error('schema.graphql is out of date: run `npm run schema` and commit the result.');
    process.exit(1);
  }
  console.log('schema.graphql is up to date.');
} else {
  writeFileSync(file, sdl);
  console.log('Wrote schema.graphql');
}
