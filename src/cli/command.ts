// What an operator command (`gatehouse user …`, `role …`, `db …`) receives: its arguments, the
// terminal, and a way to act on the server's services, which the entry point (src/main.ts) supplies.
import { parseArgs, type ParseArgsConfig } from 'node:util';
import type { Config } from '../config/index.ts';
import type { RequestScope } from '../context.ts';
import type { EntityList } from '../db/orm.ts';
import { UsageError, type CliIO } from './io.ts';

export interface CliCommand {
  config: Config;
  io: CliIO;
  args: string[];
  /** Opens the services, runs `action` as the operator (no viewer, actor `cli`), closes them. */
  asOperator<T>(action: (scope: RequestScope) => Promise<T>): Promise<T>;
  /** The entities the application maps (a database check opens a candidate file with them). */
  entities: EntityList;
}

/** node:util parseArgs, with its errors turned into usage errors (exit code 2); `positionals` is a count or a [min, max] range. */
export function parseCommandArgs<O extends NonNullable<ParseArgsConfig['options']>>(args: string[], options: O, positionals: number | [number, number]) {
  let parsed;
  try {
    parsed = parseArgs({ args, options, allowPositionals: true, strict: true });
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
  const [min, max] = typeof positionals === 'number' ? [positionals, positionals] : positionals;
  if (parsed.positionals.length < min || parsed.positionals.length > max) {
    const expected = min === max ? `${min} argument${min === 1 ? '' : 's'}` : `${min} to ${max} arguments`;
    throw new UsageError(`Expected ${expected}, got ${parsed.positionals.length}.`);
  }
  return parsed;
}
