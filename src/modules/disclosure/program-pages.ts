import { html, htmlDocument } from '../../platform/http/html.ts';
import { ADVISORIES_PAGE, CSAF_DIRECTORY, csafPath, type Advisory } from './advisories.ts';
import type { Acknowledgment } from './disclosure-service.ts';

export const ACKNOWLEDGMENTS_PAGE = '/security/disclosure/acknowledgments';

const back = html`<p><a href="/security/disclosure">The disclosure policy</a> · <a href="${ACKNOWLEDGMENTS_PAGE}">Acknowledgments</a> · <a href="${ADVISORIES_PAGE}">Advisories</a></p>`;

/**
 * The acknowledgments page (HTML without script): researchers whose fixed reports they agreed to
 * be credited for. A name is the reporter's text and is escaped like every value.
 */
export function renderAcknowledgments(programName: string, entries: readonly Acknowledgment[]): string {
  return htmlDocument({
    title: `Acknowledgments: ${programName}`,
    body: html`<main><h1>Acknowledgments</h1><p>We thank these researchers for reporting vulnerabilities that we fixed. Each is listed with their consent, by name or anonymously.</p>${
      entries.length === 0 ? html`<p>No one yet.</p>` : html`<ul>${entries.map((e) => html`<li>${e.name ?? 'An anonymous researcher'} (${e.month})</li>`)}</ul>`
    }${back}</main>`,
  });
}

/** The list of published advisories. */
export function renderAdvisoryList(advisories: readonly Advisory[]): string {
  return htmlDocument({
    title: 'Security advisories',
    body: html`<main><h1>Security advisories</h1>${
      advisories.length === 0 ? html`<p>No advisories have been published.</p>` : html`<ul>${advisories.map((a) => html`<li><a href="${ADVISORIES_PAGE}/${encodeURIComponent(a.tracking_id)}">${a.tracking_id}</a>: ${a.title} (${a.severity}, ${a.published_at.toISOString().slice(0, 10)})</li>`)}</ul>`
    }<p>Machine-readable: <a href="/.well-known/csaf/provider-metadata.json">CSAF provider metadata</a>.</p>${back}</main>`,
  });
}

/** One advisory, with a link to its CSAF 2.0 document. */
export function renderAdvisory(a: Advisory): string {
  return htmlDocument({
    title: `${a.tracking_id}: ${a.title}`,
    body: html`<main><h1>${a.title}</h1>
<p>${a.tracking_id}, published ${a.published_at.toISOString().slice(0, 10)}.${a.cve === null ? '' : html` ${a.cve}.`}</p>
<p>Severity: ${a.severity}${a.cvss_vector === null ? '' : html` (${a.cvss_score ?? ''}, <code>${a.cvss_vector}</code>)`}.</p>
<h2>Summary</h2><p>${a.summary}</p>
<h2>Affected and fixed</h2><ul><li>Affected: ${a.product_name} ${a.affected_versions}</li><li>Fixed in: ${a.product_name} ${a.fixed_version}</li></ul>
${a.credit === null ? '' : html`<h2>Credit</h2><p>${a.credit.name === null ? 'Reported by a researcher who asked to stay anonymous.' : html`Reported by ${a.credit.name}.`}</p>`}
<p><a href="${CSAF_DIRECTORY}/${csafPath(a)}">CSAF 2.0 document</a></p>${back}</main>`,
  });
}
