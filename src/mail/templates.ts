// Message texts. Plain text first; the HTML part carries the same words and one link.
import type { MailMessage } from './mailer.ts';
import { escapeHtml } from '../util/html.ts';

function message(to: string, subject: string, paragraphs: string[], link: string, action: string): MailMessage {
  const text = [...paragraphs.slice(0, 1), `${action}: ${link}`, ...paragraphs.slice(1)].join('\n\n') + '\n';
  const html =
    `<p>${escapeHtml(paragraphs[0] ?? '')}</p>` +
    `<p><a href="${escapeHtml(link)}">${escapeHtml(action)}</a></p>` +
    paragraphs.slice(1).map((p) => `<p>${escapeHtml(p)}</p>`).join('');
  return { to, subject, text, html };
}

export function confirmEmailMessage(to: string, link: string, validHours: number): MailMessage {
  return message(
    to,
    'Confirm your email address',
    [
      'Please confirm that this is your email address.',
      `The link is valid for ${validHours} hours and works once. If you did not create an account, ignore this email.`,
    ],
    link,
    'Confirm email address',
  );
}

export function resetPasswordMessage(to: string, link: string, validMinutes: number): MailMessage {
  return message(
    to,
    'Reset your password',
    [
      'Someone (hopefully you) asked to reset the password of your account.',
      `The link is valid for ${validMinutes} minutes and works once. If you did not ask, ignore this email: your password stays as it is.`,
    ],
    link,
    'Choose a new password',
  );
}

/** Tells the owner a passkey was added to or removed from their account (no link: nothing to click). */
export function passkeyChangedMessage(to: string, change: 'added' | 'removed', passkeyName: string): MailMessage {
  const subject = change === 'added' ? 'A passkey was added to your account' : 'A passkey was removed from your account';
  const paragraphs = [
    change === 'added'
      ? `The passkey "${passkeyName}" can now sign in to your account.`
      : `The passkey "${passkeyName}" can no longer sign in to your account.`,
    'If this was not you, sign in, change your password and review your passkeys and sessions.',
  ];
  return {
    to,
    subject,
    text: paragraphs.join('\n\n') + '\n',
    html: paragraphs.map((p) => `<p>${escapeHtml(p)}</p>`).join(''),
  };
}

/** To the new address of a requested email change: the link that makes the change. */
export function confirmEmailChangeMessage(to: string, link: string, validHours: number): MailMessage {
  return message(
    to,
    'Confirm your new email address',
    [
      'Someone (hopefully you) asked to use this address for their account. The account keeps its old address until you confirm.',
      `The link is valid for ${validHours} hours and works once. If you did not ask, ignore this email: nothing changes.`,
    ],
    link,
    'Confirm the new address',
  );
}

/** To the current address when a change is requested: what was asked, and the link that stops it. */
export function emailChangeRequestedMessage(to: string, maskedNewEmail: string, cancelLink: string, validHours: number): MailMessage {
  return message(
    to,
    'A change of your email address was requested',
    [
      `Someone signed in to your account asked to change its email address to ${maskedNewEmail}. The change happens only once that address is confirmed.`,
      `If this was not you, cancel the change with the link above (valid for ${validHours} hours), then change your password and sign out your other sessions: someone may be signed in to your account.`,
      'If it was you, there is nothing to do here.',
    ],
    cancelLink,
    'This was not me: cancel the change',
  );
}

/** To the old address once a change is confirmed (it no longer receives the account's mail). */
export function emailChangedMessage(to: string, maskedNewEmail: string): MailMessage {
  const paragraphs = [
    `The email address of your account was changed to ${maskedNewEmail}. This address no longer receives the account's mail, and signing in uses the new one.`,
    'If this was not you, contact your administrator at once: they can restore your address and end every session of the account.',
  ];
  return { to, subject: 'The email address of your account was changed', text: paragraphs.join('\n\n') + '\n', html: paragraphs.map((p) => `<p>${escapeHtml(p)}</p>`).join('') };
}

export interface SignInDetails {
  at: Date;
  /** e.g. "Firefox on Linux", or the raw user agent cut short. */
  device: string;
  /** The user agent as sent (cut short), or null. */
  userAgent: string | null;
  ip: string;
}

/** To the owner of an account signed in to from a browser and network it had not been used from. */
export function newSignInMessage(to: string, details: SignInDetails): MailMessage {
  const paragraphs = [
    `Your account was signed in to from a new device or browser: ${details.device}, from the address ${details.ip || 'unknown'}, at ${details.at.toISOString().replace('T', ' ').slice(0, 19)} UTC.`,
    ...(details.userAgent ? [`Browser: ${details.userAgent.slice(0, 160)}`] : []),
    'If this was you, there is nothing to do.',
    'If it was not, change your password now (or reset it), end the sessions you do not recognise in your account settings, and add a second factor.',
  ];
  return { to, subject: 'New sign-in to your account', text: paragraphs.join('\n\n') + '\n', html: paragraphs.map((p) => `<p>${escapeHtml(p)}</p>`).join('') };
}

/**
 * An invitation to an organization. The same words whether or not the address has an account
 * (the inviter learns nothing from it): sign in with this address, or create an account with it.
 */
export function organizationInvitationMessage(to: string, organizationName: string, inviterName: string, link: string, validDays: number): MailMessage {
  return message(
    to,
    `You are invited to join ${organizationName}`,
    [
      `${inviterName} invited ${to} to join the organization "${organizationName}".`,
      `Open the link, then sign in with this address or create an account with it, and accept. The link is valid for ${validDays} day${validDays === 1 ? '' : 's'} and works once. If you do not want to join, ignore this email.`,
    ],
    link,
    'Accept the invitation',
  );
}
