// Small helpers shared by the account-flow tests (confirmation, password reset, profile).
import { STRONG_PASSWORD, type TestServer } from '../helpers/server.ts';
import { linkIn, type ReceivedMail } from '../helpers/smtp.ts';

const LOGIN = `mutation($email: String!, $password: String!) {
  login(input: { email: $email, password: $password }) {
    __typename
    ... on Error { code }
  }
}`;

/** 'CreatedSession' when the login succeeds, otherwise the failure's code (e.g. 'INVALID_CREDENTIALS'). */
export async function loginOutcome(server: TestServer, email: string, password = STRONG_PASSWORD): Promise<string> {
  const result = (await server.gql(LOGIN, { email, password })).body.data?.login;
  return result.__typename === 'CreatedSession' ? 'CreatedSession' : result.code;
}

/**
 * Every mail received for `email` with a matching subject, oldest first, once all background sending
 * is done; so an empty list proves that nothing was sent.
 */
export async function mailsTo(server: TestServer, email: string, subject: RegExp): Promise<ReceivedMail[]> {
  await server.gatehouse.services.background.settle();
  return server.mail.messages.filter((m) => m.to.toLowerCase() === email.toLowerCase() && subject.test(m.subject));
}

/** The token of the link in a mail. */
export const tokenIn = (mail: ReceivedMail): string => linkIn(mail).searchParams.get('token')!;
