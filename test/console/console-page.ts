// Shared by the console's browser tests: Chromium (as the passkey tests launch it), axe-core run in
// the page with a screenshot per checked state, and signing in through the console's own form.
import assert from 'node:assert/strict';
import { mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { createRequire } from 'node:module';
import type { Browser, Page } from 'playwright-core';
import { launchChromium } from '../passkeys/passkey-page.ts';

export { launchChromium };

export const SCREENSHOTS = join(import.meta.dirname, 'screenshots');
const AXE = readFileSync(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8');

/** axe-core in the page: no serious or critical violation; then a full-page screenshot `name`.png. */
export async function assertAccessible(page: Page, name: string): Promise<void> {
  mkdirSync(SCREENSHOTS, { recursive: true });
  // Evaluated through CDP: the page's CSP (rightly) refuses an injected inline script tag.
  await page.evaluate(AXE);
  const results = await page.evaluate(async () => (window as any).axe.run(document, { resultTypes: ['violations'] }));
  const bad = (results.violations as Array<{ id: string; impact: string; help: string; nodes: Array<{ target: string[] }> }>).filter(
    (v) => v.impact === 'serious' || v.impact === 'critical',
  );
  assert.deepEqual(bad.map((v) => `${v.id} (${v.impact}): ${v.help} at ${v.nodes.map((n) => n.target.join(' ')).join(', ')}`), [], `axe on ${name}`);
  await page.screenshot({ path: join(SCREENSHOTS, `${name}.png`), fullPage: true });
}

export interface ConsolePage {
  page: Page;
  /** Script errors and CSP violations seen so far (refused requests' 401/403 are expected). */
  errors: () => string[];
  close: () => Promise<void>;
}

/** A fresh browser context (its own cookies) on `origin`/admin`path`, collecting console errors. */
export async function openConsole(browser: Browser, origin: string, path = '', viewport = { width: 1280, height: 800 }): Promise<ConsolePage> {
  const context = await browser.newContext({ viewport });
  const page = await context.newPage();
  const seen: string[] = [];
  page.on('console', (m) => m.type() === 'error' && seen.push(m.text()));
  page.on('pageerror', (e) => seen.push(e.message));
  await page.goto(`${origin}/admin${path}`);
  return { page, errors: () => seen.filter((e) => !/401|403|Failed to load resource/.test(e)), close: () => context.close() };
}

/** Signs in through the console's form and waits for the signed-in shell (the Sign out button). */
export async function signIn(page: Page, email: string, password: string): Promise<void> {
  await page.getByRole('heading', { name: 'Sign in to Gatehouse' }).waitFor();
  await page.getByLabel('Email').fill(email);
  await page.getByLabel('Password').fill(password);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.getByRole('button', { name: 'Sign out' }).waitFor();
}
