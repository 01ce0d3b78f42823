// Which database the benchmarked Gatehouse runs on. `sqlite` (the default): a fresh file per
// server. `postgres`: a throw-away PostgreSQL and Redis on loopback, started the way the tests start
// them (scripts/test-backends.sh: installed from Debian packages when missing, durability off), in a
// directory and on ports of their own, and stopped when the run ends; each server gets a fresh
// database and Redis key prefix.
import { execFileSync } from 'node:child_process';
import { chmodSync } from 'node:fs';
import { join } from 'node:path';
import { ensureDatabase } from '../../src/db/postgresql-admin.ts';
import { freePort, onCleanup, ROOT, tempDir } from './processes.ts';

export type BackendName = 'sqlite' | 'postgres';
export const BACKEND_NAMES: readonly BackendName[] = ['sqlite', 'postgres'];

export interface BenchBackend {
  name: BackendName;
  /** The environment of a Gatehouse (or baseline server) on a fresh database called `name`; {} on SQLite (a file is made). */
  serverEnv(name: string): Promise<Record<string, string>>;
  stop(): void;
}

const SCRIPT = join(ROOT, 'scripts', 'test-backends.sh');

export async function startBackend(name: BackendName): Promise<BenchBackend> {
  if (name === 'sqlite') return { name, serverEnv: async () => ({}), stop: () => undefined };
  const dir = tempDir('backends');
  // The script hands its data directory (inside this one) to the postgres user.
  chmodSync(dir, 0o755);
  const env = { ...process.env, GATEHOUSE_BACKENDS_DIR: join(dir, 'data'), PG_PORT: String(await freePort()), REDIS_PORT: String(await freePort()) };
  let stopped = false;
  const stop = () => {
    if (stopped) return;
    stopped = true;
    execFileSync(SCRIPT, ['stop'], { env, stdio: 'ignore' });
  };
  // Registered first, so a run interrupted while PostgreSQL starts still stops it.
  onCleanup(stop);
  // Its progress goes to stderr (shown when it fails); stdout is the environment to use.
  const exports = execFileSync(SCRIPT, ['start'], { env, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  const value = (variable: string) => {
    const match = new RegExp(`^export ${variable}=(.+)$`, 'm').exec(exports);
    if (!match) throw new Error(`scripts/test-backends.sh start printed no ${variable}:\n${exports}`);
    return match[1]!;
  };
  const adminUrl = value('TEST_DATABASE_URL');
  const redisUrl = value('TEST_REDIS_URL');
  return {
    name,
    serverEnv: async (database) => ({
      DATABASE_URL: await ensureDatabase(adminUrl, `bench_${database}`),
      REDIS_URL: redisUrl,
      REDIS_KEY_PREFIX: `bench_${database}:`,
    }),
    stop,
  };
}
