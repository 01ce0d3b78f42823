// Terminal input and output for the command line: usage errors, secrets read without echo (or
// from piped stdin, so scripts never put a password in an argument that lands in shell history).
import { createInterface } from 'node:readline';
import type { Readable, Writable } from 'node:stream';

/** Wrong arguments: exit code 2 and the usage text. */
export class UsageError extends Error {}

/** An operation that failed for a reason the operator should read: exit code 1. */
export class CliFailure extends Error {}

export interface CliIO {
  stdin: Readable & { isTTY?: boolean; setRawMode?: (mode: boolean) => unknown };
  stdout: Writable;
  stderr: Writable;
}

export const processIO: CliIO = { stdin: process.stdin, stdout: process.stdout, stderr: process.stderr };

let pipedLines: AsyncIterator<string> | undefined;

/**
 * Reads a secret: from a terminal, prompting without echoing what is typed; from a pipe, the next
 * line of stdin (e.g. `printf '%s\n' "$PASSWORD" | gatehouse user add ada@example.com`).
 */
export async function readSecret(io: CliIO, prompt: string): Promise<string> {
  if (!io.stdin.isTTY) {
    pipedLines ??= createInterface({ input: io.stdin, crlfDelay: Infinity })[Symbol.asyncIterator]();
    const next = await pipedLines.next();
    if (next.done) throw new CliFailure(`${prompt.replace(/:\s*$/, '')}: expected a line on standard input.`);
    return next.value;
  }
  return promptHidden(io, prompt);
}

function promptHidden(io: CliIO, prompt: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const rl = createInterface({ input: io.stdin, output: io.stderr, terminal: true });
    // Mute the echo of typed characters; the prompt itself is written before muting.
    io.stderr.write(prompt);
    (rl as unknown as { _writeToOutput: (s: string) => void })._writeToOutput = () => undefined;
    rl.question('', (answer) => {
      io.stderr.write('\n');
      rl.close();
      resolve(answer);
    });
    rl.on('SIGINT', () => {
      rl.close();
      reject(new CliFailure('Cancelled.'));
    });
  });
}

/** Asks for a new password twice on a terminal (once from a pipe). */
export async function readNewPassword(io: CliIO): Promise<string> {
  const password = await readSecret(io, 'New password: ');
  if (io.stdin.isTTY && (await readSecret(io, 'Repeat password: ')) !== password) {
    throw new CliFailure('The passwords do not match.');
  }
  return password;
}

export function printTable(io: CliIO, rows: Array<Record<string, string>>): void {
  if (rows.length === 0) return;
  const columns = Object.keys(rows[0]!);
  const widths = columns.map((c) => Math.max(c.length, ...rows.map((r) => (r[c] ?? '').length)));
  const line = (values: string[]) => values.map((v, i) => v.padEnd(widths[i]!)).join('  ').trimEnd() + '\n';
  io.stdout.write(line(columns.map((c) => c.toUpperCase())));
  for (const row of rows) io.stdout.write(line(columns.map((c) => row[c] ?? '')));
}
