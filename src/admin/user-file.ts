// The user file that `gatehouse user import` reads and `user export` writes: CSV with a header row,
// or JSON Lines (one object a line), with the same column names. Reading streams the file and
// numbers what it yields by the line it starts on, so every problem names its line.
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { extname } from 'node:path';
import { Transform, type TransformCallback } from 'node:stream';
import { CsvError, parse } from 'csv-parse';

export const USER_FILE_FORMATS = ['csv', 'jsonl'] as const;
export type UserFileFormat = (typeof USER_FILE_FORMATS)[number];

/** The columns a file may have, in the order export writes them. Only `email` is required. */
export const USER_FILE_COLUMNS = [
  'email',
  'password_hash',
  'roles',
  'email_confirmed',
  'email_confirmed_at',
  'created_at',
  'disabled',
  'display_name',
  'first_name',
  'last_name',
  'phone',
  'bio',
  'avatar_url',
] as const;
export type UserFileColumn = (typeof USER_FILE_COLUMNS)[number];

/** One record as found in the file: CSV gives strings ("" for empty), JSON Lines any JSON values. */
export interface FileRecord {
  line: number;
  values: Partial<Record<UserFileColumn, unknown>>;
  /** Keys that are not columns (a JSON Lines object; a CSV header with one is refused as a whole). */
  unknownKeys: string[];
}

/** The file cannot be read on from here (broken CSV quoting, not UTF-8, a bad header). */
export class UserFileError extends Error {
  readonly line: number;
  constructor(line: number, message: string) {
    super(message);
    this.line = line;
  }
}

export function formatOfPath(path: string): UserFileFormat | null {
  const extension = extname(path).toLowerCase();
  if (extension === '.csv') return 'csv';
  if (extension === '.jsonl' || extension === '.ndjson') return 'jsonl';
  return null;
}

/** What a read saw of the file's bytes: a second read can check it read the same file. */
export interface FileDigest {
  sha256: string | null;
}

/** The records of a user file in order; throws UserFileError where it cannot go on. */
export async function* readUserFile(path: string, format: UserFileFormat, digest: FileDigest = { sha256: null }): AsyncGenerator<FileRecord> {
  const source = createReadStream(path);
  const text = new StrictUtf8();
  // pipe() does not pass errors on: a missing or unreadable file must fail the read, not the process.
  source.on('error', (error) => text.destroy(error));
  source.pipe(text);
  text.on('end', () => (digest.sha256 = text.digest()));
  yield* format === 'csv' ? csvRecords(text) : jsonLinesRecords(text);
}

async function* csvRecords(text: StrictUtf8): AsyncGenerator<FileRecord> {
  // bom: a file saved by a spreadsheet; info: the line each record ends on.
  const parser = text.pipe(parse({ bom: true, info: true, skip_empty_lines: true }));
  text.on('error', (error) => parser.destroy(error));
  let header: UserFileColumn[] | null = null;
  try {
    for await (const { record, info } of parser as AsyncIterable<{ record: string[]; info: { lines: number } }>) {
      // A quoted field may span lines: the record starts as many lines up as its values hold.
      const line = info.lines - record.reduce((n, value) => n + countNewlines(value), 0);
      if (!header) {
        header = csvHeader(record, line);
        continue;
      }
      const values: FileRecord['values'] = {};
      header.forEach((column, i) => (values[column] = unescapeFormula(record[i])));
      yield { line, values, unknownKeys: [] };
    }
  } catch (error) {
    if (error instanceof CsvError) throw csvProblem(error);
    throw error;
  }
  if (!header) throw new UserFileError(1, 'the file is empty; a CSV file starts with a header row naming its columns (email, …).');
}

/**
 * A cell that export protected from spreadsheets (`'` before = + - @ tab or CR, csv-stringify's
 * escape_formulas) is read as it was: a value really starting with `'=` cannot be told from one.
 */
export function unescapeFormula(value: string | undefined): string | undefined {
  return value !== undefined && /^'[=+\-@\t\r]/.test(value) ? value.slice(1) : value;
}

