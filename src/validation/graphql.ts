// Live-form validation queries: the same rules the mutations enforce, callable as the user types.
import { builder } from '../schema/builder.ts';
import { AccessError } from '../errors.ts';
import type { PasswordStrength } from './password.ts';
import { checkNewPassword } from './breach.ts';
import type { ValidationResult } from './registry.ts';

const PasswordStrengthRef = builder.objectRef<PasswordStrength>('PasswordStrength').implement({
  description: 'How hard a password is to guess, and what to change.',
  fields: (t) => ({
    score: t.exposeInt('score', { authScopes: { public: true }, description: '0 (trivial) to 100 (very strong).' }),
    acceptable: t.exposeBoolean('acceptable', { authScopes: { public: true }, description: 'Whether registration would accept it.' }),
    issues: t.exposeStringList('issues', { authScopes: { public: true }, description: 'Why it is not acceptable.' }),
    suggestions: t.exposeStringList('suggestions', { authScopes: { public: true } }),
  }),
});

const ValidationResultRef = builder.objectRef<ValidationResult>('ValidationResult').implement({
  fields: (t) => ({
    valid: t.exposeBoolean('valid', { authScopes: { public: true } }),
    messages: t.exposeStringList('messages', { authScopes: { public: true } }),
  }),
});

builder.queryFields((t) => ({
  validatePassword: t.field({
    type: PasswordStrengthRef,
    authScopes: { public: true },
    description:
      'Scores a password; words from `email` and `userInputs` (e.g. the name fields) count against it. With PASSWORD_BREACH_CHECK, a ' +
      'password found in known breaches is not acceptable (only 5 hex characters of its SHA-1 leave the server).',
    args: {
      password: t.arg.string({ required: true }),
      email: t.arg.string(),
      userInputs: t.arg.stringList({ description: 'Other things the user typed, such as first and last name (at most 10).' }),
    },
    resolve: async (_root, { password, email, userInputs }, ctx) => {
      const inputs = [...(email ? [email] : []), ...(userInputs ?? [])].slice(0, 11).map((input) => input.slice(0, 320));
      return checkNewPassword(ctx.services.breaches, password, inputs, ctx.ip);
    },
  }),
  validateEmail: t.field({
    type: ValidationResultRef,
    authScopes: { public: true },
    args: { email: t.arg.string({ required: true }) },
    resolve: (_root, { email }, ctx) => ctx.services.validators.validate('email', { value: email }),
  }),
  validate: t.field({
    type: ValidationResultRef,
    authScopes: { public: true },
    description: 'Runs one rule from `validationRules`; `other` is the second value of comparing rules.',
    args: { rule: t.arg.string({ required: true }), value: t.arg.string({ required: true }), other: t.arg.string() },
    resolve: (_root, { rule, value, other }, ctx) => {
      if (!ctx.services.validators.has(rule)) {
        throw new AccessError('BAD_USER_INPUT', `Unknown validation rule "${rule.slice(0, 64)}".`, {
          rules: ctx.services.validators.names(),
        });
      }
      return ctx.services.validators.validate(rule, { value, other: other ?? undefined });
    },
  }),
  validationRules: t.stringList({
    authScopes: { public: true },
    description: 'Names of the rules `validate` accepts.',
    resolve: (_root, _args, ctx) => ctx.services.validators.names(),
  }),
}));
