// `npm run bench:backup`: online backup and download of a ≈ 200 MB database.
//
//   npm run bench:backup                     5 interleaved rounds (raw, createBackup, download)
//   npm run bench:backup -- --rounds 3 --size-mb 50
//
// Baseline: better-sqlite3's db.backup() of the same file, in this process. Gatehouse: the
// createBackup mutation and GET /admin/database/download against a server process. Each round
// prints the time and the longest event-loop stall of the process doing the work (the server's is
// measured by a preload, bench/backup-loop-monitor.ts, over IPC). A last round backs up while a
// client keeps writing, and counts the writes that failed. Goal: ≤ 1.2× the raw time, no stall
// over 150 ms. Results go to bench/results/backup-<time>.json; nothing is asserted.
import { spawn, type ChildProcess } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { get } from 'node:http';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { createInterface } from 'node:readline';
import { parseArgs } from 'node:util';
import Database from 'better-sqlite3';
import { openDatabase } from '../src/db/orm.ts';
import { entities } from '../src/entities.ts';
import { ADMIN_EMAIL, ADMIN_PASSWORD, adminSession, graphql } from './lib/gatehouse.ts';
import { ROOT } from './lib/processes.ts';
import { median } from './lib/report.ts';

// Set by the command line below, or by measureBackup() when `npm run bench` runs this scenario.
let ROUNDS = 5;
let SIZE_MB = 200;
const GOAL_RATIO = 1.2;
const GOAL_STALL_MS = 150;

/** A database of about SIZE_MB: Gatehouse's schema, 2,000 users and audit events carrying the bulk. Cached. */
async function cachedDatabase(): Promise<string> {
  const dir = join(ROOT, 'bench', '.cache');
  const path = join(dir, `backup-${SIZE_MB}mb.db`);
  if (existsSync(path)) return path;
  mkdirSync(dir, { recursive: true });
  const building = `${path}.building`;
  rmSync(building, { force: true });
  const orm = await openDatabase(building, entities);
  await orm.close();
  const db = new Database(building);
  db.pragma('journal_mode = wal');
  const started = performance.now();
  db.exec(`with recursive n(i) as (select 1 union all select i + 1 from n where i < 2000)
    insert into users (id, email, email_key, password_hash, disabled, created_at, updated_at)
    select printf('00000000-0000-4000-8000-%012d', i), 'user' || i || '@example.com', 'user' || i || '@example.com',
      '$argon2id$v=19$m=19456,t=2,p=1$' || hex(randomblob(16)) || '$' || hex(randomblob(32)), 0, datetime('now'), datetime('now') from n`);
  // ≈ 200 bytes per event: rows of 5,000 at a time until the file has the size asked for.
  const insert = db.prepare(`with recursive n(i) as (select 1 union all select i + 1 from n where i < 5000)
    insert into audit_events (at, actor_type, actor_id, actor_email, action, target_type, target_id, ip, user_agent, details)
    select datetime('now', '-' || (abs(random()) % 300) || ' days'), 'user', printf('00000000-0000-4000-8000-%012d', 1 + abs(random()) % 2000),
      'user' || (1 + abs(random()) % 2000) || '@example.com', 'auth.login', 'session', hex(randomblob(16)), '10.0.0.1',
      'Mozilla/5.0 (bench)', json_object('n', i, 'pad', hex(randomblob(24))) from n`);
  const bytes = () => (db.pragma('page_count', { simple: true }) as number) * (db.pragma('page_size', { simple: true }) as number);
  while (bytes() < SIZE_MB * 1024 * 1024) {
    db.transaction(() => insert.run())();
  }
  db.pragma('wal_checkpoint(TRUNCATE)');
  db.pragma('journal_mode = delete');
  db.close();
  copyFileSync(building, path);
  rmSync(building, { force: true });
  log(`built ${path} (${mb(statSync(path).size)} MB) in ${((performance.now() - started) / 1000).toFixed(1)} s`);
  return path;
}

interface Server {
  child: ChildProcess;
  url: string;
  origin: string;
  /** The longest event-loop stall of the server since the last call (ms). */
  stall(): Promise<number>;
  stop(): Promise<void>;
}

async function startServer(databasePath: string): Promise<Server> {
  const child = spawn(process.execPath, ['--import', join(ROOT, 'bench', 'backup-loop-monitor.ts'), join(ROOT, 'bin', 'gatehouse.js'), 'serve'], {
    cwd: tmpdir(),
    env: {
      PATH: process.env.PATH ?? '/usr/bin:/bin',
      NODE_ENV: 'production',
      DATABASE_URL: databasePath,
      PORT: '0',
      HOST: '127.0.0.1',
      LOG_LEVEL: 'info',
      ADMIN_EMAIL,
      ADMIN_PASSWORD,
    },
    stdio: ['ignore', 'pipe', 'inherit', 'ipc'],
  });
  const url = await new Promise<string>((resolve, reject) => {
    createInterface({ input: child.stdout! }).on('line', (line) => {
      const found = /"url":"([^"]+)"/.exec(line)?.[1];
      if (found) resolve(found);
    });
    child.once('exit', (code) => reject(new Error(`server exited (${code}) before listening`)));
  });
  child.stdout!.resume();
  const stall = () =>
    new Promise<number>((resolve) => {
      child.once('message', (message) => resolve((message as { maxMs: number }).maxMs));
      child.send('report');
    });
  return {
    child,
    url,
    origin: new URL(url).origin,
    stall,
    async stop() {
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.kill('SIGTERM');
      await exited;
    },
  };
}

