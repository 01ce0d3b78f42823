// Shared by the database administration tests: GraphQL documents, uploads as GraphQL multipart
// requests, checksums of every table (to prove a refused file changed nothing), and files made
// bad in each way a restore must notice.
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { closeSync, copyFileSync, openSync, statSync, truncateSync, writeSync } from 'node:fs';
import Database from 'better-sqlite3';
import { User } from '../../src/accounts/entities.ts';
import { AuditEvent } from '../../src/audit/entities.ts';
import { MikroORM } from '@mikro-orm/sqlite';
import { ormOptions } from '../../src/db/orm.ts';
import { entities } from '../../src/entities.ts';
import type { GqlResponse, RequestOptions, TestServer } from '../helpers/server.ts';

export const BACKUP_FIELDS = 'name sizeBytes createdAt label kind';
const ERRORS = '... on Error { code message } ... on ValidationError { fields { field messages } }';

export const BACKUPS = `{ backups { ${BACKUP_FIELDS} } }`;
export const CREATE_BACKUP = `mutation($label: String) { createBackup(input: { label: $label }) { __typename ... on Backup { ${BACKUP_FIELDS} } ${ERRORS} } }`;
export const DELETE_BACKUP = `mutation($name: String!) { deleteBackup(input: { name: $name }) { __typename ... on DeletedBackup { name } ${ERRORS} } }`;
const REPLACED = `... on DatabaseReplaced { source migrationsApplied replacedAt safetyBackup { ${BACKUP_FIELDS} } }`;
export const RESTORE_BACKUP = `mutation($name: String!) { restoreBackup(input: { name: $name }) { __typename ${REPLACED} ${ERRORS} } }`;
export const UPLOAD_DATABASE = `mutation($file: File!) { uploadDatabase(input: { file: $file }) { __typename ${REPLACED} ${ERRORS} } }`;
export const DOWNLOAD_LINK = `mutation { createDatabaseDownloadLink { __typename ... on DatabaseDownloadLink { url expiresAt } ... on Error { code message } } }`;

/** The data of a response that must have no errors. */
export function dataOf(res: GqlResponse): any {
  assert.equal(res.body.errors, undefined, JSON.stringify(res.body));
  return res.body.data;
}

export async function createBackup(server: TestServer, token: string, label?: string): Promise<any> {
  const result = dataOf(await server.gql(CREATE_BACKUP, { label }, { token })).createBackup;
  assert.equal(result.__typename, 'Backup', JSON.stringify(result));
  return result;
}

export interface UploadResponse {
  status: number;
  body: any;
}

/** `uploadDatabase` as a GraphQL multipart request (operations, map, one file part). */
export async function uploadDatabase(
  server: TestServer,
  file: Blob | Buffer,
  options: RequestOptions & { filename?: string } = {},
): Promise<UploadResponse> {
  const form = new FormData();
  form.set('operations', JSON.stringify({ query: UPLOAD_DATABASE, variables: { file: null } }));
  form.set('map', JSON.stringify({ 0: ['variables.file'] }));
  form.set('0', file instanceof Blob ? file : new Blob([new Uint8Array(file)]), options.filename ?? 'upload.db');
  const headers: Record<string, string> = { accept: 'application/graphql-response+json', ...options.headers };
  if (options.token) headers.authorization = `Bearer ${options.token}`;
  if (options.cookie) headers.cookie = options.cookie;
  const res = await fetch(server.url, { method: 'POST', headers, body: form });
  return { status: res.status, body: await res.json() };
}

/** How to order a table's rows for a checksum: by rowid, or by the primary key of a table without one (login_challenges). */
const ORDER = "case when sql like '%without rowid' then '1' else 'rowid' end";

/**
 * A checksum per table of the live database, read through the server's own connection (a second
 * connection would itself keep a restore from taking the file).
 */
