// The `gatehouse` command: serve, schema, and the operator commands each domain adds (user, admin, role, maintenance, db, webhook, organization).
import { flushCompileCache } from 'node:module';
import { loadConfig, ConfigError } from './config/index.ts';
import { AccessError, DomainError, ValidationFailedError } from './errors.ts';
import { CliFailure, processIO, UsageError } from './cli/io.ts';
import type { CliCommand } from './cli/command.ts';
import { asOperator } from './operator.ts';
import { entities } from './entities.ts';
import { adminCommand, USER_USAGE, userCommand } from './admin/cli.ts';
import { ROLE_USAGE, roleCommand } from './access/cli.ts';
import { MAINTENANCE_USAGE, maintenanceCommand } from './maintenance/cli.ts';
import { DB_USAGE, dbCommand } from './database/cli.ts';
import { WEBHOOK_USAGE, webhookCommand } from './webhooks/cli.ts';
import { ORGANIZATION_USAGE, organizationCommand } from './organizations/cli.ts';
import { passwordEstimator } from './validation/password.ts';
import { collectStartupGarbage } from './util/heap.ts';

// bin/gatehouse.js checks the Node version before this file (TypeScript) can even be loaded.

const SHUTDOWN_TIMEOUT_MS = 10_000;

const USAGE = `Usage: gatehouse <command>

Commands:
  serve                                             start the server (default)
  schema print                                      print the GraphQL schema (SDL)
${USER_USAGE}
${ROLE_USAGE}
${MAINTENANCE_USAGE}
${DB_USAGE}
${WEBHOOK_USAGE}
${ORGANIZATION_USAGE}

Configuration comes from the environment (and .env), as for the server: DATABASE_URL selects the database.
Exit codes: 0 done, 1 failed, 2 wrong usage.
`;

async function main(argv: string[]): Promise<number> {
  const [command = 'serve', ...args] = argv;
  if (command === 'help' || command === '--help' || command === '-h') {
    processIO.stdout.write(USAGE);
    return 0;
  }
  if (command === 'schema') {
    if (args.length > 1 || (args[0] !== undefined && args[0] !== 'print')) throw new UsageError('Use: gatehouse schema print');
    const { printSchemaSdl } = await import('./schema.ts');
    processIO.stdout.write(printSchemaSdl());
    return 0;
  }
  if (command === 'serve') return serve();
  const run = COMMANDS[command];
  if (!run) throw new UsageError(`Unknown command "${command}".`);
  const config = loadConfig();
  return run({ config, io: processIO, args, entities, asOperator: (action) => asOperator(config, processIO, action) });
}

const COMMANDS: Record<string, (command: CliCommand) => Promise<number>> = {
  user: userCommand,
  admin: adminCommand,
  role: roleCommand,
  maintenance: maintenanceCommand,
  db: dbCommand,
  webhook: webhookCommand,
  organization: organizationCommand,
};

/** Prints an expected failure the way an operator wants to read it; returns the exit code. */
function reportFailure(error: unknown): number | null {
  const err = processIO.stderr;
  if (error instanceof UsageError) {
    err.write(`${error.message}\n\n${USAGE}`);
    return 2;
  }
  if (error instanceof ConfigError || error instanceof CliFailure) {
    err.write(`${error.message}\n`);
    return 1;
  }
  if (error instanceof ValidationFailedError) {
    err.write(`${error.fields.map((f) => `${f.field}: ${f.messages.join(' ')}`).join('\n')}\n`);
    return 1;
  }
  if (error instanceof DomainError || error instanceof AccessError) {
    err.write(`${error.message}\n`);
    return 1;
  }
  return null;
}

function loadEnvFile(): void {
  try {
    process.loadEnvFile('.env');
  } catch (error) {
    // No .env file is the normal case; anything else (unreadable, malformed) must be reported.
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
  }
}

async function serve(): Promise<number> {
  const { createGatehouse } = await import('./server.ts');
  const config = loadConfig();
  const gatehouse = await createGatehouse(config);
  // Ready before listening: no password check waits for the dictionaries, and startup's garbage is
  // released now rather than after about 100 s of idling (src/util/heap.ts).
  passwordEstimator();
  collectStartupGarbage();
  const url = await gatehouse.listen();
  // bin/gatehouse.js enabled the compile cache; written now, the next start reuses it even if this
  // process is killed.
  flushCompileCache();
  gatehouse.services.logger.info({ url }, `Gatehouse listening on ${url}`);
  if (gatehouse.consolePath) {
    const consoleUrl = new URL(gatehouse.consolePath, url).href;
    gatehouse.services.logger.info({ consoleUrl }, `Admin console: ${consoleUrl}`);
  }
  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    const { logger } = gatehouse.services;
    logger.info({ signal }, 'shutting down');
    // A supervisor waits for the exit; a close that hangs (a stuck query) must not keep it waiting.
    setTimeout(() => {
      logger.error({ signal }, `shutdown took over ${SHUTDOWN_TIMEOUT_MS} ms; exiting anyway`);
      process.exit(1);
    }, SHUTDOWN_TIMEOUT_MS).unref();
    try {
      await gatehouse.close();
    } catch (error) {
      logger.error({ err: error }, 'shutdown failed');
      process.exit(1);
    }
    process.exit(0);
  };
  process.on('SIGINT', () => void stop('SIGINT'));
  process.on('SIGTERM', () => void stop('SIGTERM'));
  return new Promise<number>(() => undefined);
}

try {
  loadEnvFile();
  process.exitCode = await main(process.argv.slice(2));
} catch (error) {
  const code = reportFailure(error);
  if (code === null) throw error;
  process.exitCode = code;
}
