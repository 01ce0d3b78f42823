// `gatehouse db …`: backups for operators, through the same services as the API. `db restore`
// refuses while a server runs on the database (its pid file is live) unless --force.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { CliFailure, printTable, UsageError, type CliIO } from '../cli/io.ts';
import { parseCommandArgs, type CliCommand } from '../cli/command.ts';
import type { EntityList } from '../db/orm.ts';
import { DomainError } from '../errors.ts';
import type { Backup } from './catalog.ts';
import { discardCandidate, prepareCandidate } from './candidate.ts';
import { sqliteFile } from './files.ts';
import { runningServers } from './lock.ts';
import { createBackup, listBackups, restoreBackup } from './service.ts';
import { DatabaseWorker } from './worker-client.ts';

export const DB_USAGE = `  db backup [--label <text>]                        back up the database into BACKUP_DIR (online, consistent)
  db list [--json]                                  backups, newest first
  db restore <name> [--force]                       replace the database with a backup (a safety backup is taken
                                                    first); refused while a server runs on it unless --force
  db check <file>                                   would this file be accepted by a restore? (changes nothing)`;

export async function dbCommand({ config, io, args, asOperator, entities }: CliCommand): Promise<number> {
  const [sub, ...rest] = args;
  switch (sub) {
    case 'backup': {
      const { values } = parseCommandArgs(rest, { label: { type: 'string' } }, 0);
      const backup = await asOperator((scope) => createBackup(scope, { label: values.label ?? null }));
      io.stdout.write(`Backed up to ${join(config.backup.dir, backup.name)} (${formatSize(backup.sizeBytes)}).\n`);
      return 0;
    }
    case 'list': {
      const { values } = parseCommandArgs(rest, { json: { type: 'boolean' } }, 0);
      const backups = await asOperator((scope) => listBackups(scope));
      if (values.json) io.stdout.write(JSON.stringify(backups, null, 2) + '\n');
      else if (backups.length === 0) io.stdout.write(`No backups in ${config.backup.dir}.\n`);
      else printTable(io, backups.map(row));
      return 0;
    }
    case 'restore': {
      const { values, positionals } = parseCommandArgs(rest, { force: { type: 'boolean' } }, 1);
      const servers = runningServers(sqliteFile(config));
      if (servers.length && !values.force) {
        throw new CliFailure(
          `A Gatehouse server (pid ${servers.join(', ')}) is running on this database. Restore through it (the restoreBackup ` +
            'mutation) or stop it first. --force replaces the file anyway: that server must then be restarted at once, and ' +
            'what it writes meanwhile is lost.',
        );
      }
      const result = await asOperator((scope) => restoreBackup(scope, positionals[0]!, { force: values.force ?? false }));
      io.stdout.write(`Restored ${result.source}.\nSafety backup of the database as it was: ${result.safetyBackup.name}\n`);
      if (result.migrationsApplied.length) io.stdout.write(`Migrations applied: ${result.migrationsApplied.join(', ')}\n`);
      if (servers.length) io.stdout.write(`Restart the server (pid ${servers.join(', ')}) now.\n`);
      return 0;
    }
    case 'check': {
      const { positionals } = parseCommandArgs(rest, {}, 1);
      return checkFile(io, resolve(positionals[0]!), entities);
    }
    default:
      throw new UsageError(sub ? `Unknown db command "${sub}".` : 'Missing db command.');
  }
}

/** Runs a restore's checks on a copy in a temporary folder; exit 0 when it would be accepted. */
async function checkFile(io: CliIO, file: string, entities: EntityList): Promise<number> {
  const dir = mkdtempSync(join(tmpdir(), 'gatehouse-check-'));
  const worker = new DatabaseWorker();
  try {
    const candidate = await prepareCandidate(worker, join(dir, 'check.db'), { path: file, move: false }, entities);
    await discardCandidate(candidate.path);
    io.stdout.write(`OK: ${file} is a Gatehouse database that passes its integrity check (${formatSize(candidate.sizeBytes)}).\n`);
    io.stdout.write(
      candidate.migrationsApplied.length
        ? `A restore would apply ${candidate.migrationsApplied.length} migration(s): ${candidate.migrationsApplied.join(', ')}\n`
        : 'Its schema is current.\n',
    );
    return 0;
  } catch (error) {
    if (error instanceof DomainError) {
      io.stderr.write(`Refused (${error.code}): ${error.message}\n`);
      return 1;
    }
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') throw new CliFailure(`No such file: ${file}`);
    throw error;
  } finally {
    await worker.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

function row(backup: Backup): Record<string, string> {
  return {
    name: backup.name,
    created: backup.createdAt.toISOString(),
    size: formatSize(backup.sizeBytes),
    kind: backup.kind,
    label: backup.label ?? '',
  };
}

function formatSize(bytes: number): string {
  if (bytes < 1024 * 1024) return `${Math.ceil(bytes / 1024)} KB`;
  return `${(bytes / (1024 * 1024)).toFixed(1)} MB`;
}
