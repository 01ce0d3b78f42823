// Runs a command-line action as the operator: the same services and database as the server,
// a scope with no viewer and actor `cli` (full authority; audited as the command line).
import type { Config } from './config/index.ts';
import type { RequestScope } from './context.ts';
import { closeServices, createLogger, openServices } from './services.ts';
import { accessLoader } from './accounts/roles.ts';
import type { CliIO } from './cli/io.ts';

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
