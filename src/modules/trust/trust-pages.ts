import { html, htmlDocument, type SafeHtml } from '../../platform/http/html.ts';
import { CLAIM_FAMILIES, CLAIMS } from './claims-catalogue.ts';
import type { PublicResult } from './evidence.ts';
import type { EntriesByKind } from './trust-entries.ts';

/** What every page shows: branding and optional links from configuration. */
export interface Branding {
  readonly name: string;
  readonly logoUrl: string | undefined;
  readonly statusUrl: string | undefined;
  readonly disclosureUrl: string | undefined;
}

/** A control's state as the public sees it: never green without a fresh passing check. */
export type ControlState = 'passing' | 'failing' | 'stale' | 'not_applicable' | 'not_checked';

export interface PageData {
  readonly branding: Branding;
  readonly results: readonly PublicResult[];
  readonly entries: EntriesByKind;
  readonly now: Date;
  /** A result older than this is stale: the schedule stopped, so it proves nothing about now. */
  readonly staleAfterMs: number;
  /** Every check's id and claims, so a control whose check never ran is not shown as unchecked. */
  readonly checks: readonly { readonly id: string; readonly claims: readonly string[]; readonly title: string }[];
  /** The subscribe form shown on the subprocessors page (the subscriptions module's). */
  readonly subscribe?: SafeHtml | undefined;
  /** Attestations of organizational controls, listed under the claims they name on the controls page. */
  readonly attestations?: readonly AttestationSummary[];
}

/** What the controls page shows of an attestation. */
export interface AttestationSummary {
  readonly id: string;
  readonly title: string;
  readonly owner: string;
  readonly attested_on: string;
  readonly claims: readonly string[];
  readonly lapsed: boolean;
}

export const PAGES = ['overview', 'controls', 'certifications', 'documents', 'subprocessors', 'faq'] as const;
export type PageName = (typeof PAGES)[number];

const TITLES: Record<PageName, string> = { overview: 'Overview', controls: 'Security controls', certifications: 'Certifications', documents: 'Documents', subprocessors: 'Subprocessors', faq: 'FAQ and shared responsibility' };
const PATHS: Record<PageName, string> = { overview: '/trust', controls: '/trust/controls', certifications: '/trust/certifications', documents: '/trust/documents', subprocessors: '/trust/subprocessors', faq: '/trust/faq' };
const STATE_TEXT: Record<ControlState, string> = { passing: 'Passing', failing: 'Failing', stale: 'Not checked recently', not_applicable: 'Not applicable here', not_checked: 'Not checked automatically' };
const CERT_STATUS: Record<string, string> = { certified: 'Certified', in_progress: 'In progress', planned: 'Planned' };

/** Each claim's state from the latest results of the checks bound to it. */
export function controlStates(data: Pick<PageData, 'results' | 'checks' | 'now' | 'staleAfterMs'>): Map<string, { state: ControlState; results: PublicResult[] }> {
  const states = new Map<string, { state: ControlState; results: PublicResult[] }>();
  for (const claim of CLAIMS) {
    const bound = data.checks.filter((check) => check.claims.includes(claim.id));
    if (bound.length === 0) {
      states.set(claim.id, { state: 'not_checked', results: [] });
      continue;
    }
    const results = bound.map((check) => data.results.find((r) => r.check_id === check.id)).filter((r): r is PublicResult => r !== undefined);
    let state: ControlState;
    if (results.some((r) => r.status === 'fail')) state = 'failing';
    else if (results.length < bound.length || results.some((r) => data.now.getTime() - Date.parse(r.finished_at) > data.staleAfterMs)) state = 'stale';
    else if (results.every((r) => r.status === 'not_applicable')) state = 'not_applicable';
    else state = 'passing';
    states.set(claim.id, { state, results });
  }
  return states;
}

