// Shared by the user import and export tests: user files written in a temporary folder, the real
// `gatehouse` command run on a test server's database, and what that database holds.
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { stringify } from 'csv-stringify/sync';
import { User } from '../../src/accounts/entities.ts';
import { AuditEvent } from '../../src/audit/entities.ts';
import { runGatehouse, type CliRun } from '../helpers/cli.ts';
import type { TestServer } from '../helpers/server.ts';

export interface PasswordVector {
  source: string;
  password: string;
  hash: string;
}

export const PASSWORD_VECTORS: PasswordVector[] = JSON.parse(readFileSync(join(import.meta.dirname, '..', 'fixtures', 'password-vectors.json'), 'utf8'));

/** A bcrypt hash of "correct horse battery staple" (cost 10), for rows whose hash is not the point. */
export const SOME_HASH = PASSWORD_VECTORS.find((v) => v.source === 'bcrypt $2b$')!.hash;

export function writeCsv(dir: string, name: string, header: string[], rows: Array<Array<string | number | boolean | null>>): string {
  const path = join(dir, name);
  writeFileSync(path, stringify([header, ...rows]));
  return path;
}

export function writeJsonLines(dir: string, name: string, rows: Array<Record<string, unknown>>): string {
  const path = join(dir, name);
  writeFileSync(path, rows.map((row) => JSON.stringify(row)).join('\n') + '\n');
  return path;
}

export function writeText(dir: string, name: string, text: string | Buffer): string {
  const path = join(dir, name);
  writeFileSync(path, text);
  return path;
}

/** The command line and the database of one test server. */
export class TransferHarness {
  readonly server: TestServer;
  readonly dir: string;
  readonly database: string;

  constructor(server: TestServer, dir: string, database: string) {
    this.server = server;
    this.dir = dir;
    this.database = database;
  }

  gatehouse(args: string[], stdin = ''): Promise<CliRun> {
    return runGatehouse(args, { cwd: this.dir, databasePath: this.database, stdin });
  }

  em() {
    return this.server.gatehouse.services.orm.em.fork();
  }

  /** Rows in the tables an import writes (users, their role links, audit events). */
  async counts(): Promise<{ users: number; roleLinks: number; audit: number }> {
    const em = this.em();
    const [links] = await em.execute<Array<{ n: number | string }>>('select count(*) as n from user_roles');
    return { users: await em.count(User, {}), roleLinks: Number(links!.n), audit: await em.count(AuditEvent, {}) };
  }

  async user(email: string): Promise<User> {
    return this.em().findOneOrFail(User, { emailKey: email.toLowerCase() }, { populate: ['roles', 'passwordHash'] });
  }

  /** Runs an import that must be refused: exit 1, each pattern in its output, and the database as it was. */
  async expectRefused(args: string[], patterns: RegExp[]): Promise<CliRun> {
    const before = await this.counts();
    const run = await this.gatehouse(['user', 'import', ...args]);
    assert.equal(run.code, 1, `expected a refusal:\n${run.stdout}${run.stderr}`);
    for (const pattern of patterns) assert.match(run.stderr, pattern);
    assert.deepEqual(await this.counts(), before, 'a refused import changes nothing');
    return run;
  }
}

export const roleNames = (user: User) => user.roles.getItems().map((role) => role.name).sort();
