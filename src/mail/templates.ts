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
