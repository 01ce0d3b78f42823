// Which authenticators a server runs, in which order, from the configured backend plus any a
// deployer adds (each at a position: 0 = tried first).
import type { Config } from '../config/index.ts';
import {
  AuthenticatorRegistry,
  basicTokenAuthenticator,
  bearerAuthenticator,
  cookieSessionAuthenticator,
  unrecognisedAuthorization,
  type Authenticator,
} from './authenticators.ts';
import { createBasicPasswordAuthenticator } from './basic-password.ts';

export type AuthenticatorOption = Authenticator | { authenticator: Authenticator; position: number };

export function createAuthenticatorRegistry(config: Config, extra: readonly AuthenticatorOption[] = []): AuthenticatorRegistry {
  const registry = new AuthenticatorRegistry();
  if (config.authBackend === 'basic') {
    registry.add(basicTokenAuthenticator).add(createBasicPasswordAuthenticator());
  } else {
    registry.add(bearerAuthenticator).add(basicTokenAuthenticator).add(cookieSessionAuthenticator);
  }
  for (const option of extra) {
    if ('authenticator' in option) registry.add(option.authenticator, option.position);
    else registry.add(option);
  }
  // Last: an Authorization header nobody recognised is refused, not ignored.
  return registry.add(unrecognisedAuthorization);
}
