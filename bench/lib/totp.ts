// Accounts with an authenticator app (TOTP) for the benchmarks: made through the API as a person
// would (createUser, sign in, enrollTotp, confirmTotp), with codes computed here by otpauth.
import { Secret, TOTP } from 'otpauth';
import { graphql } from './gatehouse.ts';

export interface TotpAccount {
  email: string;
  password: string;
  secret: string;
  /** The last 30-second step a code of this account was sent for (each is accepted once). */
  lastStep: number;
}

export const LOGIN = `mutation ($email: String!, $password: String!) {
  login(input: { email: $email, password: $password }) { __typename ... on CreatedSession { token } ... on SecondFactorRequired { challenge } }
}`;
export const VERIFY = `mutation ($input: VerifySecondFactorInput!) { verifySecondFactor(input: $input) { __typename ... on CreatedSession { token } } }`;

export const stepNow = () => Math.floor(Date.now() / 30_000);
export const codeFor = (account: TotpAccount, step: number) =>
  TOTP.generate({ secret: Secret.fromBase32(account.secret), algorithm: 'SHA1', digits: 6, period: 30, timestamp: step * 30_000 + 1000 });

/** A confirmed user (made by the admin session `admin`), signed in once: its session token. */
export async function createSignedInUser(url: string, admin: string, email: string, password: string): Promise<string> {
  const created = await graphql(url, `mutation ($email: String!, $password: String!) {
    createUser(input: { email: $email, password: $password, confirmed: true }) { __typename } }`, { email, password }, admin);
  if (created.createUser.__typename !== 'User') throw new Error(`createUser: ${JSON.stringify(created)}`);
  const login = (await graphql(url, LOGIN, { email, password })).login;
  if (login.__typename !== 'CreatedSession') throw new Error(`login: ${JSON.stringify(login)}`);
  return login.token as string;
}

/** A new user with a confirmed authenticator app. */
export async function createTotpAccount(url: string, admin: string, email: string, password: string): Promise<TotpAccount> {
  const session = await createSignedInUser(url, admin, email, password);
  const secret = (await graphql(url, 'mutation { enrollTotp { ... on TotpEnrollment { secret } } }', {}, session)).enrollTotp.secret as string;
  const account = { email, password, secret, lastStep: stepNow() };
  const confirmed = await graphql(url, 'mutation ($code: String!) { confirmTotp(input: { code: $code }) { __typename } }', { code: codeFor(account, account.lastStep) }, session);
  if (confirmed.confirmTotp.__typename !== 'RecoveryCodes') throw new Error(`confirmTotp: ${JSON.stringify(confirmed)}`);
  return account;
}

/**
 * `login` + `verifySecondFactor` with the account's next unused step (the current one or the next:
 * the previous may leave the server's one step of drift before the code arrives). Null when the
 * account has used both for now. Returns the session token.
 */
export async function signInWithTotp(url: string, account: TotpAccount): Promise<string | null> {
  const step = Math.max(account.lastStep + 1, stepNow());
  if (step > stepNow() + 1) return null;
  account.lastStep = step;
  const started = (await graphql(url, LOGIN, { email: account.email, password: account.password })).login;
  if (started.__typename !== 'SecondFactorRequired') throw new Error(`login: ${JSON.stringify(started)}`);
  const done = (await graphql(url, VERIFY, { input: { challenge: started.challenge, totp: codeFor(account, step) } })).verifySecondFactor;
  if (done.__typename !== 'CreatedSession') throw new Error(`verifySecondFactor: ${JSON.stringify(done)}`);
  return done.token as string;
}
