import { outboxPath, readOutbox } from '../platform/mail/index.ts';
import type { Command } from './context.ts';

/**
 * `parapet mail outbox [--last <n>]`: prints the development outbox (mail written instead of sent
 * while no SMTP server is configured), newest last. The messages carry live links: this is the
 * one place they are shown, never the log.
 */
export const mailOutbox: Command = async ({ config, args, out, err }) => {
  const index = args.indexOf('--last');
  const last = index === -1 ? 20 : Number(args[index + 1]);
  if (!Number.isInteger(last) || last < 1) {
    err('--last needs a positive whole number');
    return 2;
  }
  if (config.smtpHost !== undefined) err(`SMTP is configured (${config.smtpHost}): new mail is sent there, not to the outbox.`);
  const path = outboxPath(config.dataDir);
  const messages = (await readOutbox(path)).slice(-last);
  if (messages.length === 0) {
    out(`The development outbox (${path}) is empty.`);
    return 0;
  }
  for (const message of messages) {
    out(`--- ${message.at}  ${message.id}`);
    out(`From: ${message.from}`);
    out(`To: ${message.to}`);
    out(`Subject: ${message.subject}`);
    out('');
    out(message.text.trimEnd());
    out('');
  }
  return 0;
};
