// `gatehouse user import`: accounts from another system, with their password hashes as they are
// (replaced by argon2id at each account's first sign-in). A first pass reads the whole file and
// reports every problem by line, writing nothing; only a clean file is written, by a second pass,
// in one transaction or (for files too large for one) in batches that each commit on their own.
import { randomUUID } from 'node:crypto';
import { basename } from 'node:path';
import { UniqueConstraintViolationException } from '@mikro-orm/core';
import type { EntityManager } from '@mikro-orm/sql';
import type { RequestScope } from '../context.ts';
import { User } from '../accounts/entities.ts';
import { Role } from '../access/entities.ts';
import { USER_ROLE } from '../access/declarations.ts';
import { recordAudit } from '../audit/service.ts';
import { readUserFile, UserFileError, type FileDigest, type UserFileFormat } from './user-file.ts';
import { checkRecord, type ImportRow } from './user-import-rows.ts';

export const USER_IMPORT_AUDIT_ACTION = 'user.import';
/** The two tables written below MikroORM's entities (Kysely, typed here). */
interface ImportTables {
  users: { email_key: string };
  user_roles: { user_id: string; role_id: string };
}

/** Problems listed before the report stops naming them (it still counts them all). */
export const MAX_LISTED_PROBLEMS = 100;
export const MAX_BATCH_SIZE = 100_000;
/** Rows per INSERT statement: well under SQLite's 32,766 and PostgreSQL's 65,535 parameters. */
const ROWS_PER_STATEMENT = 500;
/** Emails looked up at once when checking which already have an account. */
const LOOKUP_CHUNK = 1_000;

export interface ImportOptions {
  path: string;
  format: UserFileFormat;
  /** false: a dry run, which reads and checks everything and writes nothing. */
  apply: boolean;
  /** Rows per transaction; null: the whole file in one transaction. */
  batchSize: number | null;
  /** Rows whose email already has an account are skipped instead of refused (and so an interrupted batched import resumes). */
  skipExisting: boolean;
  onBatch?: (progress: BatchProgress) => void;
}

export interface BatchProgress {
  batch: number;
  firstLine: number;
  lastLine: number;
  created: number;
  skipped: number;
}

export interface ImportReport {
  applied: boolean;
  rows: number;
  created: number;
  skipped: number;
  batches: number;
}

export interface LineProblem {
  line: number;
  message: string;
}

/** The file cannot be imported as it is: nothing was written (or, in batches, nothing after `committed`). */
export class UserImportError extends Error {
  readonly problems: LineProblem[];
  readonly problemCount: number;
  readonly summary: string;
  constructor(problems: LineProblem[], problemCount: number, summary: string) {
    const listed = problems.map((p) => `line ${p.line}: ${p.message}`);
    if (problemCount > problems.length) listed.push(`… and ${problemCount - problems.length} more problems.`);
    super([...listed, summary].join('\n'));
    this.problems = problems;
    this.problemCount = problemCount;
    this.summary = summary;
  }

  /** The same problems, with what became of the import said after them. */
  withOutcome(outcome: string): UserImportError {
    return new UserImportError(this.problems, this.problemCount, `${this.summary} ${outcome}`);
  }
}

export async function importUsers(scope: RequestScope, options: ImportOptions): Promise<ImportReport> {
  const now = scope.services.clock.now();
  const plan = await checkFile(scope.em, options, now);
  if (plan.problems.count > 0) {
    throw new UserImportError(plan.problems.listed, plan.problems.count, `${plan.problems.count} problem${plan.problems.count === 1 ? '' : 's'} in ${plan.rows} rows; nothing was imported.`);
  }
  const report: ImportReport = { applied: false, rows: plan.rows, created: plan.rows - plan.existing, skipped: plan.existing, batches: 0 };
  if (!options.apply) return report;
  return writeFile(scope, options, plan, now);
}

interface FilePlan {
  rows: number;
  /** Rows whose email has an account already (skipped with skipExisting, else each a problem). */
  existing: number;
  roleIds: Map<string, string>;
  digest: string | null;
  problems: ProblemList;
}

class ProblemList {
  listed: LineProblem[] = [];
  count = 0;
  add(line: number, message: string): void {
    this.count++;
    if (this.listed.length < MAX_LISTED_PROBLEMS) this.listed.push({ line, message });
  }
  sorted(): this {
    this.listed.sort((a, b) => a.line - b.line);
    return this;
  }
}

