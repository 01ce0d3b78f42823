// Webhooks off the request path: `register` and `login` throughput (4 concurrent) of a Gatehouse
// with one endpoint subscribed to every event (a local receiver answering 204) against the same
// Gatehouse without webhooks, both started the same way in the same run. Rounds alternate which
// one is measured first. NODE_ENV=development for both: production refuses a loopback endpoint.
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { ADMIN_EMAIL, ADMIN_PASSWORD, adminSession, graphql, startGatehouse } from '../lib/gatehouse.ts';
import { checkSample, cpuNote, runCheckedLoad, type GraphQLLoad } from '../lib/load.ts';
import type { BenchProcess } from '../lib/processes.ts';
import { fmt, median, type ResultRow, type RunOptions } from '../lib/report.ts';

const REGISTER = 'mutation ($input: RegisterInput!) { register(input: $input) { __typename } }';
const LOGIN = 'mutation ($email: String!, $password: String!) { login(input: { email: $email, password: $password }) { __typename } }';
const PASSWORD = 'correct horse battery staple for the bench';

/** Counts what it receives and answers 204 at once. */
async function startReceiver(): Promise<{ url: string; received(): number; close(): Promise<void> }> {
  let count = 0;
  const server = createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      count++;
      res.writeHead(204).end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/hooks`,
    received: () => count,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}

function loads(gatehouse: BenchProcess): { register: GraphQLLoad; login: GraphQLLoad } {
  const url = `${gatehouse.origin}/graphql`;
  return {
    register: {
      url,
      serverPid: gatehouse.child.pid!,
      query: REGISTER,
      variables: { input: { email: 'bench-[<id>]@example.com', password: PASSWORD } },
      idReplacement: true,
      expect: () => undefined,
    },
    login: {
      url,
      serverPid: gatehouse.child.pid!,
      query: LOGIN,
      variables: { email: ADMIN_EMAIL, password: ADMIN_PASSWORD },
      expect: (body) => {
        if (body.data?.login?.__typename !== 'CreatedSession') throw new Error(`login failed: ${JSON.stringify(body)}`);
      },
    },
  };
}

/** One registration by hand: autocannon's ids make the emails, and each must be accepted. */
async function checkRegister(gatehouse: BenchProcess): Promise<void> {
  const data = await graphql(`${gatehouse.origin}/graphql`, REGISTER, { input: { email: `bench-check-${Date.now()}@example.com`, password: PASSWORD } });
  if (data.register.__typename !== 'AccountStatus') throw new Error(`register failed: ${JSON.stringify(data)}`);
}

export async function webhooksScenario(options: RunOptions): Promise<ResultRow[]> {
  const receiver = await startReceiver();
  const env = { NODE_ENV: 'development', ALLOW_REGISTRATION_BEFORE_SETUP: 'true' };
  const plain = await startGatehouse({ env: { ...(await options.backend.serverEnv('webhooks_plain')), ...env } });
  const hooked = await startGatehouse({ env: { ...(await options.backend.serverEnv('webhooks_hooked')), ...env } });
  try {
    const token = await adminSession(hooked);
    const created = await graphql(`${hooked.origin}/graphql`, 'mutation ($input: CreateWebhookEndpointInput!) { createWebhookEndpoint(input: $input) { __typename } }', { input: { url: receiver.url, eventTypes: ['*'] } }, token);
    if (created.createWebhookEndpoint.__typename !== 'WebhookEndpointWithSecret') throw new Error(`endpoint not created: ${JSON.stringify(created)}`);
    const servers = { plain: loads(plain), hooked: loads(hooked) };
    for (const server of [plain, hooked]) await checkRegister(server);
    for (const { login } of Object.values(servers)) await checkSample(login);
    for (const { register, login } of Object.values(servers)) {
      await runCheckedLoad(register, { connections: 4, durationSeconds: options.warmupSeconds });
      await runCheckedLoad(login, { connections: 4, durationSeconds: options.warmupSeconds });
    }

    const rates = { register: { plain: [] as number[], hooked: [] as number[] }, login: { plain: [] as number[], hooked: [] as number[] } };
    let registeredOnHooked = 0;
    for (let round = 1; round <= options.rounds; round++) {
      const order = round % 2 ? (['plain', 'hooked'] as const) : (['hooked', 'plain'] as const);
      for (const operation of ['register', 'login'] as const) {
        for (const which of order) {
          const result = await runCheckedLoad(servers[which][operation], { connections: 4, durationSeconds: options.durationSeconds });
          rates[operation][which].push(result.requestsPerSecond);
          if (which === 'hooked' && operation === 'register') registeredOnHooked += result.requests;
          options.log(`  webhooks round ${round} ${operation} ${which === 'hooked' ? 'with an endpoint' : 'without webhooks'}: ${fmt(result.requestsPerSecond)}/s (${cpuNote(result)})`);
        }
      }
    }
    options.log(`  webhooks: the receiver got ${receiver.received()} deliveries (${registeredOnHooked} registrations measured on the server with the endpoint, plus warm-up)`);
    return (['register', 'login'] as const).map((operation) => ({
      scenario: `\`${operation}\` with one webhook endpoint (every event), 4 concurrent`,
      metric: `${operation}s/s`,
      gatehouse: median(rates[operation].hooked),
      baseline: median(rates[operation].plain),
      baselineLabel: `the same without webhooks`,
      goal: { kind: 'min', ratio: 0.95 },
      samples: { gatehouse: rates[operation].hooked, baseline: rates[operation].plain },
    }));
  } finally {
    await Promise.all([plain.stop(), hooked.stop()]);
    await receiver.close();
  }
}
