// HTTP load with autocannon, each run in a load-driver process of its own (bench/lib/load-driver.ts),
// never in the process that starts the servers and collects results. The driver's CPU share over
// the run is reported with every result: a run whose driver used most of a core may have measured
// the driver rather than the server, and the scenarios count such a round as void. A sample
// request is checked first, so a benchmark never measures how fast a server answers with an error.
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ROOT } from './processes.ts';

/** At or above this share of one core, the load driver may have been the bottleneck: the round is void. */
export const DRIVER_VOID_SHARE = 0.9;

const DRIVER = join(ROOT, 'bench', 'lib', 'load-driver.ts');

export interface GraphQLLoad {
  url: string;
  query: string;
  variables?: Record<string, unknown>;
  token?: string;
  /** Checks a sample response body; throws when it is not the expected answer. */
  expect: (body: any) => void;
  /** The answering server's process id: its CPU share over the run is reported too. */
  serverPid?: number;
  /** autocannon replaces each `[<id>]` in the body with a fresh id per request (e.g. a new email per `register`). */
  idReplacement?: boolean;
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
  /** CPU time of the load-driver process over the run, as a share of one core (1 = a whole core). */
  driverCpuShare: number;
  /** The same for the server (when `serverPid` was given), from /proc/<pid>/stat. */
  serverCpuShare?: number;
  /** The driver used DRIVER_VOID_SHARE of a core or more: the run may have measured the driver. */
  driverSaturated: boolean;
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

/** User + system CPU time of a process so far, in microseconds (Linux /proc). */
export function processCpuMicros(pid: number, mainThreadOnly = false): number | null {
  try {
    // The main thread's own line (its task id is the pid): JavaScript, without libuv's pool (argon2).
    const stat = readFileSync(mainThreadOnly ? `/proc/${pid}/task/${pid}/stat` : `/proc/${pid}/stat`, 'utf8');
    // Fields after the command name (which may contain spaces), from field 3 on: utime is 14, stime 15.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const ticks = Number(fields[11]) + Number(fields[12]);
    return (ticks / CLOCK_TICKS) * 1e6;
  } catch {
    return null;
  }
}
/** sysconf(_SC_CLK_TCK): 100 on every Linux Node runs on. */
const CLOCK_TICKS = 100;

interface DriverOutput {
  requests: number;
  latency: { p50: number; p99: number; mean: number };
  non2xx: number;
  errors: number;
  cpuMicros: number;
  wallMicros: number;
}

/** Runs the driver; `onStart` and `onEnd` are called as it starts and ends its run (its own start-up excluded). */
function runDriver(options: Record<string, unknown>, onStart: () => void, onEnd: () => void): Promise<DriverOutput> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [DRIVER, JSON.stringify(options)], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    let result: DriverOutput | null = null;
    child.stdout.on('data', (chunk: Buffer) => {
      stdout += chunk.toString();
      let newline;
      while ((newline = stdout.indexOf('\n')) >= 0) {
        const line = stdout.slice(0, newline);
        stdout = stdout.slice(newline + 1);
        if (!line.startsWith('{')) continue;
        const parsed = JSON.parse(line) as DriverOutput | { started: true };
        if ('started' in parsed) onStart();
        else {
          onEnd();
          result = parsed;
        }
      }
    });
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.once('error', reject);
    child.once('exit', (code, signal) => {
      if (code !== 0) return reject(new Error(`load driver exited (${code ?? signal}): ${stderr.slice(-2000)}`));
      if (!result) return reject(new Error(`load driver printed no result: ${stdout.slice(-500)} ${stderr.slice(-1000)}`));
      resolve(result);
    });
  });
}

export async function runLoad(load: GraphQLLoad, options: LoadOptions): Promise<LoadResult> {
  const { body, headers } = requestOf(load);
  const serverCpu: [number | null, number | null] = [null, null];
  const serverWall: [number, number] = [0, 0];
  const serverSample = (at: 0 | 1) => {
    if (load.serverPid === undefined) return;
    serverCpu[at] = processCpuMicros(load.serverPid);
    serverWall[at] = performance.now() * 1000;
  };
  const output = await runDriver(
    {
      url: load.url,
      method: 'POST',
      headers,
      body,
      connections: options.connections,
      duration: options.durationSeconds,
      ...(options.overallRate ? { overallRate: options.overallRate } : {}),
      ...(load.idReplacement ? { idReplacement: true } : {}),
      timeout: 30,
    },
    () => serverSample(0),
    () => serverSample(1),
  );
  const driverCpuShare = output.cpuMicros / output.wallMicros;
  const [cpuBefore, cpuAfter] = serverCpu;
  const serverCpuShare = cpuBefore !== null && cpuAfter !== null ? (cpuAfter - cpuBefore) / (serverWall[1] - serverWall[0]) : undefined;
  return {
    requestsPerSecond: output.requests / options.durationSeconds,
    latencyP50Ms: output.latency.p50,
    latencyP99Ms: output.latency.p99,
    latencyMeanMs: output.latency.mean,
    requests: output.requests,
    non2xx: output.non2xx,
    errors: output.errors,
    driverCpuShare,
    ...(serverCpuShare === undefined ? {} : { serverCpuShare }),
    driverSaturated: driverCpuShare >= DRIVER_VOID_SHARE,
  };
}

/** "driver 43% server 98% of a core" for the per-round log lines; "VOID" when the driver saturated. */
export function cpuNote(result: LoadResult): string {
  const pct = (share: number) => `${Math.round(share * 100)}%`;
  const server = result.serverCpuShare === undefined ? '' : ` server ${pct(result.serverCpuShare)}`;
  return `CPU: driver ${pct(result.driverCpuShare)}${server}${result.driverSaturated ? '  VOID (driver saturated a core)' : ''}`;
}

/** A load run whose failures (non-2xx, socket errors) make the whole benchmark fail loudly. */
export async function runCheckedLoad(load: GraphQLLoad, options: LoadOptions): Promise<LoadResult> {
  const result = await runLoad(load, options);
  if (result.non2xx || result.errors) throw new Error(`${result.non2xx} non-2xx answers and ${result.errors} errors under load (${load.url})`);
  return result;
}