/** The first pass: every row checked, duplicates and existing accounts found, roles looked up. */
async function checkFile(em: EntityManager, options: ImportOptions, now: Date): Promise<FilePlan> {
  const problems = new ProblemList();
  const firstLineOf = new Map<string, number>();
  const roleFirstUse = new Map<string, number>();
  const pending: Array<{ key: string; line: number }> = [];
  let rows = 0;
  let existing = 0;
  const flushLookups = async () => {
    for (const { key, line } of await existingAmong(em, pending.splice(0))) {
      existing++;
      if (!options.skipExisting) problems.add(line, 'email: an account with this email already exists (use --skip-existing to skip such rows).');
    }
  };
  const digest: FileDigest = { sha256: null };
  try {
    for await (const record of readUserFile(options.path, options.format, digest)) {
      rows++;
      const checked = checkRecord(record, now);
      if (checked.problems) {
        for (const message of checked.problems) problems.add(checked.line, message);
        continue;
      }
      const { row } = checked;
      const earlier = firstLineOf.get(row.emailKey);
      if (earlier !== undefined) {
        problems.add(row.line, `email: ${row.email} is already on line ${earlier} (emails are unique, whatever their case).`);
        continue;
      }
      firstLineOf.set(row.emailKey, row.line);
      for (const role of row.roles) if (!roleFirstUse.has(role)) roleFirstUse.set(role, row.line);
      pending.push({ key: row.emailKey, line: row.line });
      if (pending.length >= LOOKUP_CHUNK) await flushLookups();
    }
    await flushLookups();
  } catch (error) {
    if (!(error instanceof UserFileError)) throw error;
    problems.add(error.line, `${error.message} Nothing after this point was read.`);
  }
  const roleIds = await roleIdsByName(em, [USER_ROLE, ...roleFirstUse.keys()]);
  for (const [role, line] of roleFirstUse) {
    if (!roleIds.has(role)) problems.add(line, `roles: unknown role "${role}" (first used on this line; create it with \`gatehouse role add\` or remove it).`);
  }
  return { rows, existing, roleIds, digest: digest.sha256, problems: problems.sorted() };
}

/** The rows of `candidates` whose email key already has an account. */
async function existingAmong(em: EntityManager, candidates: Array<{ key: string; line: number }>): Promise<Array<{ key: string; line: number }>> {
  if (!candidates.length) return [];
  const found = await em.getKysely<ImportTables>().selectFrom('users').select('email_key').where('email_key', 'in', candidates.map((c) => c.key)).execute();
  const keys = new Set(found.map((row) => row.email_key));
  return candidates.filter((c) => keys.has(c.key));
}

async function roleIdsByName(em: EntityManager, names: string[]): Promise<Map<string, string>> {
  const roles = await em.fork().find(Role, { name: { $in: names } }, { fields: ['id', 'name'] });
  return new Map(roles.map((role) => [role.name, role.id]));
}

