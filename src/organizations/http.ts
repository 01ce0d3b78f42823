// The page an invitation email links to, /auth/accept-invitation. GET shows the organization and the
// role offered (never the invited address) and, to the invited account signed in, a button; its POST
// accepts. A mail scanner opening the link changes nothing, and another site cannot make a signed-in
// browser join (forced-join CSRF): the POST needs an allowed Origin.
import type { IncomingMessage, ServerResponse } from 'node:http';
import { GraphQLError } from 'graphql';
import type { Services } from '../context.ts';
import { isAllowedOrigin } from '../http/csrf.ts';
import { buttonForm, errorPage, failurePage, page, readForm } from '../http/pages.ts';
import { requestHeaders, requestUrl } from '../http/request-checks.ts';
import { escapeHtml } from '../util/html.ts';
import { maintenanceRefusal } from '../maintenance/gate.ts';
import { mfaEnrollmentRefusal } from '../mfa/policy.ts';
import { memberRole } from './access.ts';
import { acceptInvitation, pendingInvitation } from './invitations.ts';
import type { OrganizationInvitation } from './entities.ts';
import { AlreadyMemberError, InvitationEmailMismatchError } from './errors.ts';
import type { OrganizationScope } from './service.ts';

export const ACCEPT_INVITATION_PATH = '/auth/accept-invitation';
const TITLE = 'Accept the invitation';

export interface InvitationPageDeps {
  services: Services;
  /** The request scope of these headers (the server's authenticators); throws a GraphQLError on bad credentials. */
  authenticate(headers: Headers): Promise<OrganizationScope>;
  ip: string;
  /** Whether the admin console, where any account signs in, is served at /admin. */
  console: boolean;
}

/** Serves the invitation page; false when the path is not it. */
export async function handleInvitationPage(req: IncomingMessage, res: ServerResponse, deps: InvitationPageDeps): Promise<boolean> {
  const url = requestUrl(req);
  if (!url) return false;
  if (url.pathname !== ACCEPT_INVITATION_PATH) return false;
  if (req.method === 'GET') await showInvitation(req, res, deps, url.searchParams.get('token') ?? '');
  else if (req.method === 'POST') await accept(req, res, deps);
  else {
    res.setHeader('allow', 'GET, POST');
    errorPage(res, 405, TITLE, 'Open the link from the invitation email.');
  }
  return true;
}

async function showInvitation(req: IncomingMessage, res: ServerResponse, deps: InvitationPageDeps, token: string): Promise<void> {
  const { services } = deps;
  const scope = await signedIn(req, deps);
  let invitation: OrganizationInvitation;
  try {
    // Reading a link costs from the IP budget like using one.
    await services.throttle.consumeIpBudget(deps.ip);
    invitation = await pendingInvitation(scope?.em ?? services.orm.em.fork(), token, services.clock.now());
  } catch (error) {
    return failurePage(res, TITLE, error);
  }
  const offer = offerHtml(services, invitation);
  if (!scope?.viewer) return page(res, 200, TITLE, offer + signInHtml(deps));
  const who = `<p>You are signed in as <strong>${escapeHtml(scope.viewer.email)}</strong>.</p>`;
  // The invited address is not shown: only whether it is the signed-in account's.
  if (invitation.emailKey !== scope.viewer.emailKey) {
    return page(res, 200, TITLE, `${offer}${who}<p class="error">${escapeHtml(new InvitationEmailMismatchError().message)}</p>`);
  }
  if ((await memberRole(scope, invitation.organization.id, scope.viewer.id)) !== null) {
    return page(res, 200, TITLE, `${offer}${who}<p>${escapeHtml(new AlreadyMemberError().message)}</p>`);
  }
  page(res, 200, TITLE, offer + who + buttonForm(ACCEPT_INVITATION_PATH, token, 'Accept the invitation'), { referrerPolicy: 'same-origin' });
}

async function accept(req: IncomingMessage, res: ServerResponse, deps: InvitationPageDeps): Promise<void> {
  const origin = req.headers.origin;
  if (origin === undefined || origin === 'null' || !isAllowedOrigin(deps.services.config, origin, req.headers.host ?? null)) {
    req.resume();
    return errorPage(res, 403, TITLE, 'Refused: the form must be sent from this server’s own page. Open the link from the email again.');
  }
  const form = await readForm(req);
  if (!(form instanceof URLSearchParams)) return errorPage(res, form.status, TITLE, form.message);
  const token = form.get('token');
  if (!token) return errorPage(res, 400, TITLE, 'The form has no token. Open the link from the email again.');
  let scope: OrganizationScope | null;
  try {
    scope = await deps.authenticate(requestHeaders(req));
  } catch (error) {
    if (!(error instanceof GraphQLError)) throw error;
    const status = (error.extensions['http'] as { status?: number } | undefined)?.status ?? 401;
    return errorPage(res, status, TITLE, error.message);
  }
  if (!scope.viewer) return errorPage(res, 401, TITLE, 'Sign in with the address the invitation was sent to, then open the link again.', signInHtml(deps));
  try {
    const refusal = (await maintenanceRefusal(scope)) ?? (await mfaEnrollmentRefusal(scope));
    if (refusal) throw refusal;
    const member = await acceptInvitation(scope, token);
    page(res, 200, 'Invitation accepted', `<p>You are now a member of <strong>${escapeHtml(member.organization.name)}</strong> with the role <strong>${escapeHtml(member.role)}</strong>.</p>`);
  } catch (error) {
    failurePage(res, TITLE, error);
  }
}

/** The request scope of a valid session (or other credentials), or null: bad credentials read as signed out here. */
async function signedIn(req: IncomingMessage, deps: InvitationPageDeps): Promise<OrganizationScope | null> {
  try {
    const scope = await deps.authenticate(requestHeaders(req));
    return scope.viewer ? scope : null;
  } catch (error) {
    if (error instanceof GraphQLError) return null;
    throw error;
  }
}

function offerHtml(services: Services, invitation: OrganizationInvitation): string {
  const description = services.organizationRoles.role(invitation.role)?.description;
  return `<p>You are invited to join <strong>${escapeHtml(invitation.organization.name)}</strong> with the role <strong>${escapeHtml(invitation.role)}</strong>${
    description ? ` (${escapeHtml(description)})` : ''
  }.</p>`;
}

/** How to go on when not signed in: the console's sign-in when it is served; the token stays out of its Referer. */
function signInHtml(deps: InvitationPageDeps): string {
  const where = deps.console ? '<a href="/admin/" rel="noreferrer">sign in</a>' : 'sign in';
  return `<p>To accept, ${where} with the email address this invitation was sent to (if it has no account yet, sign up with it first), then open the link from the email again.</p>`;
}