function csvHeader(names: string[], line: number): UserFileColumn[] {
  const trimmed = names.map((name) => name.trim());
  const unknown = trimmed.filter((name) => !(USER_FILE_COLUMNS as readonly string[]).includes(name));
  if (unknown.length) throw new UserFileError(line, `unknown column${unknown.length > 1 ? 's' : ''} ${unknown.map((n) => JSON.stringify(n)).join(', ')} in the header; the columns are ${USER_FILE_COLUMNS.join(', ')}.`);
  const repeated = trimmed.find((name, i) => trimmed.indexOf(name) !== i);
  if (repeated) throw new UserFileError(line, `the column "${repeated}" appears twice in the header.`);
  if (!trimmed.includes('email')) throw new UserFileError(line, 'the header has no "email" column.');
  return trimmed as UserFileColumn[];
}

function csvProblem(error: CsvError): UserFileError {
  const line = Number((error as CsvError & { lines?: number }).lines) || 1;
  if (error.code === 'CSV_QUOTE_NOT_CLOSED') return new UserFileError(line, 'a quoted field is never closed: the file is truncated or its quoting is broken.');
  if (error.code === 'CSV_RECORD_INCONSISTENT_FIELDS_LENGTH') return new UserFileError(line, `the row does not have as many fields as the header (${error.message.replace(/^Invalid Record Length: /, '')}).`);
  return new UserFileError(line, `not valid CSV: ${error.message}`);
}

async function* jsonLinesRecords(text: StrictUtf8): AsyncGenerator<FileRecord> {
  let line = 0;
  for await (const raw of linesOf(text)) {
    line++;
    const content = (line === 1 ? raw.replace(/^\uFEFF/, '') : raw).trim();
    if (!content) continue;
    let value: unknown;
    try {
      value = JSON.parse(content);
    } catch (error) {
      // JSON.parse's own words say where (e.g. "Unterminated string in JSON at position 41").
      throw new UserFileError(line, `not valid JSON (${(error as Error).message}); a cut-off last line means the file is truncated.`);
    }
    if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new UserFileError(line, 'each line must be one JSON object.');
    const values: FileRecord['values'] = {};
    const unknownKeys: string[] = [];
    for (const [key, v] of Object.entries(value)) {
      if ((USER_FILE_COLUMNS as readonly string[]).includes(key)) values[key as UserFileColumn] = v;
      else unknownKeys.push(key);
    }
    yield { line, values, unknownKeys };
  }
}

/** The lines of a text stream (\n or \r\n), the last one also when it has no newline; errors of the stream pass through. */
async function* linesOf(text: AsyncIterable<string>): AsyncGenerator<string> {
  let rest = '';
  for await (const chunk of text) {
    const lines = (rest + chunk).split('\n');
    rest = lines.pop()!;
    yield* lines;
  }
  if (rest) yield rest;
}

function countNewlines(value: string): number {
  let n = 0;
  for (let i = value.indexOf('\n'); i >= 0; i = value.indexOf('\n', i + 1)) n++;
  return n;
}

/** Bytes to text, refusing what is not UTF-8 (with the line it is on); hashes the bytes as they pass. */
class StrictUtf8 extends Transform {
  #decoder = new TextDecoder('utf-8', { fatal: true });
  #hash = createHash('sha256');
  #line = 1;

  constructor() {
    super({ decodeStrings: true, encoding: 'utf8' });
  }

  digest(): string {
    return this.#hash.digest('hex');
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    this.#hash.update(chunk);
    this.#push(() => this.#decoder.decode(chunk, { stream: true }), chunk, callback);
  }

  override _flush(callback: TransformCallback): void {
    this.#push(() => this.#decoder.decode(), Buffer.alloc(0), callback);
  }

  #push(decode: () => string, chunk: Buffer, callback: TransformCallback): void {
    let text: string;
    try {
      text = decode();
    } catch {
      // The decoder says only that the bytes are bad; a lenient decoding shows where (U+FFFD).
      const lenient = new TextDecoder('utf-8').decode(chunk);
      const bad = lenient.indexOf('\uFFFD');
      const line = this.#line + countNewlines(bad < 0 ? lenient : lenient.slice(0, bad));
      callback(new UserFileError(line, 'the file is not UTF-8 text; save it as UTF-8.'));
      return;
    }
    this.#line += countNewlines(text);
    callback(null, text);
  }
}
