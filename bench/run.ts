// `npm run bench`: every benchmark scenario against its baseline measured in the same run, one table.
//
//   npm run bench                                  the default set (≈ 10 minutes on 2 cores)
//   npm run bench -- --quick                       a one-minute smoke run (1 short round each)
//   npm run bench -- --only requests,login         some scenarios (see --help for names)
//   npm run bench -- --rounds 5 --duration 20      more and longer rounds
//   npm run bench -- --only requests --viewer-only --rounds 16
//                                                  only the session `viewer` against bare yoga,
//                                                  the measure of the `viewer` goal
//   npm run bench -- --only metrics --rounds 6     the cost of the metrics plugin on `viewer`
//   npm run bench -- --backend postgres            the request and login scenarios on a throw-away
//                                                  PostgreSQL + Redis (scripts/test-backends.sh)
//
// Servers run as child processes on loopback; the HTTP load of every run comes from a load-driver
// process of its own (bench/lib/load.ts), whose CPU share is printed per run. Timings are printed
// and written to bench/results/bench-<time>.json, never asserted.
import { parseArgs } from 'node:util';
import { formatTable, goalMet, machineDescription, writeResults, type ResultRow, type RunOptions } from './lib/report.ts';
import { requestScenarios } from './scenarios/requests.ts';
import { loginScenarios } from './scenarios/login.ts';
import { usersScenario } from './scenarios/users.ts';
import { subscriptionScenario } from './scenarios/subscriptions.ts';
import { backupScenario } from './scenarios/backup.ts';
import { BACKEND_NAMES, startBackend, type BackendName } from './lib/backends.ts';
import { idleScenario } from './scenarios/idle.ts';
import { mfaScenario } from './scenarios/mfa.ts';
import { consoleScenario } from './scenarios/console.ts';
import { importScenario } from './scenarios/import.ts';
import { metricsScenario } from './scenarios/metrics.ts';
import { webhooksScenario } from './scenarios/webhooks.ts';
import { organizationsScenario } from './scenarios/organizations.ts';

interface Scenario {
  description: string;
  run(options: RunOptions): Promise<ResultRow[]>;
  /** Backends it runs on besides SQLite (the SQLite file operations and the 1M-user file are SQLite's). */
  postgres?: true;
}

const SCENARIOS: Record<string, Scenario> = {
  requests: {
    description: 'viewer (session, access token) and anonymous maintenance vs bare yoga (on PostgreSQL: viewer vs yoga + pg lookup)',
    run: requestScenarios,
    postgres: true,
  },
  login: { description: 'login throughput vs raw argon2; viewer p99 while logins run', run: loginScenarios, postgres: true },
  metrics: { description: 'viewer with METRICS_TOKEN set (and /metrics scraped every second) vs the same server without', run: metricsScenario, postgres: true },
  'subscriptions-2k': { description: 'maintenance toggle to 2,000 graphql-ws subscribers; RSS per subscriber', run: subscriptionScenario(2_000, true) },
  'subscriptions-10k': { description: 'maintenance toggle to 10,000 graphql-ws subscribers', run: subscriptionScenario(10_000, false) },
  backup: { description: 'createBackup of a 200 MB database vs better-sqlite3 db.backup(); event-loop stalls', run: backupScenario },
  users: { description: 'users page deep in 1M users vs the first page', run: usersScenario },
  mfa: { description: 'login + verifySecondFactor(totp) vs plain login, 4 concurrent', run: mfaScenario, postgres: true },
  idle: { description: 'idle RSS after one request vs bare yoga; validatePassword first answer (logged)', run: idleScenario },
  webhooks: { description: 'register and login throughput with one webhook endpoint (every event) vs without webhooks', run: webhooksScenario, postgres: true },
  console: { description: 'admin console budgets in Chromium: JS gzipped, first render, users page at 1M users', run: consoleScenario },
  organizations: {
    description: 'viewer with activeOrganization and role vs plain viewer; organization members page deep in 100k members vs the first page',
    run: organizationsScenario,
  },
  import: { description: 'user import --apply of 1M bcrypt-hashed users vs raw better-sqlite3 inserts of the same file', run: importScenario },
};

