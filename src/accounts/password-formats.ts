// The password hash formats Gatehouse reads besides its own argon2id: what other systems store
// (argon2 of any variant, bcrypt, passlib's scrypt and PBKDF2, Django's), so imported accounts sign
// in with their old password and get an argon2id hash on that first sign-in (auth/service.ts).
// Work factors are capped: a hostile import file must not make one login run for minutes.
import argon2 from 'argon2';
import { createHash, pbkdf2, scrypt, timingSafeEqual, type BinaryLike, type ScryptOptions } from 'node:crypto';
import { promisify } from 'node:util';

/** The most work one verification may cost (each about 1–2 s on one core at the limit). */
export const WORK_LIMITS = {
  bcryptCost: 14,
  pbkdf2Iterations: 5_000_000,
  /** argon2 memory in KiB (256 MiB) and memory × passes (1 GiB worth). */
  argon2MemoryKiB: 256 * 1024,
  argon2MemoryPasses: 1024 * 1024,
  argon2Parallelism: 16,
  /** scrypt memory (128 · N · r bytes) and work (N · r · p). */
  scryptMemoryBytes: 256 * 1024 * 1024,
  scryptWork: 2 ** 22,
} as const;

export const SUPPORTED_HASH_FORMATS =
  'argon2 ($argon2id$, $argon2i$, $argon2d$, Django argon2$), bcrypt ($2a$, $2b$, $2y$, Django bcrypt$ and bcrypt_sha256$), ' +
  'scrypt (passlib $scrypt$, Django scrypt$), PBKDF2 (passlib $pbkdf2-sha256$, $pbkdf2-sha512$, $pbkdf2$, Django pbkdf2_sha256$, pbkdf2_sha1$)';

export type ParsedHash =
  | { scheme: 'argon2'; variant: 'argon2id' | 'argon2i' | 'argon2d'; phc: string; memoryKiB: number; passes: number; parallelism: number }
  | { scheme: 'bcrypt'; bcrypt: string; cost: number; prehashSha256: boolean }
  | { scheme: 'pbkdf2'; digest: 'sha1' | 'sha256' | 'sha512'; iterations: number; salt: Buffer; expected: Buffer }
  | { scheme: 'scrypt'; N: number; r: number; p: number; salt: Buffer; expected: Buffer };

/** A hash string Gatehouse cannot read, or one whose work factor is over the limit. */
export class HashFormatError extends Error {}

const DIGEST_BYTES = { sha1: 20, sha256: 32, sha512: 64 } as const;
const PASSLIB_PBKDF2_DIGEST = { '': 'sha1', '-sha256': 'sha256', '-sha512': 'sha512' } as const;

