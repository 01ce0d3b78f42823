// Generates a migration from the difference between the entities and the committed migrations.
// Usage: npm run migration:create -- <name>
import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openDatabase } from '../src/db/orm.ts';

const name = process.argv[2] ?? 'change';
const dir = join(import.meta.dirname, '../src/db/migrations');
const orm = await openDatabase(join(mkdtempSync(join(tmpdir(), 'gatehouse-migration-')), 'db.sqlite'));
const result = await orm.migrator.create(dir, false, false, name);
await orm.close();
if (!result.fileName) {
  console.log('No changes: entities match the migrations.');
  process.exit(0);
}
// Register the new migration in index.ts so it runs without file discovery.
const className = result.fileName.replace(/\.ts$/, '');
const indexPath = join(dir, 'index.ts');
const index = readFileSync(indexPath, 'utf8')
  .replace(/(\nexport const migrations)/, `import { ${className} } from './${result.fileName}';\n$1`)
  .replace(/= \[(.*)\];/s, (_m, list: string) => `= [${list.trim() ? `${list.trim().replace(/,$/, '')}, ` : ''}{ name: '${className}', class: ${className} }];`);
writeFileSync(indexPath, index);
console.log(`Created src/db/migrations/${result.fileName}`);
console.log(readdirSync(dir).join('\n'));
