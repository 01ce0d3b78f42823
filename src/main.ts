// The `gatehouse` command: serve | schema (more commands come with their domains).
import { loadConfig, ConfigError } from './config.ts';

const [major = 0, minor = 0] = process.versions.node.split('.').map(Number);
if (major < 22 || (major === 22 && minor < 18)) {
  console.error(`Gatehouse needs Node.js 22.18 or newer (it runs TypeScript natively); this is ${process.version}.`);
  console.error('Run it through npm (`npm start`), which uses the Node 24 installed with the project.');
  process.exit(1);
}

const SHUTDOWN_TIMEOUT_MS = 10_000;

const USAGE = `Usage: gatehouse <command>

Commands:
  serve            start the server (default)
  schema           print the GraphQL schema (SDL)
`;

async function main(argv: string[]): Promise<number> {
  const command = argv[0] ?? 'serve';
  if (command === 'help' || command === '--help' || command === '-h') {
    process.stdout.write(USAGE);
    return 0;
  }
  if (command === 'schema') {
    const { printSchemaSdl } = await import('./schema/print.ts');
    process.stdout.write(printSchemaSdl());
    return 0;
  }
  if (command === 'serve') return serve();
  process.stderr.write(`Unknown command "${command}".\n\n${USAGE}`);
  return 2;
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
  const url = await gatehouse.listen();
  gatehouse.services.logger.info({ url }, `Gatehouse listening on ${url}`);
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
  if (error instanceof ConfigError) {
    console.error(error.message);
    process.exit(1);
  }
  throw error;
}
