// Platform administrators: the security team's work list of vulnerability reports (issue 22, VDP-2,
// VDP-3). The list shows status, severity and each clock (acknowledge, assess, fix) with what is
// late first; opening a report reads its decrypted text (audited as disclosure.report_read) and
// shows it as text only — reporter content is never HTML here either. Triage (status, CVSS vector,
// assignee) goes through the same API as curl: POST …/reports/{id}/triage.
import { api, field, form, h, refresh, say, table, when } from '/assets/dom.js';

const STATUSES = ['acknowledged', 'assessed', 'fixed', 'rejected'];
const CLOCKS = ['acknowledge', 'assess', 'fix'];

/** "due 12/9/2026, 10:00 — overdue" for one clock, or "—" when it has none. */
function clockText(clock) {
  if (!clock) return '—';
  const state = clock.state === 'met' ? (clock.late ? 'met late' : 'met') : clock.state;
  return `${when(clock.due_at)} — ${state}`;
}

/** Open (not met) clocks that are overdue come first, then the earliest due. */
function urgency(report) {
  const open = CLOCKS.map((name) => report.clocks[name]).filter((clock) => clock && clock.state !== 'met');
  const overdue = open.some((clock) => clock.state === 'overdue');
  const next = open.map((clock) => Date.parse(clock.due_at)).sort((a, b) => a - b)[0] ?? Number.POSITIVE_INFINITY;
  return [overdue ? 0 : 1, next];
}

async function renderReport(id) {
  const report = await api(`/api/v1/platform/disclosure/reports/${encodeURIComponent(id)}`);
  const triage = form({ id: 'triage-form' }, [
    field('Status', h('select', { id: 'triage-status', name: 'status' }, h('option', { value: '' }, '(unchanged)'), ...STATUSES.map((s) => h('option', { value: s }, s)))),
    field('CVSS 3.1 or 4.0 vector', h('input', { id: 'triage-cvss', name: 'cvss_vector', maxlength: 200, value: report.cvss_vector ?? '' }), 'sets the severity and the fix deadline'),
    field('Assignee (a platform operator\u2019s user id)', h('input', { id: 'triage-assignee', name: 'assignee', maxlength: 36, value: report.assignee_user_id ?? '' }), 'empty: unassigned'),
    h('button', { type: 'submit' }, 'Save triage'),
  ], async (data) => {
    const body = {};
    const status = String(data.get('status') ?? '');
    if (status) body.status = status;
    const vector = String(data.get('cvss_vector') ?? '').trim();
    if (vector && vector !== (report.cvss_vector ?? '')) body.cvss_vector = vector;
    const assignee = String(data.get('assignee') ?? '').trim();
    if (assignee !== (report.assignee_user_id ?? '')) body.assignee_user_id = assignee === '' ? null : assignee;
    await api(`/api/v1/platform/disclosure/reports/${encodeURIComponent(id)}/triage`, { method: 'POST', body });
    await refresh();
    say('Triage saved.', true);
  });
  return [
    h('h1', {}, 'Vulnerability report'),
    h('p', {}, h('a', { href: '#/platform/disclosure' }, 'Back to the work list')),
    h('dl', { id: 'report-detail' },
      h('dt', {}, 'Title'), h('dd', { id: 'report-title' }, report.title),
      h('dt', {}, 'Reporter'), h('dd', {}, report.reporter_email),
      h('dt', {}, 'Status'), h('dd', {}, report.status),
      h('dt', {}, 'Severity'), h('dd', {}, report.severity ? `${report.severity} (${report.cvss_score})` : 'not assessed'),
      ...CLOCKS.flatMap((name) => [h('dt', {}, `Clock: ${name}`), h('dd', {}, clockText(report.clocks[name]))]),
      h('dt', {}, 'Coordinated disclosure'), h('dd', {}, report.coordinated_disclosure.date ?? 'no date agreed'),
    ),
    h('h2', {}, 'Report'),
    // Text only: a <pre> holding a text node, never markup.
    h('pre', { id: 'report-body', className: 'report-body' }, report.body),
    h('h2', {}, 'Triage'),
    triage,
  ];
}

/** Renders `#/platform/disclosure` (the work list) or `#/platform/disclosure/<id>` (one report). */
export async function renderDisclosure(id) {
  if (id) return renderReport(id);
  const { items } = await api('/api/v1/platform/disclosure/reports');
  const sorted = [...items].sort((a, b) => {
    const [x, y] = [urgency(a), urgency(b)];
    return x[0] - y[0] || x[1] - y[1];
  });
  const rows = sorted.map((report) => [
    h('a', { href: `#/platform/disclosure/${report.id}`, className: 'report-link', 'data-report': report.id }, report.id.slice(0, 8)),
    report.status,
    report.severity ?? '—',
    ...CLOCKS.map((name) => clockText(report.clocks[name])),
    report.assignee_user_id ? h('code', {}, report.assignee_user_id) : 'unassigned',
    when(report.received_at ?? report.created_at),
  ]);
  return [
    h('h1', {}, 'Vulnerability reports'),
    h('p', {}, 'The security team\u2019s work list: overdue clocks first, then the earliest due. Opening a report reads its text and is recorded in the platform audit log.'),
    table('Reports', ['Report', 'Status', 'Severity', 'Acknowledge', 'Assess', 'Fix', 'Assignee', 'Received'], rows, { id: 'disclosure-reports' }),
    items.length === 0 ? h('p', {}, 'No reports yet.') : '',
  ];
}