/** The header of every trust center page: branding and the navigation (the attestations page included). */
export function navigation(branding: Branding, current: PageName | 'attestations'): SafeHtml {
  const link = (path: string, title: string, here: boolean) => html`<li><a href="${path}"${here ? html` aria-current="page"` : ''}>${title}</a></li>`;
  const links = PAGES.map((p) => link(PATHS[p], TITLES[p], p === current));
  const extra = [branding.statusUrl === undefined ? '' : html`<li><a href="${branding.statusUrl}">System status</a></li>`, branding.disclosureUrl === undefined ? '' : html`<li><a href="${branding.disclosureUrl}">Vulnerability disclosure</a></li>`];
  // Attestations follow the security controls they complement.
  return html`<header class="site"><div class="brand">${branding.logoUrl === undefined ? '' : html`<img src="${branding.logoUrl}" alt="" height="40">`}<span>${branding.name} Trust Center</span></div>
<nav aria-label="Trust center"><ul>${links.slice(0, 2)}${link('/trust/attestations', 'Attestations', current === 'attestations')}${links.slice(2)}${extra}</ul></nav></header>`;
}

function layout(data: PageData, page: PageName, body: SafeHtml): string {
  const { branding } = data;
  return htmlDocument({
    title: `${TITLES[page]} — ${branding.name} Trust Center`,
    stylesheets: ['/trust/trust.css'],
    body: html`<a class="skip" href="#main">Skip to content</a>
${navigation(branding, page)}
<main id="main"><h1>${TITLES[page]}</h1>
${body}</main>
<footer><p>Control states come from automated checks of the running system. <a href="/trust/evidence.json">Signed evidence</a> · <a href="/.well-known/security.txt">security.txt</a></p></footer>`,
  });
}

function stateBadge(state: ControlState): SafeHtml {
  return html`<span class="state state-${state}">${STATE_TEXT[state]}</span>`;
}

function overview(data: PageData): SafeHtml {
  const states = [...controlStates(data).values()];
  const count = (state: ControlState) => states.filter((s) => s.state === state).length;
  const latest = data.results.reduce<string | undefined>((max, r) => (max === undefined || r.finished_at > max ? r.finished_at : max), undefined);
  return html`<p class="lead">How ${data.branding.name} protects your data, with each technical statement backed by a live check of the running system.</p>
<section aria-labelledby="summary"><h2 id="summary">Controls at a glance</h2>
<ul class="summary"><li>${stateBadge('passing')} ${count('passing')}</li><li>${stateBadge('failing')} ${count('failing')}</li><li>${stateBadge('stale')} ${count('stale')}</li><li>${stateBadge('not_checked')} ${count('not_checked')}</li></ul>
<p>${latest === undefined ? 'No check has run yet.' : html`Last checked <time datetime="${latest}">${latest}</time>.`} <a href="/trust/controls">See every control</a>.</p></section>
<section aria-labelledby="certs"><h2 id="certs">Certifications</h2>${certificationList(data)}</section>`;
}

function controls(data: PageData): SafeHtml {
  const states = controlStates(data);
  return html`<p>Each control is a claim. Controls with automated checks show the result of their latest run; the others are not checked automatically.</p>
${CLAIM_FAMILIES.map((family) => html`<section aria-labelledby="f-${family.code}"><h2 id="f-${family.code}">${family.name}</h2><ul class="controls">
${CLAIMS.filter((c) => c.family === family.code).map((claim) => {
  const s = states.get(claim.id) ?? { state: 'not_checked' as const, results: [] };
  const attested = (data.attestations ?? []).filter((a) => a.claims.includes(claim.id));
  return html`<li id="${claim.id}"><p><strong>${claim.id}</strong> ${claim.text} ${stateBadge(s.state)}</p>${
    s.results.length === 0
      ? ''
      : html`<ul class="checks">${s.results.map((r) => html`<li>${r.statement} <span class="meta">(${r.status === 'pass' ? 'passed' : r.status === 'fail' ? 'failed' : 'not applicable'}, <time datetime="${r.finished_at}">${r.finished_at}</time>)</span></li>`)}</ul>`
  }${
    attested.length === 0
      ? ''
      : html`<ul class="checks">${attested.map((a) => html`<li>Attested: <a href="/trust/attestations#attestation-${a.id}">${a.title}</a> by ${a.owner}, <time datetime="${a.attested_on}">${a.attested_on}</time> <span class="state state-${a.lapsed ? 'failing' : 'passing'}">${a.lapsed ? 'Lapsed' : 'Current'}</span></li>`)}</ul>`
  }</li>`;
})}</ul></section>`)}`;
}

