// Scraping a test server's /metrics and reading samples out of Prometheus' text format.
import type { TestServer } from '../helpers/server.ts';

export interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

/** Every sample line of an exposition (comments skipped); label values unescaped. */
export function parseExposition(text: string): Sample[] {
  const samples: Sample[] = [];
  for (const line of text.split('\n')) {
    if (!line || line.startsWith('#')) continue;
    const match = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (!match) throw new Error(`not a sample line: ${line}`);
    const labels: Record<string, string> = {};
    for (const [, key, raw] of (match[2] ?? '').matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g)) {
      labels[key!] = raw!.replace(/\\(.)/g, (_, c: string) => (c === 'n' ? '\n' : c));
    }
    samples.push({ name: match[1]!, labels, value: Number(match[3]) });
  }
  return samples;
}

export class Scrape {
  readonly text: string;
  readonly samples: Sample[];
  constructor(text: string) {
    this.text = text;
    this.samples = parseExposition(text);
  }

  /** Samples of `name` whose labels include `labels`. */
  find(name: string, labels: Record<string, string> = {}): Sample[] {
    return this.samples.filter((s) => s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v));
  }

  /** The value of the one sample of `name` with exactly these labels (undefined when absent). */
  value(name: string, labels: Record<string, string> = {}): number | undefined {
    const keys = Object.keys(labels).length;
    return this.find(name, labels).find((s) => Object.keys(s.labels).length === keys)?.value;
  }
}

export async function scrape(server: TestServer, token: string): Promise<Scrape> {
  const res = await fetch(`${server.origin}/metrics`, { headers: { authorization: `Bearer ${token}` } });
  if (res.status !== 200) throw new Error(`/metrics answered ${res.status}: ${await res.text()}`);
  return new Scrape(await res.text());
}

/** Scrapes until `check` holds (a gauge follows a socket closing a moment later), or fails after `ms`. */
export async function scrapeUntil(server: TestServer, token: string, check: (scrape: Scrape) => boolean, ms = 5_000): Promise<Scrape> {
  const deadline = Date.now() + ms;
  for (;;) {
    const result = await scrape(server, token);
    if (check(result)) return result;
    if (Date.now() > deadline) throw new Error(`metrics did not reach the expected state within ${ms} ms:\n${result.text}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}