// ---------------------------------------------------------------------------------------------

const mb = (bytes: number) => (bytes / (1024 * 1024)).toFixed(0);
let log = (line: string) => {
  process.stdout.write(`${line}\n`);
};

const ownLoop = monitorEventLoopDelay({ resolution: 5 });
ownLoop.enable();

async function rawBackup(source: string, dest: string): Promise<{ ms: number; stallMs: number }> {
  const db = new Database(source, { readonly: true });
  ownLoop.reset();
  const started = performance.now();
  await db.backup(dest);
  const ms = performance.now() - started;
  const stallMs = ownLoop.max / 1e6;
  db.close();
  rmSync(dest, { force: true });
  return { ms, stallMs };
}

async function gatehouseBackup(server: Server, token: string, backupDir: string): Promise<{ ms: number; stallMs: number }> {
  await server.stall();
  const started = performance.now();
  const data = await graphql(server.url, 'mutation { createBackup { __typename ... on Backup { name } ... on Error { code message } } }', {}, token);
  const ms = performance.now() - started;
  const stallMs = await server.stall();
  if (data.createBackup.__typename !== 'Backup') throw new Error(JSON.stringify(data));
  rmSync(join(backupDir, data.createBackup.name), { force: true });
  rmSync(join(backupDir, `${data.createBackup.name}.json`), { force: true });
  return { ms, stallMs };
}

/** GET /admin/database/download, read to the end (node:http: fetch's web streams cost more than the server). */
async function download(server: Server, token: string): Promise<{ ms: number; firstByteMs: number; stallMs: number; bytes: number }> {
  await server.stall();
  const started = performance.now();
  const { firstByteMs, bytes } = await new Promise<{ firstByteMs: number; bytes: number }>((resolve, reject) => {
    get(`${server.origin}/admin/database/download`, { headers: { authorization: `Bearer ${token}` } }, (res) => {
      const firstByteMs = performance.now() - started;
      if (res.statusCode !== 200) return reject(new Error(`download: ${res.statusCode}`));
      let bytes = 0;
      res.on('data', (chunk: Buffer) => (bytes += chunk.length));
      res.on('end', () => resolve({ firstByteMs, bytes }));
      res.on('error', reject);
    }).on('error', reject);
  });
  const ms = performance.now() - started;
  return { ms, firstByteMs, stallMs: await server.stall(), bytes };
}

/** The server's longest stall while it does nothing: the noise floor of this machine right now. */
async function idleStall(server: Server, ms: number): Promise<number> {
  await server.stall();
  await new Promise((resolve) => setTimeout(resolve, ms));
  return server.stall();
}

/** A backup while a client keeps changing the admin's profile; counts writes and their worst latency. */
async function backupUnderWrites(server: Server, token: string, backupDir: string) {
  let writing = true;
  let ok = 0;
  let failed = 0;
  let worstMs = 0;
  const writer = (async () => {
    while (writing) {
      const started = performance.now();
      try {
        await graphql(server.url, 'mutation($n: String!) { updateProfile(input: { displayName: $n }) { __typename } }', { n: `w${ok}` }, token);
        ok++;
      } catch {
        failed++;
      }
      worstMs = Math.max(worstMs, performance.now() - started);
    }
  })();
  await new Promise((resolve) => setTimeout(resolve, 200));
  const okBefore = ok;
  const backup = await gatehouseBackup(server, token, backupDir);
  const during = ok - okBefore;
  writing = false;
  await writer;
  return { ...backup, writesDuring: during, writesFailed: failed, worstWriteMs: worstMs };
}

export interface BackupMeasurement {
  summary: Record<string, number>;
  underWrites: { writesFailed: number; writesDuring: number };
  goalMet: boolean;
}

/** The whole benchmark; `npm run bench` calls this with its rounds and log. */
export async function measureBackup(options: { rounds: number; sizeMb?: number; log?: (line: string) => void }): Promise<BackupMeasurement> {
  ROUNDS = options.rounds;
  SIZE_MB = options.sizeMb ?? SIZE_MB;
  if (options.log) log = options.log;
  return main();
}

