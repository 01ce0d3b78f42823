// `gatehouse user import --apply` of 1,000,000 bcrypt-hashed users (a CSV file built once, kept in
// bench/.cache/) on a fresh SQLite file, against the floor for the same rows: reading the same file
// line by line and inserting with better-sqlite3 prepared statements in one transaction (no CSV
// parser, no checks). Both databases are made by Gatehouse first (migrations, built-in roles), untimed.
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { createReadStream, createWriteStream, existsSync, mkdirSync, renameSync } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { randomUUID } from 'node:crypto';
import Database from 'better-sqlite3';
import bcrypt from 'bcryptjs';
import { GATEHOUSE_BIN, ROOT, tempDir } from '../lib/processes.ts';
import { fmt, median, type ResultRow, type RunOptions } from '../lib/report.ts';

const BASE_TIME = Date.UTC(2015, 0, 1);
const HEADER = 'email,password_hash,roles,email_confirmed,created_at';

/** The file: distinct emails, a few distinct bcrypt hashes (hashing a million would take hours), 1 in 100 an admin. */
async function importFile(rows: number, log: (line: string) => void): Promise<string> {
  const path = join(ROOT, 'bench', '.cache', `import-${rows}.csv`);
  if (existsSync(path)) return path;
  mkdirSync(join(path, '..'), { recursive: true });
  log(`  writing ${rows.toLocaleString('en')} rows to ${path} (once) …`);
  const hashes = ['one', 'two', 'three', 'four'].map((word) => bcrypt.hashSync(`password ${word}`, 10));
  const building = `${path}.building`;
  const out = createWriteStream(building);
  out.write(`${HEADER}\n`);
  for (let i = 1; i <= rows; i++) {
    const line = `user${i}@import.example,${hashes[i % hashes.length]},${i % 100 === 0 ? 'admin' : ''},true,${new Date(BASE_TIME + i * 1000).toISOString()}\n`;
    if (!out.write(line)) await once(out, 'drain');
  }
  out.end();
  await once(out, 'finish');
  renameSync(building, path);
  return path;
}

/** Runs `gatehouse <args>` on `database`; resolves with its wall time in ms (throws on failure). */
async function gatehouse(args: string[], database: string, cwd: string): Promise<{ ms: number; stdout: string }> {
  const started = performance.now();
  const child = spawn(process.execPath, [GATEHOUSE_BIN, ...args], { cwd, env: { PATH: process.env.PATH ?? '/usr/bin:/bin', DATABASE_URL: database }, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk) => (stdout += chunk));
  child.stderr.on('data', (chunk) => (stderr += chunk));
  const [code] = (await once(child, 'exit')) as [number | null];
  if (code !== 0) throw new Error(`gatehouse ${args.join(' ')} exited ${code}:\n${stderr.slice(-2000)}`);
  return { ms: performance.now() - started, stdout };
}

/** A database Gatehouse made (migrations, the built-in roles), with nothing else in it. */
async function freshDatabase(dir: string, name: string): Promise<string> {
  const database = join(dir, `${name}.db`);
  await gatehouse(['role', 'list'], database, dir);
  return database;
}

/** The floor: the same rows from the same file into the same tables, with nothing checked. */
async function rawInsert(file: string, database: string): Promise<number> {
  const started = performance.now();
  const db = new Database(database);
  db.pragma('journal_mode = wal');
  db.pragma('synchronous = normal');
  const roles = new Map((db.prepare('select id, name from roles').all() as Array<{ id: string; name: string }>).map((r) => [r.name, r.id]));
  const user = db.prepare(
    'insert into users (id, email, email_key, password_hash, email_confirmed_at, disabled, created_at, updated_at) values (?, ?, ?, ?, ?, 0, ?, ?)',
  );
  const link = db.prepare('insert into user_roles (user_id, role_id) values (?, ?)');
  const now = Date.now();
  db.exec('begin');
  let first = true;
  for await (const line of createInterface({ input: createReadStream(file), crlfDelay: Infinity })) {
    if (first) {
      first = false;
      continue;
    }
    const [email, hash, role, , createdAt] = line.split(',') as [string, string, string, string, string];
    const id = randomUUID();
    const created = Date.parse(createdAt);
    user.run(id, email, email.toLowerCase(), hash, created, created, now);
    link.run(id, roles.get('user'));
    if (role) link.run(id, roles.get(role));
  }
  db.exec('commit');
  db.close();
  return performance.now() - started;
}

function countUsers(database: string): number {
  const db = new Database(database, { readonly: true });
  try {
    return (db.prepare('select count(*) as n from users').get() as { n: number }).n;
  } finally {
    db.close();
  }
}

export async function importScenario(options: RunOptions): Promise<ResultRow[]> {
  const rows = options.quick ? 100_000 : 1_000_000;
  const file = await importFile(rows, options.log);
  const rounds = options.quick ? 1 : Math.min(options.rounds, 2);
  const gatehouseRate: number[] = [];
  const rawRate: number[] = [];
  const batchedRate: number[] = [];
  for (let round = 1; round <= rounds; round++) {
    const dir = tempDir('import');
    const check = await gatehouse(['user', 'import', file], await freshDatabase(dir, 'dry'), dir);
    const single = join(dir, 'single.db');
    await freshDatabase(dir, 'single');
    const imported = await gatehouse(['user', 'import', file, '--apply'], single, dir);
    const batchedDb = await freshDatabase(dir, 'batched');
    const batched = await gatehouse(['user', 'import', file, '--apply', '--batch-size', '10000'], batchedDb, dir);
    const rawDb = await freshDatabase(dir, 'raw');
    const rawMs = await rawInsert(file, rawDb);
    for (const database of [single, batchedDb, rawDb]) {
      const count = countUsers(database);
      if (count !== rows) throw new Error(`${database} has ${count} users, expected ${rows}`);
    }
    const rate = (ms: number) => rows / (ms / 1000);
    gatehouseRate.push(rate(imported.ms));
    batchedRate.push(rate(batched.ms));
    rawRate.push(rate(rawMs));
    options.log(
      `  import round ${round}: --apply ${fmt(imported.ms / 1000)} s (${fmt(rate(imported.ms))} rows/s; the check pass alone ${fmt(check.ms / 1000)} s), ` +
        `--batch-size 10000 ${fmt(batched.ms / 1000)} s, raw better-sqlite3 ${fmt(rawMs / 1000)} s (${fmt(rate(rawMs))} rows/s)`,
    );
  }
  const label = `\`user import --apply\` of ${rows.toLocaleString('en')} bcrypt-hashed users (CSV, fresh SQLite)`;
  const baseline = { baseline: median(rawRate), baselineLabel: 'better-sqlite3 prepared inserts of the same file, one transaction, no checks' };
  return [
    { scenario: label, metric: 'rows/s', gatehouse: median(gatehouseRate), ...baseline, goal: { kind: 'min', ratio: 0.2 }, samples: { gatehouse: gatehouseRate, baseline: rawRate } },
    { scenario: `${label}, \`--batch-size 10000\``, metric: 'rows/s', gatehouse: median(batchedRate), ...baseline, goal: { kind: 'min', ratio: 0.2 }, samples: { gatehouse: batchedRate, baseline: rawRate } },
  ];
}
