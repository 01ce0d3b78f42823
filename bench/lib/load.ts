// HTTP load with autocannon, from this (the driver's) process. A sample request is checked first,
// so a benchmark never measures how fast a server answers with an error.
import autocannon from 'autocannon';

export interface GraphQLLoad {
  url: string;
  query: string;
  variables?: Record<string, unknown>;
  token?: string;
  /** Checks a sample response body; throws when it is not the expected answer. */
  expect: (body: any) => void;
}

export interface LoadOptions {
  connections: number;
  durationSeconds: number;
  /** Requests per second over all connections (default: as fast as the server answers). */
  overallRate?: number;
}

export interface LoadResult {
  requestsPerSecond: number;
  latencyP50Ms: number;
  latencyP99Ms: number;
  latencyMeanMs: number;
  requests: number;
  non2xx: number;
  errors: number;
}

function requestOf(load: GraphQLLoad): { body: string; headers: Record<string, string> } {
  return {
    body: JSON.stringify({ query: load.query, variables: load.variables ?? {} }),
    headers: { 'content-type': 'application/json', ...(load.token ? { authorization: `Bearer ${load.token}` } : {}) },
  };
}

export async function checkSample(load: GraphQLLoad): Promise<void> {
  const { body, headers } = requestOf(load);
  const res = await fetch(load.url, { method: 'POST', headers, body, signal: AbortSignal.timeout(30_000) });
  const json = (await res.json()) as { data?: unknown; errors?: unknown[] };
  if (res.status !== 200 || json.errors?.length) throw new Error(`sample request failed (${res.status}): ${JSON.stringify(json).slice(0, 500)}`);
  load.expect(json);
}

export async function runLoad(load: GraphQLLoad, options: LoadOptions): Promise<LoadResult> {
  const { body, headers } = requestOf(load);
  const result = await autocannon({
    url: load.url,
    method: 'POST',
    headers,
    body,
    connections: options.connections,
    duration: options.durationSeconds,
    ...(options.overallRate ? { overallRate: options.overallRate } : {}),
    timeout: 30,
  });
  return {
    requestsPerSecond: result.requests.total / options.durationSeconds,
    latencyP50Ms: result.latency.p50,
    latencyP99Ms: result.latency.p99,
    latencyMeanMs: result.latency.mean,
    requests: result.requests.total,
    non2xx: result.non2xx,
    errors: result.errors,
  };
}

/** A load run whose failures (non-2xx, socket errors) make the whole benchmark fail loudly. */
export async function runCheckedLoad(load: GraphQLLoad, options: LoadOptions): Promise<LoadResult> {
  const result = await runLoad(load, options);
  if (result.non2xx || result.errors) throw new Error(`${result.non2xx} non-2xx answers and ${result.errors} errors under load (${load.url})`);
  return result;
}
