// Outgoing mail: SMTP when SMTP_URL is set, otherwise every message is written to the log
// (so a fresh install shows confirmation links in its console).
import { createRequire } from 'node:module';
import type { Logger } from 'pino';
import type { Config } from '../config/index.ts';

export interface MailMessage {
  to: string;
  subject: string;
  text: string;
  html: string;
}

export interface Mailer {
  send(message: MailMessage): Promise<void>;
  close(): void;
}

export function createMailer(config: Config, logger: Logger): Mailer {
  if (!config.smtpUrl) return createLogMailer(logger);
  // Loaded only for SMTP: the log mailer needs none of its 39 modules (about 4 MiB once loaded).
  const nodemailer = createRequire(import.meta.url)('nodemailer') as typeof import('nodemailer');
  const transport = nodemailer.createTransport(config.smtpUrl);
  return {
    async send(message) {
      await transport.sendMail({ from: config.mailFrom, ...message });
      logger.info({ to: message.to, subject: message.subject }, 'mail sent');
    },
    close: () => transport.close(),
  };
}

function createLogMailer(logger: Logger): Mailer {
  return {
    async send(message) {
      logger.info({ mail: { to: message.to, subject: message.subject, text: message.text } }, 'mail (no SMTP_URL set)');
    },
    close: () => undefined,
  };
}
