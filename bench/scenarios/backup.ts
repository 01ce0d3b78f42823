// The backup scenario of `npm run bench`: bench/backup.ts (createBackup of a ≈ 200 MB database
// against better-sqlite3's db.backup() of the same file, with the server's event-loop stalls).
import { measureBackup } from '../backup.ts';
import type { ResultRow, RunOptions } from '../lib/report.ts';

const STALL_LIMIT_MS = 150;

export async function backupScenario(options: RunOptions): Promise<ResultRow[]> {
  const { summary, underWrites } = await measureBackup({
    rounds: options.quick ? 1 : Math.max(3, options.rounds),
    sizeMb: options.quick ? 50 : 200,
    log: (line) => options.log(`  ${line}`),
  });
  const stall = Math.max(summary['backupWorstStallMs']!, summary['downloadWorstStallMs']!);
  return [
    {
      scenario: `backup of a ${options.quick ? 50 : 200} MB database (writes during it: ${underWrites.writesDuring} ok, ${underWrites.writesFailed} failed)`,
      metric: 'ms',
      gatehouse: summary['backupMs']!,
      baseline: summary['rawMs']!,
      baselineLabel: 'better-sqlite3 `db.backup()`',
      goal: { kind: 'max', ratio: 1.2 },
      extraCheck: { label: `worst stall ${Math.round(stall)} ms ≤ ${STALL_LIMIT_MS} ms, no failed write`, met: stall <= STALL_LIMIT_MS && underWrites.writesFailed === 0 },
    },
  ];
}