export async function tableChecksums(server: TestServer, skip: string[] = []): Promise<Record<string, string>> {
  const connection = server.gatehouse.services.orm.em.getConnection();
  const tables = await connection.execute<Array<{ name: string }>>(
    `select name, ${ORDER} as "order" from sqlite_schema where type = 'table' and name not like 'sqlite_%' order by name`,
  );
  const sums: Record<string, string> = {};
  for (const { name, order } of tables as Array<{ name: string; order: string }>) {
    if (skip.includes(name)) continue;
    const rows = await connection.execute(`select * from "${name}" order by ${order}`);
    sums[name] = createHash('sha256').update(JSON.stringify(rows)).digest('hex');
  }
  return sums;
}

/** The same checksums of a closed database file. */
export function fileChecksums(path: string, skip: string[] = []): Record<string, string> {
  const db = new Database(path, { readonly: true });
  try {
    const tables = db
      .prepare(`select name, ${ORDER} as "order" from sqlite_schema where type = 'table' and name not like 'sqlite_%' order by name`)
      .all() as Array<{ name: string; order: string }>;
    const sums: Record<string, string> = {};
    for (const { name, order } of tables) {
      if (skip.includes(name)) continue;
      const rows = db.prepare(`select * from "${name}" order by ${order}`).all();
      sums[name] = createHash('sha256').update(JSON.stringify(rows)).digest('hex');
    }
    return sums;
  } finally {
    db.close();
  }
}

export function integrityOf(path: string): string {
  const db = new Database(path, { readonly: true });
  try {
    return db.pragma('integrity_check', { simple: true }) as string;
  } finally {
    db.close();
  }
}

export async function userEmails(server: TestServer): Promise<string[]> {
  return (await server.gatehouse.services.orm.em.fork().find(User, {}, { orderBy: { email: 'asc' } })).map((u) => u.email);
}

export async function auditActions(server: TestServer, prefix = 'database.'): Promise<AuditEvent[]> {
  const events = await server.gatehouse.services.orm.em.fork().find(AuditEvent, {}, { orderBy: { id: 'asc' } });
  return events.filter((e) => e.action.startsWith(prefix));
}

// ---------------------------------------------------------------------------------------------
// Bad files, each made from a copy of a good one

/** Cut to half its size. */
export function truncatedCopy(source: string, dest: string): string {
  copyFileSync(source, dest);
  truncateSync(dest, Math.floor(statSync(dest).size / 2));
  return dest;
}

/** The root page of the `users` table overwritten with garbage. */
export function corruptedCopy(source: string, dest: string): string {
  copyFileSync(source, dest);
  const db = new Database(dest, { readonly: true });
  const pageSize = db.pragma('page_size', { simple: true }) as number;
  const { rootpage } = db.prepare("select rootpage from sqlite_schema where name = 'users'").get() as { rootpage: number };
  db.close();
  const fd = openSync(dest, 'r+');
  writeSync(fd, Buffer.alloc(pageSize, 0x5a), 0, pageSize, (rootpage - 1) * pageSize);
  closeSync(fd);
  return dest;
}

/** A well-formed SQLite file of some other application. */
export function otherAppDatabase(dest: string): string {
  const db = new Database(dest);
  db.exec("create table notes (id integer primary key, body text); insert into notes (body) values ('hello'), ('world');");
  db.close();
  return dest;
}

/** A Gatehouse database from a newer version: one migration this version does not know. */
export function newerSchemaCopy(source: string, dest: string): string {
  copyFileSync(source, dest);
  const db = new Database(dest);
  db.exec("create table future_things (id integer primary key); insert into mikro_orm_migrations (name, executed_at) values ('Migration29991231000000_future', datetime('now'));");
  db.close();
  return dest;
}

/** A new, empty Gatehouse database at an older migration level (migrated up to `lastMigration`). */
export async function olderSchemaDatabase(dest: string, lastMigration: string): Promise<string> {
  const orm = await MikroORM.init(ormOptions(dest, entities));
  try {
    await orm.migrator.up({ to: lastMigration });
  } finally {
    await orm.close();
  }
  return dest;
}
