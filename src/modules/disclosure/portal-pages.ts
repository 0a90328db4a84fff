import { html, htmlDocument } from '../../platform/http/html.ts';
import type { AttachmentView } from './attachments-service.ts';
import type { MessageView } from './portal-service.ts';

/** Where the portal's pages live; the session cookie is scoped to this path. */
export const PORTAL_PAGES = '/security/disclosure/portal';

interface PortalReport {
  readonly id: string;
  readonly status: string;
  readonly severity: string | null;
  readonly created_at: string;
  readonly title: string;
  readonly body: string;
  readonly clocks: { readonly fix: { readonly due_at: string } | null };
  readonly coordinated_disclosure: { readonly date: string | null; readonly proposed_by: string | null; readonly agreed_at: string | null };
  readonly credit: { readonly consent: string | null; readonly name: string | null };
  readonly bounty: { readonly tier: string; readonly amount: string } | null;
}

function creditLine(r: PortalReport) {
  const c = r.credit;
  if (c.consent === null) return html`<p>You have not said yet whether we may credit you.</p>`;
  if (c.consent === 'none') return html`<p>You asked not to be credited.</p>`;
  if (c.consent === 'anonymous') return html`<p>You agreed to be credited anonymously.</p>`;
  return html`<p>You agreed to be credited as ${c.name ?? ''}.</p>`;
}

const back = html`<p><a href="${PORTAL_PAGES}/reports">All your reports</a> · <a href="/security/disclosure">The policy</a></p>
<form method="post" action="${PORTAL_PAGES}/logout"><p><button type="submit">Sign out of the portal</button></p></form>`;

function statusLine(r: PortalReport) {
  return html`Status: ${r.status}${r.severity === null ? '' : html`, severity ${r.severity}`}${r.clocks.fix === null ? '' : html`, fix due ${r.clocks.fix.due_at}`}. Submitted ${r.created_at}.`;
}

function dateLine(r: PortalReport) {
  const d = r.coordinated_disclosure;
  if (d.date === null) return html`<p>No disclosure date has been proposed yet.</p>`;
  const who = d.proposed_by === 'reporter' ? 'you' : 'our team';
  return html`<p>Disclosure date ${d.date}, proposed by ${who}${d.agreed_at === null ? html`; not agreed yet` : html`; agreed ${d.agreed_at}`}.</p>`;
}

/**
 * The portal's list of a reporter's reports (HTML without script). Reporter text (titles) is
 * escaped like every value, never markup (VDP-2).
 */
export function renderPortalList(reports: readonly PortalReport[]): string {
  return htmlDocument({
    title: 'Your reports',
    body: html`<main><h1>Your reports</h1>${reports.length === 0 ? html`<p>No reports.</p>` : ''}<ul>${reports.map(
      (r) => html`<li><a href="${PORTAL_PAGES}/reports/${r.id}">${r.title}</a> <span>${statusLine(r)}</span></li>`,
    )}</ul>${back}</main>`,
  });
}

/**
 * One report in the portal: its text, status, the conversation, attachments (download links only)
 * and the disclosure date with the forms to answer. Every reporter value is escaped text: the body
 * and messages in `<pre>`, the file names as link text.
 */
export function renderPortalReport(r: PortalReport, messages: readonly MessageView[], attachments: readonly AttachmentView[]): string {
  const base = `${PORTAL_PAGES}/reports/${r.id}`;
  const d = r.coordinated_disclosure;
  const canAgree = d.date !== null && d.proposed_by === 'triager' && d.agreed_at === null;
  return htmlDocument({
    title: r.title,
    body: html`<main><h1>${r.title}</h1><p>${statusLine(r)}</p><pre>${r.body}</pre>
<h2>Disclosure date</h2>${dateLine(r)}${canAgree ? html`<form method="post" action="${base}/disclosure-date"><input type="hidden" name="action" value="agree"><input type="hidden" name="date" value="${d.date}"><p><button type="submit">Agree to ${d.date}</button></p></form>` : ''}
<form method="post" action="${base}/disclosure-date"><input type="hidden" name="action" value="propose"><p><label>Propose a date <input type="date" name="date" required></label> <button type="submit">Propose</button></p></form>
<h2>Credit</h2>${creditLine(r)}<p>Once the report is fixed, credit appears on the acknowledgments page and in the advisory, only as you choose here.</p>
<form method="post" action="${base}/credit"><p><label><input type="radio" name="consent" value="named"> Credit me by name</label> <label>Name <input type="text" name="name" maxlength="100" autocomplete="off"></label></p><p><label><input type="radio" name="consent" value="anonymous"> Credit me anonymously</label></p><p><label><input type="radio" name="consent" value="none"> Do not credit me</label></p><p><button type="submit">Save</button></p></form>
${r.bounty === null ? '' : html`<h2>Bounty</h2><p>${r.bounty.amount} (${r.bounty.tier} tier).</p>`}
<h2>Attachments</h2>${attachments.length === 0 ? html`<p>None.</p>` : html`<ul>${attachments.map((a) => html`<li><a href="${base}/attachments/${a.id}" download>${a.filename}</a> (${a.content_type}, ${a.size_bytes} bytes)</li>`)}</ul>`}
<p>To attach a file, use the API: <code>POST /api/v1/disclosure/portal/reports/${r.id}/attachments?filename=…</code>.</p>
<h2>Conversation</h2>${messages.length === 0 ? html`<p>No messages yet.</p>` : messages.map((m) => html`<article><h3>${m.author === 'reporter' ? 'You' : 'Security team'}, ${m.created_at}</h3><pre>${m.body}</pre></article>`)}
<form method="post" action="${base}/messages"><p><label>Your message <textarea name="body" required maxlength="10000" rows="8"></textarea></label></p><p><button type="submit">Send</button></p></form>
${back}</main>`,
  });
}
