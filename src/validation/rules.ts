// The built-in validators. Mutations and live-form queries share these, so a form and the
// server never disagree about what is valid.
import { invalid, valid, ValidatorRegistry, type Validator } from './registry.ts';
import { checkPasswordStrength } from './password.ts';
import { checkEmail } from '../util/email.ts';
import { singleLineRule } from './text.ts';

export const passwordRule: Validator = {
  name: 'password',
  description: 'Password strength: length 8–256 and hard to guess (dictionary-based estimate).',
  validate: ({ value, userInputs }) => {
    const strength = checkPasswordStrength(value, userInputs);
    return strength.acceptable ? valid : invalid(...strength.issues);
  },
};

export const emailRule: Validator = {
  name: 'email',
  description: 'A deliverable-looking email address (user@domain.tld), at most 254 characters.',
  validate: ({ value }) => {
    const problem = checkEmail(value);
    return problem ? invalid(problem) : valid;
  },
};

export const passwordsMatchRule: Validator = {
  name: 'passwordsMatch',
  description: 'The confirmation (`other`) equals the password (`value`).',
  validate: ({ value, other }) => (value === other ? valid : invalid('The passwords do not match.')),
};

export const usernameRule: Validator = {
  name: 'username',
  description: '3–32 characters: letters, digits, dot, dash and underscore, starting with a letter or digit.',
  validate: ({ value }) => {
    if (value.length < 3) return invalid('Use at least 3 characters.');
    if (value.length > 32) return invalid('Use at most 32 characters.');
    if (!/^[\p{L}\p{N}][\p{L}\p{N}._-]*$/u.test(value)) {
      return invalid('Use letters, digits, ".", "-" and "_" only, starting with a letter or digit.');
    }
    return valid;
  },
};

/** A registry holding the built-in rules; deployers register more on it. */
export function createValidatorRegistry(extra: Validator[] = []): ValidatorRegistry {
  const registry = new ValidatorRegistry();
  for (const rule of [passwordRule, emailRule, passwordsMatchRule, usernameRule, singleLineRule, ...extra]) registry.register(rule);
  return registry;
}