const { values: opts } = parseArgs({
  options: {
    only: { type: 'string' },
    rounds: { type: 'string' },
    duration: { type: 'string' },
    backend: { type: 'string', default: 'sqlite' },
    quick: { type: 'boolean', default: false },
    'viewer-only': { type: 'boolean', default: false },
    help: { type: 'boolean', short: 'h', default: false },
  },
});

function usage(): string {
  const names = Object.entries(SCENARIOS).map(([name, s]) => `  ${name.padEnd(18)} ${s.description}${s.postgres ? '' : ' (SQLite only)'}`);
  return `Usage: npm run bench -- [--quick] [--only name,name] [--rounds N] [--duration SECONDS] [--backend sqlite|postgres] [--viewer-only]\n\nScenarios:\n${names.join('\n')}\n`;
}

function positive(value: string | undefined, fallback: number, name: string): number {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (!Number.isFinite(n) || n <= 0) throw new Error(`--${name} must be a positive number`);
  return n;
}

async function main(): Promise<number> {
  if (opts.help) {
    process.stdout.write(usage());
    return 0;
  }
  const backendName = opts.backend as BackendName;
  if (!BACKEND_NAMES.includes(backendName)) {
    process.stderr.write(`--backend must be one of ${BACKEND_NAMES.join(', ')}\n\n${usage()}`);
    return 2;
  }
  const runsOnBackend = (name: string) => backendName === 'sqlite' || SCENARIOS[name]!.postgres === true;
  const names = opts.only ? opts.only.split(',').map((n) => n.trim()) : Object.keys(SCENARIOS).filter(runsOnBackend);
  const unknown = names.filter((n) => !SCENARIOS[n]);
  if (unknown.length) {
    process.stderr.write(`Unknown scenario(s): ${unknown.join(', ')}\n\n${usage()}`);
    return 2;
  }
  const sqliteOnly = names.filter((n) => !runsOnBackend(n));
  if (sqliteOnly.length) {
    process.stderr.write(`Scenario(s) ${sqliteOnly.join(', ')} run on SQLite only\n\n${usage()}`);
    return 2;
  }
  const backend = await startBackend(backendName);
  const options: RunOptions = {
    backend,
    quick: opts.quick!,
    viewerOnly: opts['viewer-only']!,
    rounds: Math.round(positive(opts.rounds, opts.quick ? 1 : 3, 'rounds')),
    durationSeconds: positive(opts.duration, opts.quick ? 3 : 10, 'duration'),
    warmupSeconds: opts.quick ? 1 : 3,
    log: (line) => process.stdout.write(`${line}\n`),
  };
  process.stdout.write(`Gatehouse benchmarks on ${backendName === 'postgres' ? 'PostgreSQL' : 'SQLite'}, ${machineDescription()}: ${options.rounds} round(s) of ${options.durationSeconds} s\n`);
  const started = performance.now();
  const rows: ResultRow[] = [];
  for (const name of names) {
    const t = performance.now();
    process.stdout.write(`\n${name}: ${SCENARIOS[name]!.description}\n`);
    rows.push(...(await SCENARIOS[name]!.run(options)));
    process.stdout.write(`  (${((performance.now() - t) / 1000).toFixed(0)} s)\n`);
  }
  const minutes = (performance.now() - started) / 60_000;
  process.stdout.write(`\n${formatTable(rows)}\n\n${rows.filter(goalMet).length}/${rows.length} goals met in ${minutes.toFixed(1)} min.\n`);
  backend.stop();
  const file = writeResults(backendName === 'sqlite' ? 'bench' : `bench-${backendName}`, {
    options: { ...options, backend: backendName, log: undefined, scenarios: names },
    minutes,
    rows,
  });
  process.stdout.write(`Results: ${file}\n`);
  return 0;
}

try {
  process.exitCode = await main();
} catch (error) {
  process.stderr.write(`bench failed: ${(error as Error).stack ?? error}\n`);
  process.exitCode = 1;
}
