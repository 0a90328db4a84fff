export { createMailer, DEFAULT_RETRY_DELAYS_MS, type Mailer, type MailStats, type PreparedMail } from './mailer.ts';
export { outboxPath, outboxTransport, readOutbox, smtpTransport, type Envelope, type MailTransport, type SmtpSettings } from './mail-transport.ts';
export { renderMail, type MailKind, type MailTemplate, type RenderedMail } from './mail-templates.ts';
export type { MailTables, MailDeliveriesTable } from './mail-tables.ts';
export { eraseDeliveriesTo } from './erase-deliveries.ts';
export { mailDeliveryStatuses, type MailDeliveryStatus } from './delivery-statuses.ts';
