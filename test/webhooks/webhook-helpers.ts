// Shared by the webhook tests: a real HTTP receiver that verifies every request with the
// standardwebhooks library, an admin to manage endpoints, and the GraphQL operations.
import assert from 'node:assert/strict';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Webhook } from 'standardwebhooks';
import { createConfirmedUser, type TestServer } from '../helpers/server.ts';
import { grantRole } from '../admin/users-helpers.ts';
import { WebhookDelivery } from '../../src/webhooks/entities.ts';

export interface Received {
  headers: IncomingHttpHeaders;
  body: string;
  /** The parsed body, when the signature verified with the receiver's secrets. */
  verified: { type: string; timestamp: string; data: Record<string, any> } | null;
  /** Which of the receiver's secrets verified it. */
  verifiedWith: string[];
}

/** What the receiver answers: a status, a redirect, or nothing at all (the request hangs). */
export type Answer = number | { redirect: string } | 'hang';

export interface Receiver {
  url: string;
  received: Received[];
  /** Secrets the receiver accepts (each checked with standardwebhooks' Webhook.verify). */
  secrets: string[];
  answer: (request: Received) => Answer;
  /** Waits (real time, polling) until `count` requests arrived. */
  waitFor(count: number, what?: string): Promise<Received[]>;
  close(): Promise<void>;
}

export async function startReceiver(): Promise<Receiver> {
  const hanging = new Set<() => void>();
  const receiver: Receiver = {
    url: '',
    received: [],
    secrets: [],
    answer: () => 204,
    async waitFor(count, what = 'deliveries') {
      const deadline = Date.now() + 10_000;
      while (receiver.received.length < count) {
        if (Date.now() > deadline) assert.fail(`expected ${count} ${what}, the receiver got ${receiver.received.length}`);
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
      return receiver.received;
    },
    close: () =>
      new Promise<void>((resolve) => {
        for (const release of hanging) release();
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const body = Buffer.concat(chunks).toString('utf8');
      const verifiedWith = receiver.secrets.filter((secret) => {
        try {
          new Webhook(secret).verify(body, req.headers as Record<string, string>);
          return true;
        } catch {
          // Not signed with this secret: the list says which ones did.
          return false;
        }
      });
      const entry: Received = { headers: req.headers, body, verified: verifiedWith.length ? (JSON.parse(body) as Received['verified']) : null, verifiedWith };
      receiver.received.push(entry);
      const answer = receiver.answer(entry);
      if (answer === 'hang') {
        hanging.add(() => res.destroy());
        return;
      }
      if (typeof answer === 'object') {
        res.writeHead(302, { location: answer.redirect }).end();
        return;
      }
      res.writeHead(answer).end(answer === 204 ? undefined : 'answer from the receiver');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  receiver.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/hooks`;
  return receiver;
}

/** A signed-in admin (the admin role holds webhooks:read and webhooks:write). */
export async function signedInAdmin(server: TestServer, email = 'admin@example.com'): Promise<{ token: string; userId: string }> {
  const admin = await createConfirmedUser(server, email);
  await grantRole(server, admin.userId, 'admin');
  return admin;
}

export const ENDPOINT_FIELDS = 'id url description eventTypes enabled previousSecretUntil createdAt updatedAt';

export const OPS = {
  create: `mutation($input: CreateWebhookEndpointInput!) {
    createWebhookEndpoint(input: $input) {
      __typename
      ... on WebhookEndpointWithSecret { secret endpoint { ${ENDPOINT_FIELDS} } }
      ... on ValidationError { code fields { field messages } }
    }
  }`,
  update: `mutation($input: UpdateWebhookEndpointInput!) {
    updateWebhookEndpoint(input: $input) {
      __typename
      ... on WebhookEndpoint { ${ENDPOINT_FIELDS} }
      ... on ValidationError { code fields { field messages } }
    }
  }`,
  rotate: `mutation($id: ID!, $overlapHours: Int) {
    rotateWebhookSecret(input: { id: $id, overlapHours: $overlapHours }) {
      __typename
      ... on WebhookEndpointWithSecret { secret endpoint { ${ENDPOINT_FIELDS} } }
      ... on ValidationError { code fields { field messages } }
    }
  }`,
  remove: `mutation($id: ID!) { deleteWebhookEndpoint(input: { id: $id }) { __typename ... on DeletedWebhookEndpoint { id url } } }`,
  list: `query { webhookEndpoints { ${ENDPOINT_FIELDS} } }`,
  eventTypes: `query { webhookEventTypes { name description } }`,
  deliveries: `query($endpointId: ID!, $first: Int, $after: String) {
    webhookDeliveries(endpointId: $endpointId, first: $first, after: $after) {
      edges { cursor node { id eventId eventType payload status attempts nextAttemptAt lastAttemptAt lastResponseStatus lastError createdAt deliveredAt } }
      pageInfo { hasNextPage endCursor }
    }
  }`,
  replay: `mutation($id: ID!) { replayWebhookDelivery(input: { id: $id }) { __typename ... on WebhookDelivery { id status attempts } } }`,
};

/** Adds an endpoint for the receiver (every event unless told) and gives the receiver its secret. */
export async function addEndpoint(server: TestServer, token: string, receiver: Receiver, eventTypes = ['*'], extra: Record<string, unknown> = {}): Promise<{ id: string; secret: string }> {
  const res = await server.gql(OPS.create, { input: { url: receiver.url, eventTypes, ...extra } }, { token });
  const result = res.body.data?.createWebhookEndpoint;
  assert.equal(result?.__typename, 'WebhookEndpointWithSecret', JSON.stringify(res.body));
  receiver.secrets.push(result.secret);
  return { id: result.endpoint.id, secret: result.secret };
}

/** The endpoint's deliveries as stored, oldest first. */
export async function storedDeliveries(server: TestServer, endpointId: string) {
  return server.gatehouse.services.orm.em.fork().find(WebhookDelivery, { endpoint: endpointId }, { orderBy: { id: 'asc' }, populate: ['event'] });
}

/** Waits (polling, real time) until the check holds on the stored deliveries. */
export async function waitForDeliveries(server: TestServer, endpointId: string, check: (rows: WebhookDelivery[]) => boolean, what: string): Promise<WebhookDelivery[]> {
  const deadline = Date.now() + 10_000;
  for (;;) {
    const rows = await storedDeliveries(server, endpointId);
    if (check(rows)) return rows;
    if (Date.now() > deadline) assert.fail(`timed out waiting for ${what}: ${JSON.stringify(rows.map((r) => ({ status: r.status, attempts: r.attempts, lastError: r.lastError })))}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

/** Test servers poll for due deliveries often and give up on a silent endpoint within 2 s (a loaded CI machine can take longer than 400 ms to answer a good one). */
export const WEBHOOK_ENV = { WEBHOOK_POLL_INTERVAL: '25ms', WEBHOOK_TIMEOUT: '2s' };
