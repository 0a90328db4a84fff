import { html, htmlDocument, type SafeHtml } from '../../platform/http/html.ts';
import type { ComponentStatus } from './incidents-tables.ts';
import type { DayStatus } from './status-history.ts';

export interface StatusView {
  readonly components: readonly { readonly id: string; readonly name: string; readonly description: string; readonly status: ComponentStatus; readonly group?: string; readonly history?: readonly DayStatus[] }[];
  readonly maintenance?: readonly { readonly id: string; readonly title: string; readonly body: string; readonly components: readonly string[]; readonly starts_at: Date; readonly ends_at: Date }[];
  readonly incidents: readonly {
    readonly id: string;
    readonly title: string;
    readonly severity: string;
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

/** A component's 90 days: a summary, and the days that were not fully operational (no script, no colour-only meaning). */
function history(days: readonly DayStatus[] | undefined): SafeHtml | string {
  if (days === undefined || days.length === 0) return '';
  const known = days.filter((d) => d.status !== null);
  const disrupted = known.filter((d) => d.status !== 'operational');
  const summary = known.length === 0 ? 'No history yet.' : `${known.length - disrupted.length} of the last ${known.length} ${known.length === 1 ? 'day' : 'days'} fully operational.`;
  if (disrupted.length === 0) return html`<p class="history">${summary}</p>`;
  return html`<details class="history"><summary>${summary}</summary><ul>${disrupted.map((d) => html`<li><time datetime="${d.day}">${d.day}</time>: ${STATUS_LABELS[d.status ?? 'operational']}</li>`)}</ul></details>`;
}

/**
 * The public status page (IR-4): server-rendered, no script. Shows components in their groups with
 * their 90-day history, scheduled and running maintenance, and open incidents with their public
 * updates only — internal notes and change entries never reach this function's input. Every value
 * is interpolated through `html`, which escapes it.
 */
export function renderStatusPage(view: StatusView, now: Date, subscribe?: SafeHtml): string {
  const names = new Map(view.components.map((c) => [c.id, c.name]));
  const maintenance = view.maintenance ?? [];
  const allOperational = view.components.every((c) => c.status === 'operational') && view.incidents.length === 0;
  const groups = [...new Set(view.components.map((c) => c.group ?? ''))];
  const componentItem = (c: StatusView['components'][number]) =>
    html`<li class="component status-${c.status}"><strong>${c.name}</strong> <span class="status">${STATUS_LABELS[c.status]}</span>${c.description === '' ? '' : html`<br><span class="description">${c.description}</span>`}${history(c.history)}</li>`;
  const affects = (ids: readonly string[]) => ids.map((id) => names.get(id) ?? '').filter((n) => n !== '').join(', ');
  const body = html`<main>
<h1>System status</h1>
<p class="summary">${allOperational ? 'All systems operational.' : 'Some systems are affected.'}</p>
<section aria-labelledby="components"><h2 id="components">Components</h2>
${view.components.length === 0 ? html`<p>No components are listed.</p>` : groups.map((g) => (g === '' ? html`<ul class="components">${view.components.filter((c) => (c.group ?? '') === '').map(componentItem)}</ul>` : html`<section class="group" aria-label="${g}"><h3>${g}</h3><ul class="components">${view.components.filter((c) => c.group === g).map(componentItem)}</ul></section>`))}
</section>
<section aria-labelledby="maintenance"><h2 id="maintenance">Scheduled maintenance</h2>
${maintenance.length === 0 ? html`<p>No maintenance is scheduled.</p>` : html`<ul class="maintenance">${maintenance.map((m) => html`<li><strong>${m.title}</strong> ${m.starts_at <= now ? html`<span class="status">In progress</span>` : ''}<br><time datetime="${m.starts_at.toISOString()}">${m.starts_at.toISOString()}</time> to <time datetime="${m.ends_at.toISOString()}">${m.ends_at.toISOString()}</time>.${m.components.length === 0 ? ' Affects: all components.' : html` Affects: ${affects(m.components)}.`}${m.body === '' ? '' : html`<p>${m.body}</p>`}</li>`)}</ul>`}
</section>
<section aria-labelledby="incidents"><h2 id="incidents">Open incidents</h2>
${view.incidents.length === 0 ? html`<p>No open incidents.</p>` : view.incidents.map((i) => html`<article class="incident severity-${i.severity}">
<h3>${i.title}</h3>
<p>Severity: ${i.severity}. Since <time datetime="${i.detected_at.toISOString()}">${i.detected_at.toISOString()}</time>.${i.affected_components.length === 0 ? '' : html` Affects: ${affects(i.affected_components)}.`}</p>
${i.updates.length === 0 ? html`<p>We are investigating.</p>` : html`<ol class="updates" reversed>${i.updates.map((u) => html`<li><time datetime="${u.created_at.toISOString()}">${u.created_at.toISOString()}</time><p>${u.body}</p></li>`)}</ol>`}
</article>`)}
</section>
${subscribe}
<p class="generated">Updated <time datetime="${now.toISOString()}">${now.toISOString()}</time>.</p>
</main>`;
  return htmlDocument({ title: 'System status', body });
}