/** The second pass: reads the file again (checking each row again) and inserts it. */
async function writeFile(scope: RequestScope, options: ImportOptions, plan: FilePlan, now: Date): Promise<ImportReport> {
  const report: ImportReport = { applied: true, rows: plan.rows, created: 0, skipped: 0, batches: 0 };
  const audit = (em: EntityManager, completed: boolean) =>
    recordAudit(
      { ...scope, em },
      {
        action: USER_IMPORT_AUDIT_ACTION,
        details: { file: basename(options.path), format: options.format, rows: report.rows, created: report.created, skipped: report.skipped, batches: report.batches, batchSize: options.batchSize, completed },
      },
    );
  const digest: FileDigest = { sha256: null };
  const rows = rereadRows(options, digest, now);
  const fileUnchanged = () => {
    if (digest.sha256 !== plan.digest) throw new UserImportError([], 0, 'The file changed between the check and the import.');
  };

  if (options.batchSize === null) {
    await scope.em
      .transactional(async (tx) => {
        for await (const chunk of chunksOf(rows, ROWS_PER_STATEMENT)) await insertRows(tx, chunk, plan.roleIds, options.skipExisting, report, now);
        fileUnchanged();
        report.batches = 1;
        await audit(tx, true);
      })
      .catch((error: unknown) => {
        throw error instanceof UserImportError ? error.withOutcome('Nothing was imported (one transaction, rolled back).') : error;
      });
    return report;
  }

  try {
    for await (const batch of chunksOf(rows, options.batchSize)) {
      const before = { created: report.created, skipped: report.skipped };
      await scope.em.transactional(async (tx) => {
        for (let i = 0; i < batch.length; i += ROWS_PER_STATEMENT) {
          await insertRows(tx, batch.slice(i, i + ROWS_PER_STATEMENT), plan.roleIds, options.skipExisting, report, now);
        }
      }).catch((error: unknown) => {
        Object.assign(report, before);
        throw error;
      });
      report.batches++;
      options.onBatch?.({ batch: report.batches, firstLine: batch[0]!.line, lastLine: batch.at(-1)!.line, created: report.created, skipped: report.skipped });
    }
    fileUnchanged();
  } catch (error) {
    // The committed batches stay; the audit log and the message say how far it got.
    await audit(scope.em.fork(), false);
    const outcome = `${report.created} accounts from ${report.batches} earlier batches stay committed; fix the file and run the same command with --skip-existing to go on.`;
    throw error instanceof UserImportError ? error.withOutcome(outcome) : error;
  }
  await audit(scope.em.fork(), true);
  return report;
}

async function* rereadRows(options: ImportOptions, digest: FileDigest, now: Date): AsyncGenerator<ImportRow> {
  for await (const record of readUserFile(options.path, options.format, digest)) {
    const checked = checkRecord(record, now);
    if (checked.problems) throw new UserImportError([{ line: checked.line, message: checked.problems.join(' ') }], 1, 'The file changed after it was checked.');
    yield checked.row;
  }
}

async function* chunksOf<T>(items: AsyncIterable<T>, size: number): AsyncGenerator<T[]> {
  let chunk: T[] = [];
  for await (const item of items) {
    chunk.push(item);
    if (chunk.length >= size) {
      yield chunk;
      chunk = [];
    }
  }
  if (chunk.length) yield chunk;
}

/** Inserts the rows (skipping those whose email has an account, when allowed) with their roles. */
async function insertRows(tx: EntityManager, rows: ImportRow[], roleIds: Map<string, string>, skipExisting: boolean, report: ImportReport, now: Date): Promise<void> {
  // Without skipping, the check pass found none; one made since is the unique index's to refuse (below).
  const existing = skipExisting ? await existingAmong(tx, rows.map((row) => ({ key: row.emailKey, line: row.line }))) : [];
  const skip = new Set(existing.map((row) => row.key));
  const fresh = rows.filter((row) => !skip.has(row.emailKey));
  report.skipped += rows.length - fresh.length;
  if (!fresh.length) return;
  const users = fresh.map((row) => ({ ...row, id: randomUUID() }));
  try {
    await tx.insertMany(
      User,
      users.map((row) => ({
        id: row.id,
        email: row.email,
        emailKey: row.emailKey,
        passwordHash: row.passwordHash,
        emailConfirmedAt: row.emailConfirmedAt,
        displayName: row.profile.displayName ?? null,
        firstName: row.profile.firstName ?? null,
        lastName: row.profile.lastName ?? null,
        phone: row.profile.phone ?? null,
        bio: row.profile.bio ?? null,
        avatarUrl: row.profile.avatarUrl ?? null,
        disabled: row.disabled,
        createdAt: row.createdAt,
        updatedAt: now,
      })),
    );
  } catch (error) {
    // Another process took one of the emails between the lookup above and this insert.
    if (error instanceof UniqueConstraintViolationException) {
      throw new UserImportError([{ line: fresh[0]!.line, message: `email: an account with one of the emails on lines ${fresh[0]!.line}–${fresh.at(-1)!.line} was created meanwhile.` }], 1, 'The import stopped.');
    }
    throw error;
  }
  const links = users.flatMap((row) => [USER_ROLE, ...row.roles].map((role) => ({ user_id: row.id, role_id: roleIds.get(role)! })));
  for (let i = 0; i < links.length; i += ROWS_PER_STATEMENT * 4) {
    await tx.getKysely<ImportTables>().insertInto('user_roles').values(links.slice(i, i + ROWS_PER_STATEMENT * 4)).execute();
  }
  report.created += fresh.length;
}
