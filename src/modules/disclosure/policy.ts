import { Type, type Static } from '@sinclair/typebox';
import { html, htmlDocument } from '../../platform/http/html.ts';
import { DEFAULT_SETTINGS, type Settings } from './settings.ts';

const Line = Type.String({ minLength: 1, maxLength: 2000 });
const Lines = Type.Array(Line, { maxItems: 50 });

/** The published policy: what platform administrators edit (`PUT /api/v1/platform/disclosure/policy`). */
export const PolicySchema = Type.Object(
  {
    program_name: Type.String({ minLength: 1, maxLength: 200 }),
    in_scope: Lines,
    out_of_scope: Lines,
    safe_harbor: Lines,
    rules: Lines,
    bounty_tiers: Type.Array(Type.Object({ severity: Type.Union([Type.Literal('critical'), Type.Literal('high'), Type.Literal('medium'), Type.Literal('low')]), amount: Type.String({ minLength: 1, maxLength: 100 }) }, { additionalProperties: false }), { maxItems: 10 }),
  },
  { additionalProperties: false },
);
export type Policy = Static<typeof PolicySchema>;

/**
 * The default text. The safe harbor follows the disclose.io core terms (CC0,
 * https://github.com/disclose/dioterms): authorization under anti-hacking and anti-circumvention
 * law, waiver of conflicting terms of service, no legal action, help if a third party sues.
 */
export const DEFAULT_POLICY: Policy = Object.freeze({
  program_name: 'Parapet vulnerability disclosure program',
  in_scope: ['This deployment of Parapet: its API under /api/v1, its console, its public pages and its OpenID and OAuth endpoints.'],
  out_of_scope: ['Denial of service and volumetric testing.', 'Social engineering of staff or customers, and physical attacks.', 'Other customers\u2019 data: stop and report as soon as you reach any.', 'Findings from automated scanners without a demonstrated impact.'],
  safe_harbor: [
    'We consider research conducted under this policy to be authorized under anti-hacking laws, and we will not initiate or support legal action against you for accidental, good-faith violations of this policy.',
    'We consider it authorized under anti-circumvention laws, and we will not bring a claim against you for circumvention of technology controls.',
    'We consider it exempt from restrictions in our terms of service that would interfere with security research, and we waive those restrictions on a limited basis.',
    'You are expected to comply with all applicable laws. If legal action is initiated by a third party against you for activities conducted under this policy, we will make it known that your actions were authorized.',
  ],
  rules: [
    'Report through the form below; give us reasonable time to fix before any public disclosure.',
    'Access only what you need to demonstrate the issue; do not keep, share or alter data that is not yours.',
    'Do not degrade the service for others.',
  ],
  bounty_tiers: [],
});

/** The public page: policy, deadlines, and the report form (HTML without script; every value escaped). */
export function renderPolicyPage(policy: Policy, settings: Settings = DEFAULT_SETTINGS): string {
  const days = settings.fix_days;
  const list = (items: readonly string[]) => html`<ul>${items.map((item) => html`<li>${item}</li>`)}</ul>`;
  return htmlDocument({
    title: policy.program_name,
    body: html`<main>
<h1>${policy.program_name}</h1>
<h2>Scope</h2>
<h3>In scope</h3>${list(policy.in_scope)}
<h3>Out of scope</h3>${list(policy.out_of_scope)}
<h2>Safe harbor</h2>${policy.safe_harbor.map((p) => html`<p>${p}</p>`)}
<h2>Rules of engagement</h2>${list(policy.rules)}
<h2>Our commitments</h2>
<ul><li>We acknowledge a report within 24 hours of your confirming your address.</li>
<li>We assess it within 5 business days.</li>
<li>We fix it within ${days.critical} days if critical, ${days.high} days if high, ${days.medium} days if medium and ${days.low} days if low (CVSS 3.1 or 4.0).</li></ul>
<h2>Bounty tiers</h2>${policy.bounty_tiers.length === 0 ? html`<p>This program offers no bounty.</p>` : html`<table><thead><tr><th>Severity</th><th>Amount</th></tr></thead><tbody>${policy.bounty_tiers.map((t) => html`<tr><td>${t.severity}</td><td>${t.amount}</td></tr>`)}</tbody></table>`}
<h2>Credit</h2>
<p>Once a report is fixed we credit its reporter on our <a href="/security/disclosure/acknowledgments">acknowledgments page</a> and in its advisory, by name or anonymously, only if they agree (in the portal below). Published fixes: <a href="/security/advisories">security advisories</a>.</p>
<h2>Report a vulnerability</h2>
<form method="post" action="/security/disclosure/reports">
<p><label>Your email <input type="email" name="email" required maxlength="254"></label></p>
<p><label>Title <input type="text" name="title" required maxlength="200"></label></p>
<p><label>Description <textarea name="body" required maxlength="20000" rows="12"></textarea></label></p>
<p><button type="submit">Submit</button></p>
</form>
<p>We send a link to your address; the report is accepted once you use it.</p>
<h2>Your reports</h2>
<form method="post" action="/security/disclosure/portal-link">
<p><label>Your email <input type="email" name="email" required maxlength="254"></label> <button type="submit">Send me a link</button></p>
</form>
</main>`,
  });
}

/** A short page answering a form post (the text is ours; anything else passed in is escaped). */
export function renderNotice(title: string, paragraphs: readonly string[]): string {
  return htmlDocument({ title, body: html`<main><h1>${title}</h1>${paragraphs.map((p) => html`<p>${p}</p>`)}<p><a href="/security/disclosure">Back to the policy</a></p></main>` });
}
