// The admin console's budgets (issue 18), measured against the built console/dist and a real
// Gatehouse in Debian's Chromium: the JavaScript /admin loads (gzipped) against 150 KiB; the first
// render (navigation start → the sign-in heading painted, a cold browser context each run) against
// 1 s; and the users page on a database of 1,000,000 users (the users scenario's, built once into
// bench/.cache/): the first page and "Next page", click → new rows painted, against 300 ms each.
// These goals are absolute, so the row's baseline is the budget itself and the ratio ≤ 1× is the goal.
import { copyFileSync, existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import type { Browser, Page } from 'playwright-core';
import { launchChromium } from '../../test/passkeys/passkey-page.ts';
import { CONSOLE_DIST } from '../../src/console/http.ts';
import { ADMIN_EMAIL, ADMIN_PASSWORD, startGatehouse } from '../lib/gatehouse.ts';
import { tempDir } from '../lib/processes.ts';
import { fmt, median, type ResultRow } from '../lib/report.ts';
import type { RunOptions } from '../lib/report.ts';
import { USERS, usersDatabase } from './users.ts';

const JS_BUDGET_KIB = 150;
const FIRST_RENDER_BUDGET_MS = 1000;
const USERS_PAGE_BUDGET_MS = 300;

/**
 * The JavaScript files index.html loads before anything runs: its module scripts and
 * modulepreloads, and every chunk those import statically (a dynamic import() is not initial load).
 */
export function initialScripts(dist = CONSOLE_DIST): string[] {
  const html = readFileSync(join(dist, 'index.html'), 'utf8');
  const pending = [...html.matchAll(/<(?:script|link)\b[^>]*\b(?:src|href)="\/admin\/([^"]+\.js)"/g)].map((m) => m[1]!);
  const seen = new Set<string>();
  while (pending.length) {
    const file = pending.pop()!;
    if (seen.has(file)) continue;
    seen.add(file);
    const code = readFileSync(join(dist, file), 'utf8');
    // Minified static imports: `import{a as b}from"./x.js"`, `import"./x.js"`, `export*from"./x.js"`.
    for (const m of code.matchAll(/(?:\bfrom|\bimport)\s*["']\.\/([^"']+\.js)["']/g)) pending.push(join(file, '..', m[1]!));
  }
  return [...seen].sort();
}

function bundleRow(log: (line: string) => void): ResultRow {
  const files = initialScripts();
  let gzipped = 0;
  for (const file of files) {
    const body = readFileSync(join(CONSOLE_DIST, file));
    const size = gzipSync(body).length;
    gzipped += size;
    log(`  ${file}: ${(body.length / 1024).toFixed(1)} KiB, ${(size / 1024).toFixed(1)} KiB gzipped`);
  }
  const kib = gzipped / 1024;
  return {
    scenario: `JavaScript /admin loads (${files.length} file${files.length === 1 ? '' : 's'}, gzip)`,
    metric: 'KiB',
    gatehouse: kib,
    baseline: JS_BUDGET_KIB,
    baselineLabel: 'budget',
    goal: { kind: 'max', ratio: 1 },
  };
}

/** Milliseconds from navigation start to the first frame painted with the sign-in heading. */
const FIRST_RENDER_PROBE = `
  new MutationObserver((_, observer) => {
    const heading = [...document.querySelectorAll('h1')].find((h) => h.textContent === 'Sign in to Gatehouse');
    if (!heading) return;
    observer.disconnect();
    // The frame that shows it: rAF runs before the paint, a task queued from it after.
    requestAnimationFrame(() => setTimeout(() => (window.__firstRender = performance.now())));
  }).observe(document, { childList: true, subtree: true });
`;

async function firstRenderRow(browser: Browser, origin: string, runs: number, log: (line: string) => void): Promise<ResultRow> {
  const times: number[] = [];
  const phases: string[] = [];
  // Run 0 warms the server up (a visitor meets a running server, not one compiling its first request): not counted.
  for (let run = 0; run <= runs; run++) {
    // A new context each run: an empty cache, as a first visit.
    const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
    const page = await context.newPage();
    const scripts: string[] = [];
    page.on('request', (r) => r.resourceType() === 'script' && scripts.push(new URL(r.url()).pathname));
    // Injected through CDP before any script of the page, so the console's CSP does not apply.
    await page.addInitScript(FIRST_RENDER_PROBE);
    await page.goto(`${origin}/admin`);
    const ms = (await (await page.waitForFunction(() => (window as { __firstRender?: number }).__firstRender)).jsonValue()) as number;
    // Where the time went: the document, the last script, the console's first query (ConsoleStart).
    const [html, js, api] = await page.evaluate(() => {
      const resources = performance.getEntriesByType('resource') as PerformanceResourceTiming[];
      const done = (pick: (r: PerformanceResourceTiming) => boolean) => Math.max(0, ...resources.filter(pick).map((r) => r.responseEnd));
      return [(performance.getEntriesByType('navigation')[0] as PerformanceNavigationTiming).responseEnd, done((r) => r.name.endsWith('.js')), done((r) => r.name.endsWith('/graphql'))];
    });
    if (run === 0) log(`  scripts the browser fetched: ${scripts.join(', ')}`);
    else {
      times.push(ms);
      phases.push(`${fmt(ms)} (html ${fmt(html)}, js ${fmt(js)}, ConsoleStart ${fmt(api)})`);
    }
    await context.close();
  }
  log(`  first render, ms (each: when the document, the last script and the first query had arrived): ${phases.join('; ')}`);
  return {
    scenario: `/admin first render (cold, navigation start → sign-in painted, median of ${runs})`,
    metric: 'ms',
    gatehouse: median(times),
    baseline: FIRST_RENDER_BUDGET_MS,
    baselineLabel: 'budget',
    goal: { kind: 'max', ratio: 1 },
    samples: { gatehouse: times, baseline: times.map(() => FIRST_RENDER_BUDGET_MS) },
  };
}

/**
 * Runs `act` in the page and answers the milliseconds until the users table shows a first row
 * other than the one before, painted. Measured in the page: no round trip of the driver counts.
 */
async function timeRowsChange(page: Page, act: 'next' | 'nav'): Promise<number> {
  return page.evaluate(async (act) => {
    const firstCell = () => document.querySelector('tbody tr td')?.textContent ?? null;
    const before = act === 'next' ? firstCell() : null;
    const started = performance.now();
    const shown = new Promise<number>((resolve) => {
      const observer = new MutationObserver(() => {
        const now = firstCell();
        if (now === null || now === before) return;
        observer.disconnect();
        requestAnimationFrame(() => setTimeout(() => resolve(performance.now() - started)));
      });
      observer.observe(document.body, { childList: true, subtree: true, characterData: true });
    });
    const target =
      act === 'next'
        ? [...document.querySelectorAll('button')].find((b) => b.textContent?.trim() === 'Next page')
        : [...document.querySelectorAll('nav a')].find((a) => a.textContent?.trim() === 'Users');
    if (!target) throw new Error(`no ${act === 'next' ? '"Next page" button' : '"Users" link'} on ${location.pathname}`);
    (target as HTMLElement).click();
    return shown;
  }, act);
}

async function usersPageRows(browser: Browser, origin: string, runs: number, log: (line: string) => void): Promise<ResultRow[]> {
  const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
  const page = await context.newPage();
  await page.goto(`${origin}/admin/account`);
  await page.getByLabel('Email').fill(ADMIN_EMAIL);
  await page.getByLabel('Password').fill(ADMIN_PASSWORD);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.getByRole('heading', { name: 'My account', level: 1 }).waitFor();
  const firstPage: number[] = [];
  const nextPage: number[] = [];
  // Warm-up: one of each, not counted (the server's first query plans, the page's first render).
  await timeRowsChange(page, 'nav');
  await timeRowsChange(page, 'next');
  for (let run = 0; run < runs; run++) {
    // From My account to Users (a client route): the page mounts and asks for the first page.
    await page.getByRole('navigation', { name: 'Console' }).getByRole('link', { name: 'My account' }).click();
    await page.getByRole('heading', { name: 'My account', level: 1 }).waitFor();
    firstPage.push(await timeRowsChange(page, 'nav'));
    for (let step = 0; step < 2; step++) {
      await page.getByRole('button', { name: 'Next page' }).and(page.locator(':enabled')).waitFor();
      nextPage.push(await timeRowsChange(page, 'next'));
    }
  }
  await context.close();
  log(`  users first page: ${firstPage.map((t) => fmt(t)).join(', ')} ms`);
  log(`  users next page: ${nextPage.map((t) => fmt(t)).join(', ')} ms`);
  const row = (what: string, times: number[]): ResultRow => ({
    scenario: `users page at ${USERS.toLocaleString('en')} users: ${what} (median of ${times.length})`,
    metric: 'ms',
    gatehouse: median(times),
    baseline: USERS_PAGE_BUDGET_MS,
    baselineLabel: 'budget',
    goal: { kind: 'max', ratio: 1 },
    samples: { gatehouse: times, baseline: times.map(() => USERS_PAGE_BUDGET_MS) },
  });
  return [row('open (click "Users" → rows painted)', firstPage), row('click "Next page" → rows painted', nextPage)];
}

export async function consoleScenario(options: RunOptions): Promise<ResultRow[]> {
  if (!existsSync(join(CONSOLE_DIST, 'index.html'))) throw new Error('console/dist is missing: run `npm run console:build` first');
  const rows = [bundleRow(options.log)];
  const source = await usersDatabase(options.log);
  const databasePath = join(tempDir('console'), 'users.db');
  copyFileSync(source, databasePath);
  const gatehouse = await startGatehouse({ databasePath });
  const browser = await launchChromium();
  try {
    const runs = options.quick ? 3 : Math.max(7, options.rounds);
    rows.push(await firstRenderRow(browser, gatehouse.origin, runs, options.log));
    rows.push(...(await usersPageRows(browser, gatehouse.origin, options.quick ? 2 : Math.max(5, options.rounds), options.log)));
  } finally {
    await browser.close();
    await gatehouse.stop();
  }
  return rows;
}