function certificationList(data: PageData): SafeHtml {
  const certs = data.entries.certification;
  if (certs.length === 0) return html`<p>No certifications are listed yet.</p>`;
  return html`<table><thead><tr><th scope="col">Certification</th><th scope="col">Status</th><th scope="col">Auditor</th><th scope="col">Scope</th><th scope="col">Dates</th></tr></thead><tbody>
${certs.map((c) => html`<tr><th scope="row">${c.data.name}</th><td>${CERT_STATUS[c.data.status] ?? c.data.status}</td><td>${c.data.auditor ?? '—'}</td><td>${c.data.scope ?? '—'}</td><td>${c.data.issued_on === undefined ? '' : html`issued ${c.data.issued_on}`}${c.data.expires_on === undefined ? '' : html` · valid until ${c.data.expires_on}`}</td></tr>`)}
</tbody></table>`;
}

function documents(data: PageData): SafeHtml {
  const docs = data.entries.document;
  if (docs.length === 0) return html`<p>No documents are published yet.</p>`;
  return html`<ul class="documents">${docs.map(
    (d) => html`<li><strong>${d.data.title}</strong>${d.data.description === undefined ? '' : html` — ${d.data.description}`} ${
      d.data.access === 'public' && d.data.url !== undefined ? html`<a href="${d.data.url}">Download</a>` : html`<a href="/trust/documents/${d.id}/request">Request under NDA</a>`
    }</li>`,
  )}</ul>`;
}

function subprocessors(data: PageData): SafeHtml {
  const subs = data.entries.subprocessor;
  if (subs.length === 0) return html`<p>No subprocessors are listed.</p>${data.subscribe}`;
  return html`${subprocessorTable(subs)}${data.subscribe}`;
}

function subprocessorTable(subs: PageData['entries']['subprocessor']): SafeHtml {
  return html`<table><thead><tr><th scope="col">Subprocessor</th><th scope="col">Purpose</th><th scope="col">Data</th><th scope="col">Location</th><th scope="col">Since</th></tr></thead><tbody>
${subs.map((s) => html`<tr><th scope="row">${s.data.website === undefined ? s.data.name : html`<a href="${s.data.website}">${s.data.name}</a>`}</th><td>${s.data.purpose}</td><td>${s.data.data_categories.join(', ')}</td><td>${s.data.location}</td><td>${s.data.effective_from}</td></tr>`)}
</tbody></table>`;
}

function faq(data: PageData): SafeHtml {
  const section = (name: 'shared_responsibility' | 'faq', title: string) => {
    const items = data.entries.faq.filter((f) => f.data.section === name);
    if (items.length === 0) return '';
    return html`<section aria-labelledby="s-${name}"><h2 id="s-${name}">${title}</h2><dl>${items.map(
      (f) => html`<dt>${f.data.question}</dt><dd><p>${f.data.answer}</p>${(f.data.claims ?? []).length === 0 ? '' : html`<p class="meta">Controls: ${(f.data.claims ?? []).map((id, i) => html`${i > 0 ? ', ' : ''}<a href="/trust/controls#${id}">${id}</a>`)}</p>`}</dd>`,
    )}</dl></section>`;
  };
  const body = [section('shared_responsibility', 'Shared responsibility'), section('faq', 'Questions and answers')];
  return body.every((b) => b === '') ? html`<p>No questions are published yet.</p>` : html`${body}`;
}

/** Renders one public page. Every admin-supplied string goes through the escaping template. */
export function renderPage(page: PageName, data: PageData): string {
  const bodies: Record<PageName, (d: PageData) => SafeHtml> = { overview, controls, certifications: certificationList, documents, subprocessors, faq };
  return layout(data, page, bodies[page](data));
}

export const PAGE_PATHS = PATHS;
