// Database administration (SQLite): online backups, the list and deletion of backups, restoring a
// backup or an uploaded file, and single-use download links. The rules (who may, what is refused,
// what is audited) live here; GraphQL, the download route and the command line call these.
import { rename, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { isOperator, viewerAccess, type RequestScope, type Services } from '../context.ts';
import { DomainError, forbidden, notFound, unauthenticated } from '../errors.ts';
import { PERMISSIONS } from '../access/declarations.ts';
import { recordAudit, type AuditScope } from '../audit/service.ts';
import { checkBackupName, checkLabel, newBackupName, type Backup, type BackupKind } from './catalog.ts';
import { discardCandidate, prepareCandidate } from './candidate.ts';
import { TooLargeError } from './errors.ts';
import { entitiesOf } from '../db/orm.ts';
import { fsyncDir, sideFiles, sqliteFile, tempFile } from './files.ts';
import { swapDatabaseFile } from './swap.ts';

export const DATABASE_AUDIT_ACTIONS = {
  backup: 'database.backup',
  deleteBackup: 'database.delete_backup',
  restore: 'database.restore',
  upload: 'database.upload',
  refused: 'database.replace_refused',
  downloadLink: 'database.download_link',
  download: 'database.download',
} as const;

export const DOWNLOAD_PATH = '/admin/database/download';

/** How long a replacement waits for requests already running before it swaps anyway. */
const DRAIN_MS = 5_000;

export interface DatabaseReplaced {
  /** What the database was replaced with: a backup name, or the uploaded file's name. */
  source: string;
  /** A backup of the database as it was just before. */
  safetyBackup: Backup;
  /** Migrations the new database lacked and received. */
  migrationsApplied: string[];
  replacedAt: Date;
}

export interface UploadedDatabase {
  /** A temporary file the caller owns (it is moved away when the upload is accepted). */
  path: string;
  /** The name the client gave the file (informational). */
  filename: string;
}

async function assertMay(scope: RequestScope, permission: string): Promise<void> {
  if (isOperator(scope)) return;
  if (!scope.viewer) throw unauthenticated();
  if (!(await viewerAccess(scope)).can(permission)) throw forbidden(`This needs the permission \`${permission}\`.`);
}

/** Who asked, as backup metadata records it. */
function requester(scope: Pick<RequestScope, 'viewer' | 'actorType'>): string {
  return scope.viewer?.email ?? scope.actorType ?? 'unknown';
}

// ---------------------------------------------------------------------------------------------
// Operations (permission-checked, audited)

export async function listBackups(scope: RequestScope): Promise<Backup[]> {
  await assertMay(scope, PERMISSIONS.databaseRead);
  sqliteFile(scope.services.config);
  return scope.services.database.catalog.list();
}

export async function createBackup(scope: RequestScope, input: { label?: string | null }): Promise<Backup> {
  await assertMay(scope, PERMISSIONS.databaseWrite);
  const label = checkLabel(input.label);
  const backup = await backupNow(scope.services, { kind: 'manual', label, createdBy: requester(scope) });
  await recordAudit(freshScope(scope), { action: DATABASE_AUDIT_ACTIONS.backup, targetType: 'backup', targetId: backup.name, details: { kind: 'manual', label } });
  return backup;
}

export async function deleteBackup(scope: RequestScope, name: string): Promise<Backup> {
  await assertMay(scope, PERMISSIONS.databaseWrite);
  sqliteFile(scope.services.config);
  const { catalog } = scope.services.database;
  const backup = await catalog.find(checkBackupName(name));
  if (!backup) throw notFound('Backup');
  await scope.services.database.exclusive(() => catalog.delete(name));
  await recordAudit(freshScope(scope), { action: DATABASE_AUDIT_ACTIONS.deleteBackup, targetType: 'backup', targetId: name, details: { kind: backup.kind } });
  return backup;
}

export async function restoreBackup(scope: RequestScope, name: string, options: { force?: boolean } = {}): Promise<DatabaseReplaced> {
  await assertMay(scope, PERMISSIONS.databaseWrite);
  sqliteFile(scope.services.config);
  const { catalog } = scope.services.database;
  const backup = await catalog.find(checkBackupName(name));
  if (!backup) throw notFound('Backup');
  return audited(scope, DATABASE_AUDIT_ACTIONS.restore, name, () =>
    replaceDatabase(scope.services, { path: catalog.pathOf(name), move: false, name }, requester(scope), options.force ?? false),
  );
}

export async function uploadDatabase(scope: RequestScope, file: UploadedDatabase): Promise<DatabaseReplaced> {
  await assertMay(scope, PERMISSIONS.databaseWrite);
  // The client's file name is only informational (audit, safety backup label): printable, short.
  const name = file.filename.replace(/[\u0000-\u001f\u007f]/g, '').slice(0, 200) || 'upload';
  return audited(scope, DATABASE_AUDIT_ACTIONS.upload, name, async () => {
    const limit = scope.services.config.backup.maxUploadBytes;
    if ((await stat(file.path)).size > limit) throw new TooLargeError(limit);
    return replaceDatabase(scope.services, { path: file.path, move: true, name }, requester(scope), false);
  });
}

/**
 * Runs a replacement and audits it: success in the new database (so the restored data tells who
 * restored it), a refused file in the unchanged one.
 */
async function audited(scope: RequestScope, action: string, source: string, replace: () => Promise<DatabaseReplaced>): Promise<DatabaseReplaced> {
  let result: DatabaseReplaced;
  try {
    result = await replace();
  } catch (error) {
    if (error instanceof DomainError) {
      await recordAudit(freshScope(scope), {
        action: DATABASE_AUDIT_ACTIONS.refused,
        targetType: 'database',
        targetId: source,
        details: { operation: action, code: error.code, reason: error.message.slice(0, 300) },
      });
    }
    throw error;
  }
  await recordAudit(freshScope(scope), {
    action,
    targetType: 'database',
    targetId: source,
    details: { safetyBackup: result.safetyBackup.name, migrationsApplied: result.migrationsApplied },
  });
  return result;
}

/**
 * The scope with an EntityManager of the database as it is now: after waiting for the queue (or
 * a replacement of its own) the request's EntityManager may belong to a database replaced since.
 */
export function freshScope(scope: RequestScope): AuditScope {
  return { ...scope, em: scope.services.orm.em.fork() };
}

export async function createDownloadLink(scope: RequestScope): Promise<{ url: string; expiresAt: Date }> {
  await assertMay(scope, PERMISSIONS.databaseRead);
  sqliteFile(scope.services.config);
  const { services } = scope;
  const { token, expiresAt } = services.database.downloads.create(services.clock.now(), {
    userId: scope.viewer?.id ?? null,
    email: scope.viewer?.email ?? null,
  });
  await recordAudit(scope, { action: DATABASE_AUDIT_ACTIONS.downloadLink, targetType: 'database', details: { expiresAt: expiresAt.toISOString() } });
  return { url: `${services.config.publicUrl}${DOWNLOAD_PATH}?token=${encodeURIComponent(token)}`, expiresAt };
}

// ---------------------------------------------------------------------------------------------
// The work itself, for callers that checked who asks (the operations above, the scheduler, the CLI)

/** A consistent online backup into the backups folder. */
export function backupNow(services: Services, entry: { kind: BackupKind; label: string | null; createdBy: string }): Promise<Backup> {
  const live = sqliteFile(services.config);
  return services.database.exclusive(() => writeBackup(services, live, entry));
}

async function writeBackup(services: Services, live: string, entry: { kind: BackupKind; label: string | null; createdBy: string }): Promise<Backup> {
  const { catalog, worker } = services.database;
  catalog.ensureDir();
  const createdAt = services.clock.now();
  const name = newBackupName(createdAt);
  const temp = tempFile(catalog.dir, name, 'backup');
  try {
    await worker.backup(live, temp);
    await rename(temp, join(catalog.dir, name));
  } catch (error) {
    for (const file of [temp, ...sideFiles(temp)]) await rm(file, { force: true });
    throw error;
  }
  fsyncDir(catalog.dir);
  const { size } = await stat(join(catalog.dir, name));
  return catalog.record({ name, createdAt, label: entry.label, kind: entry.kind, sizeBytes: size, createdBy: entry.createdBy });
}

/**
 * A fresh consistent snapshot of the live database in a temporary file, for a download. The caller
 * streams it and deletes it.
 */
export function takeSnapshot(services: Services): Promise<{ path: string; sizeBytes: number }> {
  const live = sqliteFile(services.config);
  const { catalog, worker } = services.database;
  return services.database.exclusive(async () => {
    catalog.ensureDir();
    const path = tempFile(catalog.dir, 'gatehouse', 'snapshot');
    try {
      await worker.backup(live, path);
      return { path, sizeBytes: (await stat(path)).size };
    } catch (error) {
      for (const file of [path, ...sideFiles(path)]) await rm(file, { force: true });
      throw error;
    }
  });
}

/**
 * Replaces the live database with `source` (see candidate.ts for the checks, swap.ts for the
 * crash-safe swap): validate, back up the current database, hold new requests and let running
 * ones finish, swap, publish the restored maintenance state, end live connections whose
 * credentials the restored data lacks. A refused file leaves everything as it was.
 */
export async function replaceDatabase(
  services: Services,
  source: { path: string; move: boolean; name: string },
  createdBy: string,
  force: boolean,
): Promise<DatabaseReplaced> {
  const live = sqliteFile(services.config);
  const { database, logger } = services;
  const result = await database.exclusive(async () => {
    const candidate = await prepareCandidate(database.worker, live, source, entitiesOf(services.orm));
    try {
      const safetyBackup = await writeBackup(services, live, { kind: 'safety', label: `Before replacing the database with ${source.name}`, createdBy });
      await database.gate.exclusive(DRAIN_MS, async (stragglers) => {
        if (stragglers) logger.warn({ stragglers }, 'replacing the database while requests are still running (they will fail)');
        await swapDatabaseFile(services, live, candidate.path, force);
        // Before the held requests go through: they must see the restored maintenance state.
        await services.maintenance.reload(services.orm.em.fork());
      });
      logger.info({ source: source.name, safetyBackup: safetyBackup.name }, 'database replaced');
      return { source: source.name, safetyBackup, migrationsApplied: candidate.migrationsApplied, replacedAt: services.clock.now() };
    } finally {
      await discardCandidate(candidate.path);
    }
  });
  await database.replaced((error) => logger.error({ err: error }, 'after replacing the database: a follow-up failed'));
  await database
    .exclusive(() => database.catalog.applyRetention(services.config.backup.keep))
    .catch((error: unknown) => logger.error({ err: error }, 'backup retention failed'));
  return result;
}
