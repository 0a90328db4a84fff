import type { NoticeTemplate } from './incidents-tables.ts';

/** What a notice template is filled with: the incident's fields and the communications lead's message. */
export interface NoticeFields {
  readonly organizationId: string;
  readonly title: string;
  readonly severity: string;
  readonly detectedAt: Date;
  readonly awareAt: Date | null;
  readonly resolvedAt: Date | null;
  readonly message: string | undefined;
}

const when = (d: Date) => d.toISOString().replace('T', ' ').replace(/\.\d+Z$/, ' UTC');

/**
 * The built-in notice templates to an affected organization's administrators (IR-3). They produce
 * plain text only; the mail's HTML part escapes every paragraph (`compose` in the mail templates),
 * and the API returns the text as JSON strings, so an incident title or message is never markup.
 */
export function renderNotice(template: NoticeTemplate, f: NoticeFields): { subject: string; paragraphs: string[] } {
  const extra = f.message === undefined ? [] : [f.message];
  const who = `your organization (${f.organizationId})`;
  switch (template) {
    case 'initial':
      return {
        subject: `Security incident affecting your organization: ${f.title}`,
        paragraphs: [`We are responding to an incident that affects ${who} on Parapet.`, `Incident: ${f.title}. Severity: ${f.severity}. Detected: ${when(f.detectedAt)}.`, ...extra, 'We will send updates as the investigation progresses.'],
      };
    case 'update':
      return {
        subject: `Incident update: ${f.title}`,
        paragraphs: [`An update on the incident "${f.title}" that affects ${who}.`, ...extra],
      };
    case 'resolved':
      return {
        subject: `Incident resolved: ${f.title}`,
        paragraphs: [`The incident "${f.title}" that affected ${who} is resolved${f.resolvedAt === null ? '' : ` (${when(f.resolvedAt)})`}.`, ...extra, 'A post-incident report will follow.'],
      };
    case 'breach':
      return {
        subject: `Personal data breach notice: ${f.title}`,
        paragraphs: [
          `We are notifying ${who} of a personal data breach (GDPR Art. 33(2): a processor notifies the controller without undue delay).`,
          `Incident: ${f.title}.${f.awareAt === null ? '' : ` We became aware of it at ${when(f.awareAt)}.`}`,
          ...extra,
        ],
      };
  }
}
