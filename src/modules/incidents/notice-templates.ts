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
export function renderNotice(template: NoticeTemplate, f: NoticeFields, custom?: { readonly subject: string; readonly body: string }): { subject: string; paragraphs: string[] } {
  if (custom !== undefined) return fillTemplate(custom, f);
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

/** The placeholders an edited template may use, and what each is filled with. */
export const PLACEHOLDERS = ['title', 'severity', 'organization', 'detected_at', 'aware_at', 'resolved_at', 'message'] as const;
/** Anything between double braces is a placeholder, so a misspelt or invented one is caught, not sent as is. */
const PLACEHOLDER = /\{\{\s*([^{}]*?)\s*\}\}/g;

/** The placeholders in `text` that are not in PLACEHOLDERS (an edited template with one is refused). */
export function unknownPlaceholders(text: string): string[] {
  return [...text.matchAll(PLACEHOLDER)].map((m) => m[1] ?? '').filter((name) => !(PLACEHOLDERS as readonly string[]).includes(name));
}

/** Control characters (CR, LF, …): a subject is one header line, never two. */
const oneLine = (text: string) => text.replace(/[\u0000-\u001f\u007f]+/g, ' ');

/**
 * Fills an edited template (IR-3). One pass: a value that itself holds `{{…}}` (an incident title
 * written by anyone) is inserted as text and never expanded. The result is plain text; the mail's
 * HTML part escapes every paragraph (`compose`), so neither the template nor a value is markup.
 * The subject is one line. Paragraphs are separated by blank lines.
 */
export function fillTemplate(t: { readonly subject: string; readonly body: string }, f: NoticeFields): { subject: string; paragraphs: string[] } {
  const values: Readonly<Record<(typeof PLACEHOLDERS)[number], string>> = {
    title: f.title, severity: f.severity, organization: f.organizationId, detected_at: when(f.detectedAt),
    aware_at: f.awareAt === null ? '' : when(f.awareAt), resolved_at: f.resolvedAt === null ? '' : when(f.resolvedAt), message: f.message ?? '',
  };
  const fill = (text: string) => text.replace(PLACEHOLDER, (whole, name: string) => (Object.hasOwn(values, name) ? values[name as keyof typeof values] : whole));
  const paragraphs = fill(t.body).split(/\r?\n\s*\r?\n/).map((p) => p.trim()).filter((p) => p !== '');
  return { subject: oneLine(fill(t.subject)).trim().slice(0, 300) || 'Incident notice', paragraphs: paragraphs.length === 0 ? ['(no text)'] : paragraphs };
}
