// One registry of validators, used by mutations (to refuse bad input) and by live-form queries
// (to tell the user as they type). Deployers add their own with `registry.register(...)`.

declare module '../context.ts' {
  interface Services {
    /** Field validators: built in, and the deployer's custom rules. */
    validators: ValidatorRegistry;
  }
}

export interface ValidationResult {
  valid: boolean;
  messages: string[];
}

export interface ValidationInput {
  value: string;
  /** A second value for rules that compare two fields (e.g. password confirmation). */
  other?: string | undefined;
  /** Other things the user typed (email, names) that a password should not be built from. */
  userInputs?: string[] | undefined;
}

export interface Validator {
  name: string;
  description: string;
  validate(input: ValidationInput): ValidationResult | Promise<ValidationResult>;
}

export class UnknownValidatorError extends Error {
  constructor(name: string) {
    super(`No validation rule named "${name}".`);
  }
}

export class ValidatorRegistry {
  readonly #validators = new Map<string, Validator>();

  register(validator: Validator): this {
    if (!/^[a-zA-Z][a-zA-Z0-9_-]{0,63}$/.test(validator.name)) {
      throw new Error(`Invalid validator name "${validator.name}"`);
    }
    this.#validators.set(validator.name, validator);
    return this;
  }

  names(): string[] {
    return [...this.#validators.keys()].sort();
  }

  has(name: string): boolean {
    return this.#validators.has(name);
  }

  async validate(name: string, input: ValidationInput): Promise<ValidationResult> {
    const validator = this.#validators.get(name);
    if (!validator) throw new UnknownValidatorError(name);
    return validator.validate(input);
  }
}

export const valid: ValidationResult = Object.freeze({ valid: true, messages: [] }) as ValidationResult;
export const invalid = (...messages: string[]): ValidationResult => ({ valid: false, messages });
