// Why a database file was refused or an operation could not run. Each is an expected outcome with a
// stable code (listed in src/errors.ts); a refused file never changes the live database.
import { DomainError } from '../errors.ts';

export class NotSqliteError extends DomainError {
  readonly code = 'NOT_SQLITE';
  constructor() {
    super('The file is not a SQLite database (it lacks the "SQLite format 3" header).');
  }
}

export class CorruptDatabaseError extends DomainError {
  readonly code = 'CORRUPT';
  constructor(detail: string) {
    super(`The database file is damaged: ${detail}`);
  }
}

export class IncompatibleSchemaError extends DomainError {
  readonly code = 'INCOMPATIBLE_SCHEMA';
  constructor(detail: string) {
    super(`The database is not one this Gatehouse can run: ${detail}`);
  }
}

export class TooLargeError extends DomainError {
  readonly code = 'TOO_LARGE';
  constructor(limitBytes: number) {
    super(`The file is larger than the upload limit of ${Math.floor(limitBytes / (1024 * 1024))} MB (MAX_UPLOAD_MB).`);
  }
}

export class DatabaseInUseError extends DomainError {
  readonly code = 'DATABASE_IN_USE';
  constructor(detail = 'another process (a second server or a command) has the database open') {
    super(`The database cannot be replaced now: ${detail}. Stop it and try again.`);
  }
}

export class UnsupportedDatabaseError extends DomainError {
  readonly code = 'UNSUPPORTED_DATABASE';
}
