// Helpers for the first-run setup tests: reading what the server logged, and a user's roles by email.
import { Writable } from 'node:stream';
import { pino, type Logger } from 'pino';
import type { TestServer } from '../helpers/server.ts';
import { User } from '../../src/accounts/entities.ts';

export type LogLine = { level: number; msg: string } & Record<string, unknown>;

export const WARN = 40;

/** A pino logger writing JSON lines to memory; pass it as `startTestServer(env, { logger })`. */
export function captureLogs(): { logger: Logger; lines: LogLine[] } {
  const lines: LogLine[] = [];
  const stream = new Writable({
    write(chunk, _encoding, done) {
      for (const line of String(chunk).split('\n')) if (line) lines.push(JSON.parse(line));
      done();
    },
  });
  return { logger: pino({ level: 'info' }, stream), lines };
}

export async function rolesOfEmail(server: TestServer, email: string): Promise<string[]> {
  const user = await server.gatehouse.services.orm.em.fork().findOneOrFail(User, { email }, { populate: ['roles'] });
  return user.roles.getItems().map((r) => r.name).sort();
}