// PHC parameters come in either order (node-argon2 writes m,p,t; argon2-cffi m,t,p).
const ARGON2 = /^\$(argon2id|argon2i|argon2d)\$(?:v=(?:16|19)\$)?([mtp]=\d{1,7},[mtp]=\d{1,7},[mtp]=\d{1,7})\$([A-Za-z0-9+/]+)\$([A-Za-z0-9+/]+)$/;
const BCRYPT = /^\$2[aby]\$(\d\d)\$[./A-Za-z0-9]{53}$/;
const PASSLIB_PBKDF2 = /^\$pbkdf2(|-sha256|-sha512)\$(\d{1,12})\$([./A-Za-z0-9]*)\$([./A-Za-z0-9]+)$/;
const PASSLIB_SCRYPT = /^\$scrypt\$ln=(\d{1,2}),r=(\d{1,4}),p=(\d{1,4})\$([A-Za-z0-9+/]*)\$([A-Za-z0-9+/]+)$/;
// Django: the salt is text (any printable ASCII but `$`), the hash standard base64 with padding.
const DJANGO_PBKDF2 = /^pbkdf2_(sha256|sha1)\$(\d{1,12})\$([!-#%-~]{1,256})\$([A-Za-z0-9+/]+={0,2})$/;
const DJANGO_SCRYPT = /^scrypt\$(\d{1,12})\$([!-#%-~]{1,256})\$(\d{1,4})\$(\d{1,4})\$([A-Za-z0-9+/]+={0,2})$/;

/** Reads a stored or imported hash; throws HashFormatError saying what is wrong with it. */
export function parseHash(hash: string): ParsedHash {
  if (hash.startsWith('$argon2')) return parseArgon2(hash);
  if (hash.startsWith('argon2$argon2')) return parseArgon2(hash.slice('argon2'.length));
  if (hash.startsWith('$2')) return parseBcrypt(hash, false);
  if (hash.startsWith('bcrypt$$2')) return parseBcrypt(hash.slice('bcrypt$'.length), false);
  if (hash.startsWith('bcrypt_sha256$$2')) return parseBcrypt(hash.slice('bcrypt_sha256$'.length), true);
  if (hash.startsWith('$pbkdf2')) return parsePasslibPbkdf2(hash);
  if (hash.startsWith('$scrypt$')) return parsePasslibScrypt(hash);
  if (hash.startsWith('pbkdf2_')) return parseDjangoPbkdf2(hash);
  if (hash.startsWith('scrypt$')) return parseDjangoScrypt(hash);
  throw new HashFormatError(`unknown hash format; supported: ${SUPPORTED_HASH_FORMATS}.`);
}

/** What is wrong with a hash to import (unknown, malformed, or too costly), or null when it can be used. */
export function hashFormatProblem(hash: string): string | null {
  try {
    parseHash(hash);
    return null;
  } catch (error) {
    if (error instanceof HashFormatError) return error.message;
    throw error;
  }
}

/** Checks a password against a parsed hash; every comparison is constant-time. */
export async function verifyParsedHash(parsed: ParsedHash, password: string): Promise<boolean> {
  switch (parsed.scheme) {
    case 'argon2':
      return argon2.verify(parsed.phc, password);
    case 'bcrypt':
      // bcryptjs compares the result in constant time; Django's bcrypt_sha256 hashes the password to hex first.
      // Loaded with the first imported bcrypt hash checked: most servers never see one.
      return (await import('bcryptjs')).default.compare(parsed.prehashSha256 ? createHash('sha256').update(password).digest('hex') : password, parsed.bcrypt);
    case 'pbkdf2':
      return sameBytes(await pbkdf2Async(password, parsed.salt, parsed.iterations, parsed.expected.length, parsed.digest), parsed.expected);
    case 'scrypt': {
      const options: ScryptOptions = { N: parsed.N, r: parsed.r, p: parsed.p, maxmem: 128 * parsed.N * parsed.r + 1024 * 1024 };
      return sameBytes(await scryptAsync(password, parsed.salt, parsed.expected.length, options), parsed.expected);
    }
  }
}

const pbkdf2Async = promisify(pbkdf2);
const scryptAsync = promisify(scrypt) as (password: BinaryLike, salt: BinaryLike, keylen: number, options: ScryptOptions) => Promise<Buffer>;

function sameBytes(actual: Buffer, expected: Buffer): boolean {
  return actual.length === expected.length && timingSafeEqual(actual, expected);
}

function parseArgon2(phc: string): ParsedHash {
  const match = ARGON2.exec(phc);
  if (!match) throw new HashFormatError('malformed argon2 hash (expected $argon2id$v=19$m=…,t=…,p=…$salt$hash).');
  const [, variant, list, salt, digest] = match;
  const params = new Map(list!.split(',').map((pair) => [pair[0]!, Number(pair.slice(2))]));
  if (params.size !== 3) throw new HashFormatError('malformed argon2 hash (m, t and p must each appear once).');
  const memoryKiB = params.get('m')!;
  const passes = params.get('t')!;
  const parallelism = params.get('p')!;
  if (parallelism < 1 || passes < 1 || memoryKiB < 8 * parallelism) throw new HashFormatError('malformed argon2 hash (m must be at least 8·p, t and p at least 1).');
  if (memoryKiB > WORK_LIMITS.argon2MemoryKiB) throw overLimit(`argon2 memory m=${memoryKiB} KiB`, `${WORK_LIMITS.argon2MemoryKiB} KiB`);
  if (memoryKiB * passes > WORK_LIMITS.argon2MemoryPasses) throw overLimit(`argon2 work m·t=${memoryKiB * passes} KiB`, `${WORK_LIMITS.argon2MemoryPasses} KiB`);
  if (parallelism > WORK_LIMITS.argon2Parallelism) throw overLimit(`argon2 parallelism p=${parallelism}`, String(WORK_LIMITS.argon2Parallelism));
  decodeBase64(salt!, 'unpadded', 'argon2 salt', 8);
  decodeBase64(digest!, 'unpadded', 'argon2 hash', 4);
  return { scheme: 'argon2', variant: variant as 'argon2id' | 'argon2i' | 'argon2d', phc, memoryKiB, passes, parallelism };
}

function parseBcrypt(value: string, prehashSha256: boolean): ParsedHash {
  const match = BCRYPT.exec(value);
  if (!match) throw new HashFormatError('malformed bcrypt hash (expected $2a$, $2b$ or $2y$, a two-digit cost, then 53 characters of salt and hash).');
  const cost = Number(match[1]);
  if (cost < 4) throw new HashFormatError(`malformed bcrypt hash (cost ${cost} is below bcrypt's minimum of 4).`);
  if (cost > WORK_LIMITS.bcryptCost) throw overLimit(`bcrypt cost ${cost}`, String(WORK_LIMITS.bcryptCost));
  return { scheme: 'bcrypt', bcrypt: value, cost, prehashSha256 };
}

function parsePasslibPbkdf2(hash: string): ParsedHash {
  const match = PASSLIB_PBKDF2.exec(hash);
  if (!match) throw new HashFormatError('malformed passlib PBKDF2 hash (expected $pbkdf2-sha256$rounds$salt$checksum in passlib\'s adapted base64).');
  const [, suffix, rounds, salt, checksum] = match;
  const digest = PASSLIB_PBKDF2_DIGEST[suffix as keyof typeof PASSLIB_PBKDF2_DIGEST];
  // passlib's "adapted base64": the standard alphabet with `.` for `+`, no padding.
  const expected = decodeBase64(checksum!.replaceAll('.', '+'), 'unpadded', 'PBKDF2 checksum', 1);
  if (expected.length !== DIGEST_BYTES[digest]) throw new HashFormatError(`malformed passlib PBKDF2 hash (a ${digest} checksum is ${DIGEST_BYTES[digest]} bytes, this one ${expected.length}).`);
  return { scheme: 'pbkdf2', digest, iterations: iterationsOf(rounds!), salt: decodeBase64(salt!.replaceAll('.', '+'), 'unpadded', 'PBKDF2 salt', 0), expected };
}

function parseDjangoPbkdf2(hash: string): ParsedHash {
  const match = DJANGO_PBKDF2.exec(hash);
  if (!match) throw new HashFormatError('malformed Django PBKDF2 hash (expected pbkdf2_sha256$iterations$salt$base64-hash).');
  const [, digestName, iterations, salt, encoded] = match;
  const digest = digestName as 'sha1' | 'sha256';
  const expected = decodeBase64(encoded!, 'padded', 'PBKDF2 hash', 1);
  if (expected.length !== DIGEST_BYTES[digest]) throw new HashFormatError(`malformed Django PBKDF2 hash (a ${digest} hash is ${DIGEST_BYTES[digest]} bytes, this one ${expected.length}).`);
  return { scheme: 'pbkdf2', digest, iterations: iterationsOf(iterations!), salt: Buffer.from(salt!, 'utf8'), expected };
}

function parsePasslibScrypt(hash: string): ParsedHash {
  const match = PASSLIB_SCRYPT.exec(hash);
  if (!match) throw new HashFormatError('malformed passlib scrypt hash (expected $scrypt$ln=…,r=…,p=…$salt$checksum in base64).');
  const [, ln, r, p, salt, checksum] = match;
  if (Number(ln) < 1 || Number(ln) > 40) throw new HashFormatError(`malformed passlib scrypt hash (ln=${ln} is not a usable log2 of N).`);
  const params = scryptParams(2 ** Number(ln), Number(r), Number(p));
  return { scheme: 'scrypt', ...params, salt: decodeBase64(salt!, 'unpadded', 'scrypt salt', 0), expected: decodeBase64(checksum!, 'unpadded', 'scrypt checksum', 16) };
}

function parseDjangoScrypt(hash: string): ParsedHash {
  const match = DJANGO_SCRYPT.exec(hash);
  if (!match) throw new HashFormatError('malformed Django scrypt hash (expected scrypt$N$salt$r$p$base64-hash).');
  const [, n, salt, r, p, encoded] = match;
  const N = Number(n);
  if (N < 2 || !Number.isSafeInteger(N) || (N & (N - 1)) !== 0) throw new HashFormatError(`malformed Django scrypt hash (N=${n} is not a power of two).`);
  const params = scryptParams(N, Number(r), Number(p));
  return { scheme: 'scrypt', ...params, salt: Buffer.from(salt!, 'utf8'), expected: decodeBase64(encoded!, 'padded', 'scrypt hash', 16) };
}

function scryptParams(N: number, r: number, p: number): { N: number; r: number; p: number } {
  if (r < 1 || p < 1) throw new HashFormatError('malformed scrypt hash (r and p must be at least 1).');
  if (128 * N * r > WORK_LIMITS.scryptMemoryBytes) throw overLimit(`scrypt memory 128·N·r=${128 * N * r} bytes`, `${WORK_LIMITS.scryptMemoryBytes} bytes`);
  if (N * r * p > WORK_LIMITS.scryptWork) throw overLimit(`scrypt work N·r·p=${N * r * p}`, String(WORK_LIMITS.scryptWork));
  return { N, r, p };
}

function iterationsOf(text: string): number {
  const iterations = Number(text);
  if (iterations < 1) throw new HashFormatError('malformed PBKDF2 hash (at least 1 iteration).');
  if (iterations > WORK_LIMITS.pbkdf2Iterations) throw overLimit(`PBKDF2 iterations ${iterations}`, String(WORK_LIMITS.pbkdf2Iterations));
  return iterations;
}

/**
 * Strict base64 (the pattern already checked the alphabet): Buffer.from skips what it cannot read,
 * so the text must be exactly what the bytes encode to, with or without padding as the format says.
 */
function decodeBase64(text: string, padding: 'padded' | 'unpadded', what: string, minBytes: number): Buffer {
  const bytes = Buffer.from(text, 'base64');
  const canonical = bytes.toString('base64');
  if ((padding === 'padded' ? canonical : canonical.replace(/=+$/, '')) !== text) throw new HashFormatError(`malformed ${what} (not canonical base64).`);
  if (bytes.length < minBytes) throw new HashFormatError(`malformed ${what} (${bytes.length} bytes, at least ${minBytes} expected).`);
  return bytes;
}

function overLimit(what: string, limit: string): HashFormatError {
  return new HashFormatError(`${what} is over Gatehouse's limit of ${limit} (one sign-in would take too long).`);
}