async function main(): Promise<BackupMeasurement> {
  log(`Backup benchmark: ${SIZE_MB} MB database, ${ROUNDS} rounds, ${cpus().length} × ${cpus()[0]?.model ?? 'cpu'}`);
  const cached = await cachedDatabase();
  const dir = mkdtempSync(join(tmpdir(), 'gatehouse-bench-backup-'));
  const live = join(dir, 'gatehouse.db');
  copyFileSync(cached, live);
  const server = await startServer(live);
  try {
    const token = await adminSession(server);
    const backupDir = join(dir, 'backups');
    log(`database: ${mb(statSync(live).size)} MB; server ${server.url}\n`);
    log('round  raw backup (stall)   createBackup (stall) ratio   download: first byte, all (stall)   ratio   idle stall');
    const rows: Array<Record<string, number>> = [];
    // A warm-up of each, not counted (first use of the worker thread, page cache).
    await rawBackup(live, join(dir, 'raw.db'));
    await gatehouseBackup(server, token, backupDir);
    for (let round = 1; round <= ROUNDS; round++) {
      // Alternate which goes first, so neither always runs on a warmer cache.
      const raw = round % 2 ? await rawBackup(live, join(dir, 'raw.db')) : null;
      const ours = await gatehouseBackup(server, token, backupDir);
      const rawAfter = raw ?? (await rawBackup(live, join(dir, 'raw.db')));
      const got = await download(server, token);
      const idle = await idleStall(server, ours.ms);
      rows.push({
        rawMs: rawAfter.ms,
        rawStallMs: rawAfter.stallMs,
        backupMs: ours.ms,
        backupStallMs: ours.stallMs,
        downloadFirstByteMs: got.firstByteMs,
        downloadMs: got.ms,
        downloadStallMs: got.stallMs,
        idleStallMs: idle,
      });
      const t = (ms: number, width = 5) => `${ms.toFixed(0).padStart(width)} ms`;
      log(
        `${String(round).padStart(5)}  ${t(rawAfter.ms)} (${t(rawAfter.stallMs, 3)})  ${t(ours.ms)} (${t(ours.stallMs, 3)}) ${(ours.ms / rawAfter.ms).toFixed(2)}×` +
          `   ${t(got.firstByteMs)}, ${t(got.ms)} (${t(got.stallMs, 3)})        ${(got.firstByteMs / rawAfter.ms).toFixed(2)}×   ${t(idle, 3)}`,
      );
    }
    const med = (key: string) => median(rows.map((r) => r[key]!));
    const max = (key: string) => Math.max(...rows.map((r) => r[key]!));
    const summary = {
      rawMs: med('rawMs'),
      backupMs: med('backupMs'),
      downloadFirstByteMs: med('downloadFirstByteMs'),
      downloadMs: med('downloadMs'),
      backupRatio: med('backupMs') / med('rawMs'),
      downloadSnapshotRatio: med('downloadFirstByteMs') / med('rawMs'),
      rawWorstStallMs: max('rawStallMs'),
      backupWorstStallMs: max('backupStallMs'),
      downloadWorstStallMs: max('downloadStallMs'),
      idleWorstStallMs: max('idleStallMs'),
    };
    const underWrites = await backupUnderWrites(server, token, backupDir);
    log(
      `\nmedians: raw ${summary.rawMs.toFixed(0)} ms, createBackup ${summary.backupMs.toFixed(0)} ms (${summary.backupRatio.toFixed(2)}×), ` +
        `download ${summary.downloadMs.toFixed(0)} ms of which the snapshot (first byte) ${summary.downloadFirstByteMs.toFixed(0)} ms (${summary.downloadSnapshotRatio.toFixed(2)}×)`,
    );
    log(
      `worst stalls: raw ${summary.rawWorstStallMs.toFixed(0)} ms (this process), server during createBackup ${summary.backupWorstStallMs.toFixed(0)} ms, ` +
        `during download ${summary.downloadWorstStallMs.toFixed(0)} ms, idle ${summary.idleWorstStallMs.toFixed(0)} ms (noise floor: other load on the machine)`,
    );
    log(
      `under writes: createBackup ${underWrites.ms.toFixed(0)} ms, server stall ${underWrites.stallMs.toFixed(0)} ms; ` +
        `${underWrites.writesDuring} writes succeeded during it, ${underWrites.writesFailed} failed, worst write ${underWrites.worstWriteMs.toFixed(0)} ms`,
    );
    const met = summary.backupRatio <= GOAL_RATIO && summary.backupWorstStallMs <= GOAL_STALL_MS && summary.downloadWorstStallMs <= GOAL_STALL_MS && underWrites.writesFailed === 0;
    log(`goal (≤ ${GOAL_RATIO}× raw, no stall over ${GOAL_STALL_MS} ms, no failed write): ${met ? 'met' : 'NOT met'}`);
    const results = join(ROOT, 'bench', 'results');
    mkdirSync(results, { recursive: true });
    const file = join(results, `backup-${new Date().toISOString().replace(/[:.]/g, '-')}.json`);
    writeFileSync(file, JSON.stringify({ benchmark: 'backup', date: new Date().toISOString(), sizeMb: SIZE_MB, rounds: rows, summary, underWrites, goalMet: met }, null, 2) + '\n');
    log(`results: ${file}`);
    return { summary, underWrites, goalMet: met };
  } finally {
    await server.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

if (import.meta.main) {
  const { values: opts } = parseArgs({ options: { rounds: { type: 'string' }, 'size-mb': { type: 'string' } } });
  ROUNDS = Number(opts.rounds ?? ROUNDS);
  SIZE_MB = Number(opts['size-mb'] ?? SIZE_MB);
  await main();
}
