// Generates a migration for each dialect from the difference between the entities and the
// committed migrations, and registers it in that dialect's index.ts.
// Usage: npm run migration:create -- <name>
// PostgreSQL's needs a server: MIGRATION_DATABASE_URL (or TEST_DATABASE_URL) = postgres://… of a
// user allowed to create databases; `eval "$(scripts/test-backends.sh start)"` starts one.
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openDatabase } from '../src/db/orm.ts';
import { entities } from '../src/entities.ts';
import type { DatabaseDialect } from '../src/config/dialect.ts';
import { dropDatabase, ensureDatabase } from '../src/db/postgresql-admin.ts';

const name = process.argv[2] ?? 'change';
const root = join(import.meta.dirname, '../src/db/migrations');
const adminUrl = process.env.MIGRATION_DATABASE_URL ?? process.env.TEST_DATABASE_URL;
if (!adminUrl) {
  console.error('Set MIGRATION_DATABASE_URL (or TEST_DATABASE_URL) to a PostgreSQL server: both dialects get the migration.');
  process.exit(1);
}

async function create(dialect: DatabaseDialect, location: string, dir: string): Promise<void> {
  const orm = await openDatabase(location, entities);
  try {
    const result = await orm.migrator.create(dir, false, false, name);
    if (!result.fileName) {
      console.log(`${dialect}: no changes, the entities match the migrations.`);
      return;
    }
    // Register the new migration in index.ts so it runs without file discovery.
    const className = result.fileName.replace(/\.ts$/, '');
    const indexPath = join(dir, 'index.ts');
    const index = readFileSync(indexPath, 'utf8')
      .replace(/(\nexport const migrations)/, `import { ${className} } from './${result.fileName}';\n$1`)
      .replace(/= \[(.*)\];/s, (_m, list: string) => `= [${list.trim() ? `${list.trim().replace(/,$/, '')}, ` : ''}{ name: '${className}', class: ${className} }];`);
    writeFileSync(indexPath, index);
    console.log(`${dialect}: created ${join(dir, result.fileName)}`);
  } finally {
    await orm.close();
  }
}

await create('sqlite', join(mkdtempSync(join(tmpdir(), 'gatehouse-migration-')), 'db.sqlite'), root);
const scratch = `gatehouse_migration_${randomBytes(6).toString('hex')}`;
try {
  await create('postgresql', await ensureDatabase(adminUrl, scratch), join(root, 'postgresql'));
} finally {
  await dropDatabase(adminUrl, scratch);
}
