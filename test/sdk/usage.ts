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

function present<T>(result: T | null | undefined): T {
  if (result == null) throw new Error('the mutation answered null');
  return result;
}

export async function runSdk(url: string, email: string, password: string, confirmToken: () => Promise<string>): Promise<SdkRun> {
  const strength = await request(url, PasswordStrengthDocument, { password: 'password', email });

  // A mutation's result is null only beside a GraphQL error (e.g. RATE_LIMITED), which request() throws.
  const registered = present((await request(url, RegisterDocument, { input: { email, password, displayName: 'SDK' } })).register);
  if (registered.__typename !== 'AccountStatus') throw new Error(registered.message);

  const confirmed = present((await request(url, ConfirmEmailDocument, { input: { token: await confirmToken() } })).confirmEmail);
  if (confirmed.__typename !== 'AccountStatus') throw new Error(confirmed.message);

  const wrong = present((await request(url, LoginDocument, { input: { email, password: 'not the password' } })).login);
  if (wrong.__typename === 'CreatedSession') throw new Error('wrong password accepted');

  const login = present((await request(url, LoginDocument, { input: { email, password } })).login);
  if (login.__typename !== 'CreatedSession') throw new Error(login.message);
  const token: string = login.token;

  const viewer = await request(url, ViewerDocument, {}, token);
  if (!viewer.viewer) throw new Error('viewer is null');

  return {
    registered: registered.email,
    weakScore: strength.validatePassword.score,
    confirmed: confirmed.email,
    email: viewer.viewer.email,
    sessions: viewer.viewer.sessions.length,
    wrongPasswordCode: wrong.code,
  };
}

// Compile-time proof that the generated types are strict (each line must be a type error).
export function typeErrors(url: string): void {
  // @ts-expect-error: `password` is required by RegisterInput
  void request(url, RegisterDocument, { input: { email: 'a@example.com' } });
  // @ts-expect-error: LoginInput takes `email`, not `username`
  void request(url, LoginDocument, { input: { username: 'a', password: 'b' } });
  void request(url, ViewerDocument, {}).then((data) => {
    // @ts-expect-error: `viewer` may be null
    void data.viewer.email;
  });
}
