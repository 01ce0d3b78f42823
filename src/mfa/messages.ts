// Notices about an account's second factors, sent to its owner.
import type { MailMessage } from '../mail/mailer.ts';
import { escapeHtml } from '../util/html.ts';

function notice(to: string, subject: string, paragraphs: string[]): MailMessage {
  return {
    to,
    subject,
    text: `${paragraphs.join('\n\n')}\n`,
    html: paragraphs.map((p) => `<p>${escapeHtml(p)}</p>`).join(''),
  };
}

const NOT_YOU = 'If this was not you, reset your password now and contact your administrator.';

export function factorChangedMessage(to: string, what: string): MailMessage {
  return notice(to, 'The second factors of your account changed', [what, NOT_YOU]);
}

export function recoveryCodeUsedMessage(to: string, remaining: number): MailMessage {
  return notice(to, 'A recovery code was used to sign in', [
    `A recovery code was used to sign in to your account. ${remaining} unused recovery code${remaining === 1 ? '' : 's'} remain${remaining === 1 ? 's' : ''}; generate new ones from your account settings when they run low.`,
    NOT_YOU,
  ]);
}
