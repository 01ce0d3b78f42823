// `gatehouse user export`: every account as a user file (user-file.ts) that `user import` reads back.
// Password hashes are written only when asked for; every export is audited, with whether they were.
import { once } from 'node:events';
import type { Writable } from 'node:stream';
import { finished } from 'node:stream/promises';
import { stringify } from 'csv-stringify';
import type { EntityManager } from '@mikro-orm/sql';
import type { RequestScope } from '../context.ts';
import { User } from '../accounts/entities.ts';
import { USER_ROLE } from '../access/declarations.ts';
import { recordAudit } from '../audit/service.ts';
import { USER_FILE_COLUMNS, type UserFileColumn, type UserFileFormat } from './user-file.ts';

export const USER_EXPORT_AUDIT_ACTION = 'user.export';
const PAGE_SIZE = 1_000;

/** Export writes the confirmation time, not the `email_confirmed` flag import also accepts. */
const EXPORT_COLUMNS = USER_FILE_COLUMNS.filter((column) => column !== 'email_confirmed');

export interface ExportOptions {
  format: UserFileFormat;
  withPasswordHashes: boolean;
  output: Writable;
  /** Where it went, for the audit log (a file name or "stdout"). */
  destination: string;
}

export async function exportUsers(scope: RequestScope, options: ExportOptions): Promise<{ count: number }> {
  const columns = EXPORT_COLUMNS.filter((column) => options.withPasswordHashes || column !== 'password_hash');
  const sink = options.format === 'csv' ? csvSink(options.output, columns) : jsonLinesSink(options.output, columns);
  let count = 0;
  let completed = false;
  try {
    for await (const user of allUsers(scope.em, options.withPasswordHashes)) {
      await sink.write(exportRecord(user));
      count++;
    }
    await sink.end();
    completed = true;
  } finally {
    await recordAudit(scope, {
      action: USER_EXPORT_AUDIT_ACTION,
      details: { format: options.format, count, withPasswordHashes: options.withPasswordHashes, destination: options.destination, completed },
    });
  }
  return { count };
}

/** Oldest first, a page at a time in a fresh fork each (a million users are never all in memory). */
async function* allUsers(em: EntityManager, withPasswordHashes: boolean): AsyncGenerator<User> {
  let after: { createdAt: Date; id: string } | null = null;
  for (;;) {
    const where = after ? { $or: [{ createdAt: { $gt: after.createdAt } }, { createdAt: after.createdAt, id: { $gt: after.id } }] } : {};
    const page: User[] = await em.fork().find(User, where, {
      orderBy: { createdAt: 'asc', id: 'asc' },
      limit: PAGE_SIZE,
      populate: withPasswordHashes ? ['roles', 'passwordHash'] : ['roles'],
    });
    yield* page;
    if (page.length < PAGE_SIZE) return;
    after = page.at(-1)!;
  }
}

type ExportRecord = Partial<Record<UserFileColumn, string | boolean | string[] | null>>;

function exportRecord(user: User): ExportRecord {
  return {
    email: user.email,
    password_hash: user.passwordHash ?? null,
    roles: user.roles.getItems().map((role) => role.name).filter((name) => name !== USER_ROLE).sort(),
    email_confirmed_at: user.emailConfirmedAt?.toISOString() ?? null,
    created_at: user.createdAt.toISOString(),
    disabled: user.disabled,
    display_name: user.displayName,
    first_name: user.firstName,
    last_name: user.lastName,
    phone: user.phone,
    bio: user.bio,
    avatar_url: user.avatarUrl,
  };
}

interface Sink {
  write(record: ExportRecord): Promise<void>;
  end(): Promise<void>;
}

/** Writes to `output`, waiting when it is full. */
async function writeTo(output: Writable, chunk: string): Promise<void> {
  if (!output.write(chunk)) await once(output, 'drain');
}

function jsonLinesSink(output: Writable, columns: UserFileColumn[]): Sink {
  return {
    write: (record) => writeTo(output, `${JSON.stringify(Object.fromEntries(columns.map((column) => [column, record[column] ?? null])))}\n`),
    end: async () => undefined,
  };
}

function csvSink(output: Writable, columns: UserFileColumn[]): Sink {
  // escape_formulas: a cell starting with = + - @ tab or CR gets a leading ' so a spreadsheet opening
  // the file shows it as text instead of running it (CSV injection); import takes the ' off again.
  const csv = stringify({ header: true, columns: [...columns], escape_formulas: true, cast: { boolean: (value) => String(value) } });
  csv.pipe(output, { end: false });
  return {
    write: async (record) => {
      const roles = record.roles as string[];
      if (!csv.write({ ...record, roles: roles.join(' ') })) await once(csv, 'drain');
    },
    end: async () => {
      csv.end();
      await finished(csv);
    },
  };
}
