// The audit log: newest first, filtered by time, actor, action prefix, target, outcome and address;
// an event's detail opens in place, with its inclusion proof checked in the browser (audit-proof.js);
// the whole log downloads as JSONL, CSV or OCSF. Shared by an organization's log and the platform's.
import { api, explain, field, form, h, say, table, when } from '/assets/dom.js';
import { checkProof } from '/assets/audit-proof.js';
import { renderAuditDestinations } from '/assets/audit-destinations.js';

const PLATFORM_TENANT_ID = '00000000-0000-0000-0000-000000000000';
// A verifier key the person keeps (pasted once, kept in this browser) is trusted over the served one.
const KEPT_KEY = 'parapet.audit.verifier-key';

/** The "Verify proof" control of one event: fetches the proof, checks it here, shows each step. */
function proofCheck(event, root, tenantId) {
  const out = h('div', { className: 'proof-result', id: `proof-${event.id}`, role: 'status' });
  const button = h('button', { type: 'button', className: 'secondary verify-proof', 'data-event': event.id, onclick: async () => {
    out.replaceChildren('Checking…');
    let proof;
    try {
      proof = await api(`${root}/events/${event.id}/proof`);
    } catch (error) {
      out.replaceChildren(h('p', { className: 'error' }, `Not checked: ${explain(error)}`));
      return;
    }
    const kept = localStorage.getItem(KEPT_KEY);
    const key = kept ?? proof.verifier_key;
    const result = await checkProof(proof, event, tenantId, key);
    out.replaceChildren(
      h('p', { className: result.ok ? 'ok proof-verdict' : 'error proof-verdict' }, result.ok ? `Verified: event ${event.seq} is in the log's signed tree of ${proof.tree_size} events.` : 'Not verified: this event is not proven to be in the signed log.'),
      h('ul', {}, result.steps.map((s) => h('li', {}, `${s.ok ? '✓' : '✗'} ${s.label}`))),
      h('p', {}, h('small', {}, kept ? 'Checked against the verifier key you keep in this browser: ' : 'Checked against the verifier key Parapet served with the proof (compare it with the one you keep, or keep it below): '), h('code', { className: 'verifier-key' }, key)),
    );
  } }, 'Verify proof');
  return h('div', {}, button, out);
}

function keyKeeper() {
  const input = h('input', { id: 'audit-kept-key', name: 'key', maxlength: 300, autocomplete: 'off', spellcheck: 'false', value: localStorage.getItem(KEPT_KEY) ?? '' });
  return h('details', { className: 'kept-key' }, h('summary', {}, 'The verifier key you trust'),
    h('p', {}, 'Proofs are checked in this browser. Paste the log\'s verifier key from a source you trust (e.g. the one your auditors keep) to check every proof against it instead of the key served with the proof; leave it empty to use the served key.'),
    form({ id: 'audit-key-form', className: 'inline' }, [field('Verifier key', input), h('button', { type: 'submit', className: 'secondary' }, 'Keep')], (data) => {
      const value = String(data.get('key') ?? '').trim();
      if (value === '') localStorage.removeItem(KEPT_KEY); else localStorage.setItem(KEPT_KEY, value);
      say(value === '' ? 'Proofs are checked against the key served with them.' : 'Proofs are now checked against the key you keep.', true);
    }));
}

function detail(event, root, tenantId) {
  const rows = [
    ['Event id', event.id], ['Sequence', String(event.seq)], ['Occurred', when(event.occurred_at)],
    ['Actor', `${event.actor.type} ${event.actor.display_name ?? ''} ${event.actor.id ?? ''}`.trim()],
    ['Targets', event.targets.map((t) => `${t.type} ${t.name ?? ''} ${t.id}`.replace(/\s+/g, ' ')).join('; ') || '—'],
    ['Source', `${event.source.ip ?? '—'} ${event.source.user_agent ?? ''}`], ['Request id', event.request_id ?? '—'],
    ...Object.entries(event.metadata ?? {}).map(([k, v]) => [k, String(v)]),
  ];
  return [h('dl', { className: 'event-detail' }, rows.flatMap(([k, v]) => [h('dt', {}, k), h('dd', {}, v)])), proofCheck(event, root, tenantId)];
}

/** Renders a log at `logBase` (…/audit) with the filters in the page's query. */
export async function renderAuditLog({ base, logBase, org, can }) {
  const root = logBase ?? `${base}/audit`;
  const tenantId = org?.id ?? PLATFORM_TENANT_ID;
  // The platform log exports for platform administrators (the only ones who see it).
  const exportable = logBase !== undefined || can?.('audit.export');
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
      const more = h('details', {}, h('summary', {}, 'Detail'), ...detail(event, root, tenantId));
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
  const exports = exportable
    ? h('p', { id: 'audit-export' }, 'Download the whole log with its signed checkpoints and verifier key (verify it offline with ', h('code', {}, 'parapet audit verify'), '): ',
      ...[['jsonl', 'JSONL'], ['csv', 'CSV'], ['ocsf', 'OCSF']].flatMap(([format, label], i) => [i === 0 ? '' : ' · ', h('a', { href: `${root}/export?format=${format}`, download: '', className: `export-${format}` }, label)]))
    : '';
  // An organization's SIEM destinations, for those who may manage them (the platform log has none).
  const destinations = logBase === undefined && can?.('audit.manage') ? await renderAuditDestinations({ base }) : [];
  return [h('h2', {}, 'Audit log'), exports, keyKeeper(), filters, results, ...destinations];
}
