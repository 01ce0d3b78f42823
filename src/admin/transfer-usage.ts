// The usage lines of `gatehouse user import|export`, apart from the commands: `gatehouse --help` and a
// server start need them without loading the file parsers (csv-parse, csv-stringify) the commands use.
export const TRANSFER_USAGE = `  user import <file> [--format csv|jsonl] [--apply] [--batch-size N] [--skip-existing]
                                                    create accounts from a file, password hashes kept (a dry run without --apply)
  user export [<file>|-] [--format csv|jsonl] [--with-password-hashes]
                                                    write every account to a new file (or stdout) in the format import reads`;
