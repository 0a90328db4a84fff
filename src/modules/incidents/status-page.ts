import { html, htmlDocument, type SafeHtml } from '../../platform/http/html.ts';
import type { ComponentStatus, Severity } from './incidents-tables.ts';

export interface StatusView {
  readonly components: readonly { readonly id: string; readonly name: string; readonly description: string; readonly status: ComponentStatus }[];
  readonly incidents: readonly {
    readonly id: string;
    readonly title: string;
    readonly severity: Severity;
    readonly phase: string;
    readonly detected_at: Date;
    readonly affected_components: readonly string[];
    readonly updates: readonly { readonly body: string; readonly created_at: Date }[];
  }[];
}

const STATUS_LABELS: Readonly<Record<ComponentStatus, string>> = {
  operational: 'Operational',
  degraded: 'Degraded performance',
  partial_outage: 'Partial outage',
  major_outage: 'Major outage',
  maintenance: 'Under maintenance',
};

/**
 * The public status page (IR-4): server-rendered, no script. Shows components and open incidents
 * with their public updates only — internal notes and change entries never reach this function's
 * input. Every value is interpolated through `html`, which escapes it.
 */
export function renderStatusPage(view: StatusView, now: Date, subscribe?: SafeHtml): string {
  const names = new Map(view.components.map((c) => [c.id, c.name]));
  const allOperational = view.components.every((c) => c.status === 'operational') && view.incidents.length === 0;
  const body = html`<main>
<h1>System status</h1>
<p class="summary">${allOperational ? 'All systems operational.' : 'Some systems are affected.'}</p>
<section aria-labelledby="components"><h2 id="components">Components</h2>
${view.components.length === 0 ? html`<p>No components are listed.</p>` : html`<ul class="components">${view.components.map((c) => html`<li class="component status-${c.status}"><strong>${c.name}</strong> <span class="status">${STATUS_LABELS[c.status]}</span>${c.description === '' ? '' : html`<br><span class="description">${c.description}</span>`}</li>`)}</ul>`}
</section>
<section aria-labelledby="incidents"><h2 id="incidents">Open incidents</h2>
${view.incidents.length === 0 ? html`<p>No open incidents.</p>` : view.incidents.map((i) => html`<article class="incident severity-${i.severity}">
<h3>${i.title}</h3>
<p>Severity: ${i.severity}. Since <time datetime="${i.detected_at.toISOString()}">${i.detected_at.toISOString()}</time>.${i.affected_components.length === 0 ? '' : html` Affects: ${i.affected_components.map((id) => names.get(id) ?? '').filter((n) => n !== '').join(', ')}.`}</p>
${i.updates.length === 0 ? html`<p>We are investigating.</p>` : html`<ol class="updates" reversed>${i.updates.map((u) => html`<li><time datetime="${u.created_at.toISOString()}">${u.created_at.toISOString()}</time><p>${u.body}</p></li>`)}</ol>`}
</article>`)}
</section>
${subscribe}
<p class="generated">Updated <time datetime="${now.toISOString()}">${now.toISOString()}</time>.</p>
</main>`;
  return htmlDocument({ title: 'System status', body });
}
