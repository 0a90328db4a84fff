// The audit log: newest first, filtered by time, actor, action prefix, target, outcome and address;
// an event's detail opens in place. Shared by an organization's log and the platform's.
import { api, field, form, h, table, when } from '/assets/dom.js';

function detail(event) {
  const rows = [
    ['Event id', event.id], ['Sequence', String(event.seq)], ['Occurred', when(event.occurred_at)],
    ['Actor', `${event.actor.type} ${event.actor.display_name ?? ''} ${event.actor.id ?? ''}`.trim()],
    ['Targets', event.targets.map((t) => `${t.type} ${t.name ?? ''} ${t.id}`.replace(/\s+/g, ' ')).join('; ') || '—'],
    ['Source', `${event.source.ip ?? '—'} ${event.source.user_agent ?? ''}`], ['Request id', event.request_id ?? '—'],
    ...Object.entries(event.metadata ?? {}).map(([k, v]) => [k, String(v)]),
  ];
  return h('dl', { className: 'event-detail' }, rows.flatMap(([k, v]) => [h('dt', {}, k), h('dd', {}, v)]));
}

/** Renders a log at `logBase` (…/audit) with the filters in the page's query. */
export async function renderAuditLog({ base, logBase }) {
  const root = logBase ?? `${base}/audit`;
  const results = h('div', { id: 'audit-results' });
  const FILTERS = [['action', 'Action starts with', 'text', 'e.g. member. or api_key.create'], ['actor', 'Actor (id or name)', 'text'], ['target', 'Target (id or name)', 'text'], ['ip', 'Source IP', 'text'], ['from', 'From', 'datetime-local'], ['to', 'To', 'datetime-local']];
  async function load(data, cursor) {
    const query = new URLSearchParams({ limit: '50' });
    for (const [name] of FILTERS) {
      const value = String(data?.get(name) ?? '').trim();
      if (value === '') continue;
      query.set(name, name === 'from' || name === 'to' ? new Date(value).toISOString() : value);
    }
    const outcome = String(data?.get('outcome') ?? '');
    if (outcome !== '') query.set('outcome', outcome);
    if (cursor) query.set('cursor', cursor);
    const page = await api(`${root}/events?${query}`);
    const rows = page.items.map((event) => {
      const more = h('details', {}, h('summary', {}, 'Detail'), detail(event));
      return [when(event.occurred_at), event.action, event.actor.display_name ?? event.actor.id ?? event.actor.type, event.targets.map((t) => t.name ?? t.id).join(', ') || '—', event.outcome, event.source.ip ?? '—', more];
    });
    results.replaceChildren(
      table('Audit events, newest first', ['When', 'Action', 'Actor', 'Targets', 'Outcome', 'IP', ''], rows, { id: 'audit-events' }),
      page.next_cursor ? h('button', { type: 'button', className: 'secondary', onclick: () => void load(data, page.next_cursor) }, 'Older events') : '',
    );
  }
  const filters = form({ id: 'audit-filters', className: 'filters' }, [
    ...FILTERS.map(([name, label, type, placeholder]) => field(label, h('input', { id: `audit-${name}`, name, type, ...(placeholder ? { placeholder } : {}) }))),
    field('Outcome', h('select', { id: 'audit-outcome', name: 'outcome' }, [['', 'Any'], ['success', 'Success'], ['failure', 'Failure'], ['denied', 'Denied']].map(([v, l]) => h('option', { value: v }, l)))),
    h('button', { type: 'submit' }, 'Search'),
  ], (data) => load(data));
  await load(null);
  return [h('h2', {}, 'Audit log'), filters, results];
}
