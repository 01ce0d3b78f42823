// `gatehouse user import` and `user export`: the command-line side of user-import.ts and
// user-export.ts (arguments, files, what the operator reads); the rules are in those services.
import { createWriteStream } from 'node:fs';
import { rm } from 'node:fs/promises';
import { basename } from 'node:path';
import { finished } from 'node:stream/promises';
import { CliFailure, UsageError } from '../cli/io.ts';
import { parseCommandArgs, type CliCommand } from '../cli/command.ts';
import { formatOfPath, USER_FILE_FORMATS, type UserFileFormat } from './user-file.ts';
import { importUsers, MAX_BATCH_SIZE, UserImportError } from './user-import.ts';
import { exportUsers } from './user-export.ts';

function formatOption(value: string | undefined, path: string | null): UserFileFormat {
  if (value !== undefined) {
    if (!(USER_FILE_FORMATS as readonly string[]).includes(value)) throw new UsageError(`--format must be one of ${USER_FILE_FORMATS.join(', ')}.`);
    return value as UserFileFormat;
  }
  const inferred = path === null ? 'csv' : formatOfPath(path);
  if (!inferred) throw new UsageError(`Cannot tell the format of ${path} from its name (.csv, .jsonl or .ndjson): give --format csv or --format jsonl.`);
  return inferred;
}

function batchSizeOption(value: string | undefined): number | null {
  if (value === undefined) return null;
  const size = Number(value);
  if (!/^\d+$/.test(value) || size < 1 || size > MAX_BATCH_SIZE) throw new UsageError(`--batch-size must be a whole number from 1 to ${MAX_BATCH_SIZE.toLocaleString('en')}.`);
  return size;
}

export async function importCommand({ io, args, asOperator }: CliCommand): Promise<number> {
  const { values, positionals } = parseCommandArgs(
    args,
    { format: { type: 'string' }, apply: { type: 'boolean' }, 'batch-size': { type: 'string' }, 'skip-existing': { type: 'boolean' } },
    1,
  );
  const path = positionals[0]!;
  const options = {
    path,
    format: formatOption(values.format, path),
    apply: values.apply ?? false,
    batchSize: batchSizeOption(values['batch-size']),
    skipExisting: values['skip-existing'] ?? false,
    onBatch: (p: { batch: number; firstLine: number; lastLine: number; created: number; skipped: number }) =>
      io.stdout.write(`Batch ${p.batch} committed: lines ${p.firstLine}–${p.lastLine} (${p.created} created, ${p.skipped} skipped so far).\n`),
  };
  let report;
  try {
    report = await asOperator((scope) => importUsers(scope, options));
  } catch (error) {
    if (error instanceof UserImportError) throw new CliFailure(error.message);
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') throw new CliFailure(`No file ${path}.`);
    throw error;
  }
  const name = basename(path);
  const skipped = report.skipped ? `, ${report.skipped} skipped (their email already has an account)` : '';
  if (!report.applied) {
    io.stdout.write(`Checked ${report.rows} rows of ${name}: ${report.created} accounts to create${skipped}.\nDry run: nothing was written. Run again with --apply to import.\n`);
  } else {
    const how = options.batchSize === null ? 'in one transaction' : `in ${report.batches} batch${report.batches === 1 ? '' : 'es'}`;
    io.stdout.write(`Imported ${report.created} accounts from ${name}${skipped}, ${how}. Each keeps its password until its first sign-in, which replaces the hash with argon2id.\n`);
  }
  return 0;
}

export async function exportCommand({ io, args, asOperator }: CliCommand): Promise<number> {
  const { values, positionals } = parseCommandArgs(args, { format: { type: 'string' }, 'with-password-hashes': { type: 'boolean' } }, [0, 1]);
  const path = positionals[0] === undefined || positionals[0] === '-' ? null : positionals[0];
  const format = formatOption(values.format, path);
  const withPasswordHashes = values['with-password-hashes'] ?? false;
  if (path === null) {
    await asOperator((scope) => exportUsers(scope, { format, withPasswordHashes, output: io.stdout, destination: 'stdout' }));
    return 0;
  }
  // A new file only (never over another), readable by its owner alone: it may hold password hashes.
  const file = createWriteStream(path, { flags: 'wx', mode: 0o600 });
  const opened = new Promise<void>((resolve, reject) => file.once('open', () => resolve()).once('error', reject));
  try {
    await opened;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EEXIST') throw new CliFailure(`${path} already exists; export writes a new file (remove it or choose another name).`);
    throw new CliFailure(`Cannot create ${path}: ${(error as Error).message}`);
  }
  try {
    const { count } = await asOperator((scope) => exportUsers(scope, { format, withPasswordHashes, output: file, destination: basename(path) }));
    file.end();
    await finished(file);
    io.stdout.write(`Exported ${count} accounts to ${path}${withPasswordHashes ? ', with their password hashes (keep the file secret)' : ', without password hashes'}.\n`);
    return 0;
  } catch (error) {
    // Half a file is worse than none: a later import would take it for every account.
    file.destroy();
    await rm(path, { force: true });
    throw error;
  }
}
