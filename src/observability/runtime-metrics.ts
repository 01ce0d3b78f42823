// Metrics read at scrape time from the running server: Node's own (prom-client's default metrics:
// event-loop lag, heap, GC, CPU, open handles), the database, and the live connections watched for
// revocation. Registered by the server only when /metrics is on, so a server without METRICS_TOKEN
// runs no event-loop monitor.
import { statSync } from 'node:fs';
import { collectDefaultMetrics } from 'prom-client';
import type { Orm } from '../db/orm.ts';
import { dialectOfOrm } from '../db/orm.ts';
import type { GatehouseMetrics } from './metrics.ts';

/** The part of a pg Pool read here (pg-pool's counters). */
interface PoolCounts {
  totalCount: number;
  idleCount: number;
  waitingCount: number;
}

export interface RuntimeSources {
  /** The ORM in use now (a restored SQLite database is a new one). */
  orm(): Orm;
  /** The SQLite file (its -wal beside it); null on PostgreSQL. */
  sqliteFile: string | null;
  poolSize: number;
  /** Connections (sockets, SSE streams) of signed-in viewers, ended when their credentials are. */
  liveConnections(): number;
}

export function registerRuntimeMetrics(metrics: GatehouseMetrics, sources: RuntimeSources): void {
  collectDefaultMetrics({ register: metrics.registry });
  metrics.gauge({
    name: 'gatehouse_live_connections',
    help: 'WebSocket connections and SSE streams of signed-in viewers, watched so a revoked credential ends them.',
    collect() {
      this.set(sources.liveConnections());
    },
  });
  if (sources.sqliteFile) registerSqliteMetrics(metrics, sources.sqliteFile);
  else registerPoolMetrics(metrics, sources);
}

/** SQLite has one connection and no pool: what an operator watches is the file and its write-ahead log. */
function registerSqliteMetrics(metrics: GatehouseMetrics, file: string): void {
  const size = (path: string) => {
    try {
      return statSync(path).size;
    } catch {
      // No -wal file between checkpoints on some platforms, or a restore swapping the file: 0.
      return 0;
    }
  };
  metrics.gauge({
    name: 'gatehouse_sqlite_file_bytes',
    help: 'Size of the SQLite database file and of its write-ahead log (a WAL that keeps growing means checkpoints cannot finish).',
    labelNames: ['file'] as const,
    collect() {
      this.set({ file: 'database' }, size(file));
      this.set({ file: 'wal' }, size(`${file}-wal`));
    },
  });
}

/** PostgreSQL: the pg pool's connections in use and idle, and the queries waiting for one. */
function registerPoolMetrics(metrics: GatehouseMetrics, sources: RuntimeSources): void {
  const poolOf = async (): Promise<PoolCounts | null> => {
    const orm = sources.orm();
    if (dialectOfOrm(orm) !== 'postgresql') return null;
    return (await orm.em.getConnection().getNativeClient()) as PoolCounts;
  };
  metrics.gauge({
    name: 'gatehouse_db_pool_connections',
    help: 'PostgreSQL connections of this instance by state: in_use, idle, and max (DATABASE_POOL_SIZE).',
    labelNames: ['state'] as const,
    async collect() {
      const pool = await poolOf();
      if (!pool) return;
      this.set({ state: 'in_use' }, pool.totalCount - pool.idleCount);
      this.set({ state: 'idle' }, pool.idleCount);
      this.set({ state: 'max' }, sources.poolSize);
    },
  });
  metrics.gauge({
    name: 'gatehouse_db_pool_waiting_queries',
    help: 'Queries waiting for a free PostgreSQL connection of this instance (above 0 for long: DATABASE_POOL_SIZE is too small).',
    async collect() {
      const pool = await poolOf();
      if (pool) this.set(pool.waitingCount);
    },
  });
}
