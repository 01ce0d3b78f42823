// Password strength: dictionary-based estimation (zxcvbn-ts) on top of the length policy.
// NIST SP 800-63B: at least 8 characters, long passphrases allowed, no composition rules.
import { createRequire } from 'node:module';
import type { ZxcvbnFactory } from '@zxcvbn-ts/core';

export const PASSWORD_MIN_LENGTH = 8;
/** Long enough for any passphrase; bounded so hashing and estimation cannot be used for DoS. */
export const PASSWORD_MAX_LENGTH = 256;
/** zxcvbn score (0–4) a password needs: 3 means about 10^8 guesses or more. */
const MIN_ZXCVBN_SCORE = 3;
/**
 * Estimation cost grows with length (about 85 ms at 64 characters of digits and l33t symbols, the
 * worst found; 10 ms for a typical passphrase); a longer tail adds no risk worth measuring.
 */
const ESTIMATE_PREFIX = 64;

let estimator: ZxcvbnFactory | undefined;

let userWordEstimator: ZxcvbnFactory | undefined;

function zxcvbnPackages() {
  const require = createRequire(import.meta.url);
  return {
    ZxcvbnFactory: (require('@zxcvbn-ts/core') as typeof import('@zxcvbn-ts/core')).ZxcvbnFactory,
    common: require('@zxcvbn-ts/language-common') as typeof import('@zxcvbn-ts/language-common'),
    en: require('@zxcvbn-ts/language-en') as typeof import('@zxcvbn-ts/language-en'),
  };
}

/**
 * The estimator, built on first use: its 236,000 dictionary words and their rank tables hold about
 * 25 MiB and take about 300 ms of CPU to build, which a command that checks no password (most of the
 * command line) should not pay. `gatehouse serve` builds it before listening (src/main.ts), so no
 * request waits for it. Loaded with require (the packages' CommonJS builds) to keep the check synchronous.
 */
export function passwordEstimator(): ZxcvbnFactory {
  if (estimator) return estimator;
  const { ZxcvbnFactory, common, en } = zxcvbnPackages();
  estimator = new ZxcvbnFactory({
    translations: en.translations,
    graphs: common.adjacencyGraphs,
    dictionary: { ...common.dictionary, ...en.dictionary },
    // Off here: zxcvbn-ts's edit-distance matching scans every dictionary word for the whole
    // password and for each of its l33t variants, 0.3-1.5 s of CPU per check (measured on this
    // machine) — a denial of service through the public `validatePassword` and far too slow for
    // live validation. Near-misspellings of dictionary words are caught less; dictionary, l33t,
    // keyboard, repeat, sequence and date matching all stay on, and the user's own words keep
    // edit-distance matching (userWordEstimator).
    useLevenshteinDistance: false,
    // The l33t matcher tries every combination of substitutions up to this many; the default of 100
    // costs up to 300 ms on a 64-character password of l33t symbols, 8 about 80 ms.
    l33tMaxSubstitutions: 8,
  });
  return estimator;
}

/**
 * The user's own words only (email parts, names), with edit-distance matching: "zebulon quixotic"
 * for Zebulon Quixotic is one edit from the joined name, which word-by-word matching scores as
 * three parts (zxcvbn's model puts any three-part password at 10^8 guesses or more). With a
 * handful of words the scan costs 2-6 ms.
 */
function userWordsEstimator(): ZxcvbnFactory {
  if (userWordEstimator) return userWordEstimator;
  const { ZxcvbnFactory, common, en } = zxcvbnPackages();
  userWordEstimator = new ZxcvbnFactory({
    translations: en.translations,
    graphs: common.adjacencyGraphs,
    dictionary: {},
    useLevenshteinDistance: true,
    l33tMaxSubstitutions: 8,
  });
  return userWordEstimator;
}

export interface PasswordStrength {
  /** 0–100, from the estimated number of guesses (100 ≈ 10^12 guesses or more). */
  score: number;
  acceptable: boolean;
  issues: string[];
  suggestions: string[];
}

/**
 * Words a password should not be built from: each thing the user typed (email, names), its parts,
 * and its parts joined ("marvin.minsky@x" → "marvin", "minsky", "marvinminsky"), so neither a name
 * nor a whole email local part passes as an unguessable word.
 */
function penalisedWords(userInputs: string[]): string[] {
  const words = userInputs.flatMap((input) => {
    const lower = input.toLowerCase();
    const local = lower.includes('@') ? lower.slice(0, lower.lastIndexOf('@')) : lower;
    const parts = local.split(/[^\p{L}\p{N}]+/u);
    return [...lower.split(/[^\p{L}\p{N}]+/u), parts.join('')];
  });
  // First and last name typed into separate fields still make one guessable word together.
  const names = userInputs.filter((input) => !input.includes('@'));
  words.push(names.join('').toLowerCase().replace(/[^\p{L}\p{N}]+/gu, ''));
  return [...new Set(words)].filter((w) => w.length >= 3);
}

export function checkPasswordStrength(password: string, userInputs: string[] = []): PasswordStrength {
  const length = [...password].length;
  const issues: string[] = [];
  if (length < PASSWORD_MIN_LENGTH) issues.push(`Use at least ${PASSWORD_MIN_LENGTH} characters.`);
  if (length > PASSWORD_MAX_LENGTH) issues.push(`Use at most ${PASSWORD_MAX_LENGTH} characters.`);
  if (length === 0) return { score: 0, acceptable: false, issues, suggestions: [] };

  const estimated = password.slice(0, ESTIMATE_PREFIX);
  const words = penalisedWords(userInputs);
  let result = passwordEstimator().check(estimated, words);
  if (words.length && result.score >= MIN_ZXCVBN_SCORE) {
    const own = userWordsEstimator().check(estimated, words);
    if (own.score < result.score) result = own;
  }
  const score = Math.max(0, Math.min(100, Math.round((result.guessesLog10 / 12) * 100)));
  if (result.score < MIN_ZXCVBN_SCORE) {
    issues.push(result.feedback.warning ?? 'This password is too easy to guess.');
  }
  return {
    score,
    acceptable: issues.length === 0,
    issues,
    suggestions: issues.length ? result.feedback.suggestions : [],
  };
}
