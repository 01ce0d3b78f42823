// A front end's use of the generated SDK, type-checked and run by sdk.test.ts.
// Not part of the main type check: it needs `test/sdk/generated/`, which the test generates first.
import { print } from 'graphql';
import type { TypedDocumentNode } from '@graphql-typed-document-node/core';
import {
  ConfirmEmailDocument,
  LoginDocument,
  PasswordStrengthDocument,
  RegisterDocument,
  ViewerDocument,
} from './generated/graphql.ts';

/**
 * The whole "SDK runtime" a front end needs: one typed fetch. A document generated with
 * `persistedDocuments` carries its hash (`__meta__.hash`, "sha256:<hex>"), which is sent instead of
 * the document: the form a server with TRUSTED_DOCUMENTS runs for everyone.
 */
export async function request<TResult, TVariables>(
  url: string,
  document: TypedDocumentNode<TResult, TVariables>,
  variables: TVariables,
  token?: string,
): Promise<TResult> {
  const hash = (document as { __meta__?: { hash?: string } }).__meta__?.hash;
  const operation = hash
    ? { extensions: { persistedQuery: { version: 1, sha256Hash: hash.replace(/^sha256:/, '') } } }
    : { query: print(document) };
  const res = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
    body: JSON.stringify({ ...operation, variables }),
  });
  const body = (await res.json()) as { data?: TResult; errors?: { message: string }[] };
  if (body.errors?.length || !body.data) throw new Error(body.errors?.[0]?.message ?? `HTTP ${res.status}`);
  return body.data;
}

export interface SdkRun {
  registered: string;
  weakScore: number;
  confirmed: string;
  email: string;
  sessions: number;
  wrongPasswordCode: string;
}

export async function runSdk(url: string, email: string, password: string, confirmToken: () => Promise<string>): Promise<SdkRun> {
  const strength = await request(url, PasswordStrengthDocument, { password: 'password', email });

  const registered = await request(url, RegisterDocument, { input: { email, password, displayName: 'SDK' } });
  if (registered.register.__typename !== 'RegisterResult') throw new Error(registered.register.message);

  const confirmed = await request(url, ConfirmEmailDocument, { token: await confirmToken() });
  if (confirmed.confirmEmail.__typename !== 'EmailResult') throw new Error(confirmed.confirmEmail.message);

  const wrong = await request(url, LoginDocument, { email, password: 'not the password' });
  // `login` is nullable: it is null only beside a GraphQL error (e.g. RATE_LIMITED), which request() throws.
  if (!wrong.login || wrong.login.__typename === 'LoginResult') throw new Error('wrong password accepted');

  const login = await request(url, LoginDocument, { email, password });
  if (!login.login) throw new Error('login returned no result');
  if (login.login.__typename !== 'LoginResult') throw new Error(login.login.message);
  const token: string = login.login.token;

  const viewer = await request(url, ViewerDocument, {}, token);
  if (!viewer.viewer) throw new Error('viewer is null');

  return {
    registered: registered.register.email,
    weakScore: strength.validatePassword.score,
    confirmed: confirmed.confirmEmail.email,
    email: viewer.viewer.email,
    sessions: viewer.viewer.sessions.length,
    wrongPasswordCode: wrong.login.code,
  };
}

// Compile-time proof that the generated types are strict (each line must be a type error).
export function typeErrors(url: string): void {
  // @ts-expect-error: `password` is required by RegisterInput
  void request(url, RegisterDocument, { input: { email: 'a@example.com' } });
  // @ts-expect-error: Login takes `email`, not `username`
  void request(url, LoginDocument, { username: 'a', password: 'b' });
  void request(url, ViewerDocument, {}).then((data) => {
    // @ts-expect-error: `viewer` may be null
    void data.viewer.email;
  });
}
