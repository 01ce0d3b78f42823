// Runs a command-line action as the operator: the same services and database as the server,
// a scope with no viewer and actor `cli` (full authority; audited as the command line).
import { parseArgs, type ParseArgsConfig } from 'node:util';
import type { Config } from '../config.ts';
import type { RequestScope } from '../context.ts';
import { closeServices, createLogger, openServices } from '../services.ts';
import { accessLoader } from '../access/viewer-access.ts';
import { UsageError, type CliIO } from './io.ts';

export interface CliCommand {
  config: Config;
  io: CliIO;
  args: string[];
}

export async function asOperator<T>(config: Config, io: CliIO, action: (scope: RequestScope) => Promise<T>): Promise<T> {
  // Operators read results on stdout; the log (JSON) goes to stderr and only says what went wrong.
  const level = process.env.LOG_LEVEL ? config.logLevel : 'warn';
  const logger = createLogger({ ...config, logLevel: level }, io.stderr);
  const services = await openServices(config, { logger });
  const em = services.orm.em.fork();
  const scope: RequestScope = {
    services,
    em,
    viewer: null,
    credential: null,
    actorType: 'cli',
    ip: '',
    userAgent: 'gatehouse-cli',
    requestId: 'cli',
    loadAccess: accessLoader(em),
  };
  try {
    return await action(scope);
  } finally {
    await closeServices(services);
  }
}

/** node:util parseArgs, with its errors turned into usage errors (exit code 2). */
export function parseCommandArgs<O extends NonNullable<ParseArgsConfig['options']>>(args: string[], options: O, positionals: number) {
  let parsed;
  try {
    parsed = parseArgs({ args, options, allowPositionals: true, strict: true });
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
  if (parsed.positionals.length !== positionals) {
    throw new UsageError(`Expected ${positionals} argument${positionals === 1 ? '' : 's'}, got ${parsed.positionals.length}.`);
  }
  return parsed;
}
