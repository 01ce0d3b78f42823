// Subscription fan-out on its own (it is also part of `npm run bench`):
//
//   npm run bench:subscriptions                       2,000 clients, 3 rounds (A B A B A B)
//   npm run bench:subscriptions -- --quick            500 clients, 1 round
//   npm run bench:subscriptions -- --clients 10000 --rounds 3
//   npm run bench:subscriptions -- --only gatehouse   one side (for profiling)
//
// Prints each round, the medians and their ratios; full results in bench/results/subscriptions-<time>.json.
import { parseArgs } from 'node:util';
import { measureSubscriptions } from './scenarios/subscriptions.ts';
import { fmt, machineDescription, writeResults } from './lib/report.ts';

const { values: opts } = parseArgs({
  options: {
    clients: { type: 'string' },
    rounds: { type: 'string' },
    quick: { type: 'boolean', default: false },
    only: { type: 'string' },
    help: { type: 'boolean', short: 'h', default: false },
  },
});
if (opts.help) {
  process.stdout.write('Usage: npm run bench:subscriptions -- [--quick] [--clients N] [--rounds R] [--only gatehouse|baseline]\n');
  process.exit(0);
}
const clients = Number(opts.clients ?? (opts.quick ? 500 : 2000));
const rounds = Number(opts.rounds ?? (opts.quick ? 1 : 3));
if (!Number.isInteger(clients) || clients < 1 || clients > 50_000) throw new Error('--clients must be 1…50000');
if (!Number.isInteger(rounds) || rounds < 1 || rounds > 20) throw new Error('--rounds must be 1…20');
if (opts.only && opts.only !== 'gatehouse' && opts.only !== 'baseline') throw new Error('--only must be gatehouse or baseline');

try {
  process.stdout.write(`Subscription fan-out: ${clients} graphql-ws clients, ${rounds} round(s), ${machineDescription()}\n`);
  const run = await measureSubscriptions(clients, rounds, (line) => process.stdout.write(`${line}\n`), opts.only as 'gatehouse' | 'baseline' | undefined);
  process.stdout.write(`\nmedian of ${rounds} round(s)          gatehouse   baseline   ratio\n`);
  for (const metric of Object.keys(run.medians.gatehouse ?? run.medians.baseline ?? {})) {
    const g = run.medians.gatehouse?.[metric] ?? NaN;
    const b = run.medians.baseline?.[metric] ?? NaN;
    process.stdout.write(`  ${metric.padEnd(24)} ${fmt(g).padStart(9)} ${fmt(b).padStart(10)} ${Number.isFinite(g / b) ? (g / b).toFixed(2).padStart(7) : '      -'}\n`);
  }
  process.stdout.write(`\nResults: ${writeResults('subscriptions', { clients, rounds: run.rounds, medians: run.medians })}\n`);
} catch (error) {
  process.stderr.write(`bench:subscriptions failed: ${(error as Error).stack ?? error}\n`);
  process.exitCode = 1;
}
