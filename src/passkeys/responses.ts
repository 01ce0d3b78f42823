// The browser's answers (`PublicKeyCredential.toJSON()`, as @simplewebauthn/browser sends them) come
// as a JSON string. Their shape is checked here, before any challenge is used up, so a malformed one
// is a ValidationError that changes nothing; what they prove is checked by @simplewebauthn/server.
import type { AuthenticationResponseJSON, RegistrationResponseJSON } from '@simplewebauthn/server';
import { ValidationFailedError } from '../errors.ts';

/** Far above any real answer (an attestation with a certificate chain is a few kB). */
const RESPONSE_MAX_CHARS = 64 * 1024;
const BASE64URL = /^[A-Za-z0-9_-]*={0,2}$/;

type Fields = Record<string, unknown>;

function parseCredential(json: string, required: string[], field: string): Fields & { response: Fields } {
  const refuse = (why: string) => ValidationFailedError.field(field, why);
  if (json.length > RESPONSE_MAX_CHARS) throw refuse(`Use at most ${RESPONSE_MAX_CHARS} characters.`);
  let value: unknown;
  try {
    value = JSON.parse(json);
  } catch {
    throw refuse('Send the credential as JSON (PublicKeyCredential.toJSON(), or what @simplewebauthn/browser returns).');
  }
  const credential = value as Fields | null;
  const response = credential?.['response'] as Fields | null | undefined;
  const isB64 = (v: unknown) => typeof v === 'string' && v.length > 0 && BASE64URL.test(v);
  if (typeof credential !== 'object' || credential === null || Array.isArray(credential) || credential['type'] !== 'public-key') {
    throw refuse('Expected a public-key credential object.');
  }
  if (!isB64(credential['id']) || credential['rawId'] !== credential['id']) throw refuse('Expected `id` and `rawId`: the same base64url credential id.');
  if (typeof response !== 'object' || response === null || Array.isArray(response)) throw refuse('Expected a `response` object.');
  const missing = required.filter((name) => !isB64(response[name]));
  if (missing.length) throw refuse(`Expected base64url \`response.${missing.join('`, `response.')}\`.`);
  if (response['userHandle'] != null && !isB64(response['userHandle'])) throw refuse('Expected `response.userHandle` in base64url.');
  if (response['transports'] != null && !(Array.isArray(response['transports']) && response['transports'].every((t) => typeof t === 'string' && t.length <= 32))) {
    throw refuse('Expected `response.transports` as a list of names.');
  }
  return { ...credential, clientExtensionResults: credential['clientExtensionResults'] ?? {}, response };
}

export function parseRegistrationResponse(json: string, field = 'response'): RegistrationResponseJSON {
  return parseCredential(json, ['clientDataJSON', 'attestationObject'], field) as unknown as RegistrationResponseJSON;
}

export function parseAuthenticationResponse(json: string, field = 'response'): AuthenticationResponseJSON {
  return parseCredential(json, ['clientDataJSON', 'authenticatorData', 'signature'], field) as unknown as AuthenticationResponseJSON;
}
