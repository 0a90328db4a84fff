// Platform administrators: incidents (issue 21, IR-1…IR-4). The list shows open incidents first with
// their phase and severity; opening one shows its timeline, each clock with the time left (overdue
// first), a form for phase and severity, and the post-incident review. Incident texts are shown as
// text nodes only (dom.js), never markup. Everything goes through the same API as curl.
import { api, field, form, h, refresh, say, table, when } from '/assets/dom.js';

const PHASES = ['detect', 'analyse', 'contain', 'eradicate', 'recover', 'post_incident'];

/** "2 h 5 min left", "overdue by 3 min", "met" for one clock. */
function timeLeft(clock) {
  if (clock.state === 'met') return clock.met_late ? 'met late' : 'met';
  const s = Math.abs(clock.seconds_left ?? 0);
  const text = s >= 86_400 ? `${Math.floor(s / 86_400)} d ${Math.floor((s % 86_400) / 3600)} h` : s >= 3600 ? `${Math.floor(s / 3600)} h ${Math.floor((s % 3600) / 60)} min` : `${Math.floor(s / 60)} min`;
  return clock.state === 'overdue' ? `overdue by ${text}` : `${text} left${clock.state === 'warning' ? ' (warning)' : ''}`;
}

const RANK = { overdue: 0, warning: 1, pending: 2, met: 3 };

async function renderIncident(id) {
  const [{ incident, timeline, clocks }, { items: severities }, { review, actions }] = await Promise.all([
    api(`/api/v1/platform/incidents/${encodeURIComponent(id)}`),
    api('/api/v1/platform/incidents/severities'),
    api(`/api/v1/platform/incidents/${encodeURIComponent(id)}/review`),
  ]);
  const base = `/api/v1/platform/incidents/${encodeURIComponent(id)}`;
  const sorted = [...clocks].sort((a, b) => RANK[a.state] - RANK[b.state] || Date.parse(a.due_at) - Date.parse(b.due_at));
  const change = form({ id: 'incident-change' }, [
    field('Phase', h('select', { id: 'incident-phase', name: 'phase' }, ...PHASES.map((p) => h('option', { value: p, selected: p === incident.phase }, p)))),
    field('Severity', h('select', { id: 'incident-severity', name: 'severity' }, ...severities.map((s) => h('option', { value: s.name, selected: s.name === incident.severity }, s.name)))),
    h('button', { type: 'submit' }, 'Save phase and severity'),
  ], async (data) => {
    const body = {};
    if (data.get('phase') !== incident.phase) body.phase = data.get('phase');
    if (data.get('severity') !== incident.severity) body.severity = data.get('severity');
    if (Object.keys(body).length > 0) await api(base, { method: 'PATCH', body });
    await refresh();
    say('Incident changed.', true);
  });
  const update = form({ id: 'incident-update' }, [
    field('Public update (shown on /status)', h('textarea', { id: 'update-body', name: 'body', maxlength: 5000, required: true, rows: 3 })),
    h('button', { type: 'submit' }, 'Post public update'),
  ], async (data) => {
    await api(`${base}/entries`, { method: 'POST', body: { kind: 'public_update', body: String(data.get('body') ?? '') } });
    await refresh();
    say('Update posted.', true);
  });
  const published = review.published_at !== null;
  const area = (label, name, value) => field(label, h('textarea', { id: `review-${name}`, name, maxlength: 20000, rows: 3, readonly: published }, value));
  const reviewForm = form({ id: 'review-form' }, [
    area('Summary', 'summary', review.summary), area('Root cause', 'root_cause', review.root_cause),
    area('What went well', 'went_well', review.went_well), area('What went badly', 'went_badly', review.went_badly),
    published ? h('p', { id: 'review-published' }, `Published ${when(review.published_at)}.`) : h('button', { type: 'submit' }, 'Save review'),
  ], async (data) => {
    const text = (k) => String(data.get(k) ?? '');
    await api(`${base}/review`, { method: 'PUT', body: { summary: text('summary'), root_cause: text('root_cause'), went_well: text('went_well'), went_badly: text('went_badly') } });
    await refresh();
    say('Review saved.', true);
  });
  const publish = published || incident.resolved_at === null ? '' : form({ id: 'review-publish' }, [h('button', { type: 'submit' }, 'Publish review')], async () => {
    await api(`${base}/review/publish`, { method: 'POST' });
    await refresh();
    say('Review published.', true);
  });
  return [
    h('h1', {}, 'Incident'),
    h('p', {}, h('a', { href: '#/platform/incidents' }, 'Back to incidents')),
    h('dl', { id: 'incident-detail' },
      h('dt', {}, 'Title'), h('dd', { id: 'incident-title' }, incident.title),
      h('dt', {}, 'Severity'), h('dd', { id: 'incident-severity-now' }, incident.severity),
      h('dt', {}, 'Phase'), h('dd', { id: 'incident-phase-now' }, incident.phase),
      h('dt', {}, 'Detected'), h('dd', {}, when(incident.detected_at)),
      h('dt', {}, 'Resolved'), h('dd', {}, incident.resolved_at ? when(incident.resolved_at) : 'open'),
      h('dt', {}, 'Personal-data breach'), h('dd', {}, incident.personal_data_breach ? `yes, aware ${when(incident.aware_at)}` : 'no'),
    ),
    table('Clocks', ['Clock', 'Due', 'Time left', 'Source'], sorted.map((c) => [c.clock, when(c.due_at), timeLeft(c), c.source]), { id: 'incident-clocks' }),
    ...(incident.resolved_at === null ? [h('h2', {}, 'Change'), change, update] : []),
    h('h2', {}, 'Timeline'),
    // Text only: each entry is a text node in a list item.
    h('ol', { id: 'incident-timeline' }, timeline.map((e) => h('li', {}, h('span', { className: 'muted' }, `${when(e.created_at)} · ${e.kind}: `), e.body))),
    h('h2', {}, 'Post-incident review'),
    reviewForm,
    publish,
    table('Actions', ['Action', 'Owner', 'Due', 'Status'], actions.map((a) => [a.title, a.owner_id ? h('code', {}, a.owner_id) : '—', a.due_on ?? '—', a.status]), { id: 'review-actions' }),
  ];
}

/** Renders `#/platform/incidents` (the list) or `#/platform/incidents/<id>` (one incident). */
export async function renderIncidents(id) {
  if (id) return renderIncident(id);
  const { items } = await api('/api/v1/platform/incidents');
  const sorted = [...items].sort((a, b) => (a.resolved_at === null ? 0 : 1) - (b.resolved_at === null ? 0 : 1));
  const rows = sorted.map((i) => [
    h('a', { href: `#/platform/incidents/${i.id}`, className: 'incident-link', 'data-incident': i.id }, i.title),
    i.severity, i.phase, when(i.detected_at), i.resolved_at ? when(i.resolved_at) : 'open',
  ]);
  return [
    h('h1', {}, 'Incidents'),
    h('p', {}, 'Open incidents first. Opening one shows its timeline, its clocks with the time left, and its post-incident review.'),
    table('Incidents', ['Incident', 'Severity', 'Phase', 'Detected', 'Resolved'], rows, { id: 'incidents-list' }),
  ];
}
