// A real browser for passkey tests: Debian's Chromium (installed with apt-get when missing; no
// browser download) driven by playwright-core, a CDP virtual authenticator per page, and a small
// page served by the test that calls Gatehouse's GraphQL API with fetch and navigator.credentials
// (through @simplewebauthn/browser, as a front end would). A second page server on another port is
// a different origin with the same RP id (`localhost`), for the refusals.
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createRequire } from 'node:module';
import { chromium, type Browser, type CDPSession, type Page } from 'playwright-core';

export const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

/** Installs Debian's Chromium when it is missing (CI starts from a clean Debian; we run as root). */
export function ensureChromium(): string {
  if (existsSync(CHROMIUM)) return CHROMIUM;
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  execFileSync('apt-get', ['update', '-qq'], { stdio: 'inherit', env });
  execFileSync('apt-get', ['install', '-y', '-qq', 'chromium'], { stdio: 'inherit', env });
  if (!existsSync(CHROMIUM)) throw new Error(`apt-get installed chromium, but ${CHROMIUM} is missing`);
  return CHROMIUM;
}

const require = createRequire(import.meta.url);
// The package exports no path to its browser bundle: found beside its main module (script/index.js).
const browserPackage = dirname(dirname(require.resolve('@simplewebauthn/browser')));
const SIMPLEWEBAUTHN_BROWSER = readFileSync(join(browserPackage, 'dist/bundle/index.umd.min.js'), 'utf8');

/** The page's script: a GraphQL client and the two ceremonies, each returning what the API answered. */
const PAGE_SCRIPT = String.raw`
const { startRegistration, startAuthentication } = SimpleWebAuthnBrowser;
async function gql(api, query, variables, token) {
  const headers = { 'content-type': 'application/json' };
  if (token) headers.authorization = 'Bearer ' + token;
  const res = await fetch(api, { method: 'POST', headers, body: JSON.stringify({ query, variables }) });
  return res.json();
}
const START_REGISTRATION = 'mutation { startPasskeyRegistration { __typename ... on PasskeyChallenge { challengeId options } ... on Error { code message } } }';
const FINISH_REGISTRATION = 'mutation($input: FinishPasskeyRegistrationInput!) { finishPasskeyRegistration(input: $input) { __typename ... on Passkey { id name credentialId } ... on Error { code message } } }';
const START_LOGIN = 'mutation { startPasskeyLogin { __typename ... on PasskeyChallenge { challengeId options } } }';
const FINISH_LOGIN = 'mutation($input: FinishPasskeyLoginInput!) { finishPasskeyLogin(input: $input) { __typename ... on CreatedSession { token user { id email } } ... on Error { code message } } }';

/** Adds a passkey to the account the session token signs in to; answers finishPasskeyRegistration's result. */
window.registerPasskey = async (api, token, name) => {
  const started = (await gql(api, START_REGISTRATION, {}, token)).data.startPasskeyRegistration;
  if (started.__typename !== 'PasskeyChallenge') return started;
  const credential = await startRegistration({ optionsJSON: JSON.parse(started.options) });
  const input = { challengeId: started.challengeId, response: JSON.stringify(credential), name };
  return (await gql(api, FINISH_REGISTRATION, { input }, token)).data.finishPasskeyRegistration;
};

/** The browser's answer to a sign-in challenge (any passkey for this site), not sent anywhere yet. */
window.answerChallenge = async (options) => JSON.stringify(await startAuthentication({ optionsJSON: JSON.parse(options) }));

/** A passwordless, usernameless sign-in; answers finishPasskeyLogin's result. */
window.passkeyLogin = async (api) => {
  const started = (await gql(api, START_LOGIN, {})).data.startPasskeyLogin;
  const response = await window.answerChallenge(started.options);
  return (await gql(api, FINISH_LOGIN, { input: { challengeId: started.challengeId, response } })).data.finishPasskeyLogin;
};
window.gql = gql;
`;

const PAGE = `<!doctype html><meta charset="utf-8"><title>Passkeys</title><script src="/simplewebauthn-browser.js"></script><script>${PAGE_SCRIPT}</script><p>passkey test page</p>`;

export interface PageServer {
  /** e.g. http://localhost:45123: a secure context, and an origin whose host is the RP id `localhost`. */
  origin: string;
  close(): Promise<void>;
}

export async function servePasskeyPage(): Promise<PageServer> {
  const server: Server = createServer((req, res) => {
    if (req.url === '/simplewebauthn-browser.js') {
      res.writeHead(200, { 'content-type': 'text/javascript' }).end(SIMPLEWEBAUTHN_BROWSER);
    } else if (req.url === '/' || req.url?.startsWith('/?')) {
      res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' }).end(PAGE);
    } else {
      res.writeHead(404).end();
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    origin: `http://localhost:${port}`,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}

export async function launchChromium(): Promise<Browser> {
  // Root needs --no-sandbox; the browser only ever opens the test's own pages.
  return chromium.launch({ executablePath: ensureChromium(), headless: true, args: ['--no-sandbox'] });
}

export interface AuthenticatorPage {
  page: Page;
  cdp: CDPSession;
  authenticatorId: string;
}

/**
 * A new page at `origin` with its own virtual platform authenticator (CTAP2, internal transport,
 * resident keys, user verification that succeeds), as a laptop's fingerprint reader would be.
 */
export async function openAuthenticatorPage(browser: Browser, origin: string): Promise<AuthenticatorPage> {
  const context = await browser.newContext();
  const page = await context.newPage();
  const cdp = await context.newCDPSession(page);
  await cdp.send('WebAuthn.enable');
  const { authenticatorId } = await cdp.send('WebAuthn.addVirtualAuthenticator', {
    options: { protocol: 'ctap2', transport: 'internal', hasResidentKey: true, hasUserVerification: true, isUserVerified: true, automaticPresenceSimulation: true },
  });
  await page.goto(`${origin}/`);
  return { page, cdp, authenticatorId };
}

/** Moves this page to another origin, keeping its authenticator and the passkeys on it. */
export async function moveTo(target: AuthenticatorPage, origin: string): Promise<void> {
  await target.page.goto(`${origin}/`);
}
