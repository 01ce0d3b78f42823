// Second-factor helpers: codes computed with a real TOTP library (otpauth) at the server's
// ManualClock time, and the documents of the MFA mutations.
import { Secret, TOTP } from 'otpauth';
import { STRONG_PASSWORD, type TestServer } from '../helpers/server.ts';

export const ERRORS = `... on Error { code message }`;
const FIELDS = `... on ValidationError { fields { field messages } }`;

export const ENROLL = `mutation { enrollTotp { __typename ... on TotpEnrollment { secret uri qrCodeDataUrl } ${ERRORS} } }`;
export const CONFIRM = `mutation($code: String!) { confirmTotp(input: { code: $code }) { __typename ... on RecoveryCodes { codes user { id mfa { totpEnabled recoveryCodesRemaining } } } ${ERRORS} ${FIELDS} } }`;
export const DISABLE = `mutation { disableTotp { __typename ... on User { id mfa { totpEnabled recoveryCodesRemaining } } ${ERRORS} } }`;
export const REGENERATE = `mutation { regenerateRecoveryCodes { __typename ... on RecoveryCodes { codes } ${ERRORS} } }`;
export const MFA_STATUS = `{ viewer { mfa { totpEnabled recoveryCodesRemaining } } }`;
export const LOGIN_MFA = `mutation($email: String!, $password: String!) {
  login(input: { email: $email, password: $password }) {
    __typename
    ... on CreatedSession { token user { id email } }
    ... on SecondFactorRequired { challenge expiresAt factors code message }
    ${ERRORS} ${FIELDS}
  }
}`;
export const VERIFY = `mutation($input: VerifySecondFactorInput!) {
  verifySecondFactor(input: $input) {
    __typename
    ... on CreatedSession { token expiresAt user { id email } }
    ${ERRORS} ${FIELDS}
  }
}`;

export function totpCode(server: TestServer, secret: string, offsetSteps = 0): string {
  return TOTP.generate({ secret: Secret.fromBase32(secret), algorithm: 'SHA1', digits: 6, period: 30, timestamp: server.clock.now().getTime() + offsetSteps * 30_000 });
}

/** Moves the clock to the start of the next 30-second step (so a fresh code exists). */
export function nextStep(server: TestServer): void {
  const now = server.clock.now().getTime();
  server.clock.advance(30_000 - (now % 30_000));
}

/** Enrolls and confirms TOTP for the session's user; returns the secret and recovery codes. */
export async function enableTotp(server: TestServer, token: string): Promise<{ secret: string; codes: string[] }> {
  const enrolled = (await server.gql(ENROLL, {}, { token })).body.data?.enrollTotp;
  if (enrolled?.__typename !== 'TotpEnrollment') throw new Error(`enrollTotp failed: ${JSON.stringify(enrolled)}`);
  const confirmed = (await server.gql(CONFIRM, { code: totpCode(server, enrolled.secret) }, { token })).body.data?.confirmTotp;
  if (confirmed?.__typename !== 'RecoveryCodes') throw new Error(`confirmTotp failed: ${JSON.stringify(confirmed)}`);
  // The code used to confirm is spent: later sign-ins in the test start at a fresh step.
  nextStep(server);
  return { secret: enrolled.secret, codes: confirmed.codes };
}

export async function loginChallenge(server: TestServer, email: string, password = STRONG_PASSWORD): Promise<{ challenge: string; factors: string[]; expiresAt: string }> {
  const result = (await server.gql(LOGIN_MFA, { email, password })).body.data?.login;
  if (result?.__typename !== 'SecondFactorRequired') throw new Error(`expected SecondFactorRequired: ${JSON.stringify(result)}`);
  return result;
}
