// Approvals: just-in-time access requests and risky writes waiting for a second administrator, with
// approve and reject. The API refuses a requester approving their own (self_approval_refused); the
// console shows that refusal's title.
import { api, h, say, table, when, refresh } from '/assets/dom.js';

const DONE = { approve: 'Approved.', reject: 'Rejected.' };

function decide(url, verb, label, className) {
  return h('button', { type: 'button', className, onclick: async () => {
    try {
      await api(`${url}/${verb}`, { method: 'POST', body: {} });
      await refresh();
      say(DONE[verb], true);
    } catch (error) {
      say(error.message);
    }
  } }, label);
}

/** Renders the Approvals tab. */
export async function renderApprovals({ can, base }) {
  const [requests, writes] = await Promise.all([
    api(`${base}/access-requests?status=pending&limit=100`),
    can('organization.read') ? api(`${base}/approvals?status=pending&limit=100`) : Promise.resolve({ items: [] }),
  ]);
  const decides = can('access.approve');
  const requestRows = requests.items.map((r) => [
    h('code', {}, r.requester_id),
    r.role,
    r.scope.environment_id ? `environment ${r.scope.environment_id}` : r.scope.project_id ? `project ${r.scope.project_id}` : 'organization',
    `${r.duration_minutes} min`,
    r.reason,
    when(r.created_at),
    ...(decides ? [h('div', { className: 'actions', 'data-request': r.id }, decide(`${base}/access-requests/${r.id}`, 'approve', 'Approve', 'approve'), decide(`${base}/access-requests/${r.id}`, 'reject', 'Reject', 'danger reject'))] : []),
  ]);
  const writeRows = writes.items.map((a) => [
    a.operation,
    h('ul', { className: 'plain' }, Object.entries(a.params).map(([k, v]) => h('li', {}, `${k}: ${v}`))),
    h('code', {}, a.requested_by),
    when(a.created_at),
    ...(decides ? [h('div', { className: 'actions', 'data-approval': a.id }, decide(`${base}/approvals/${a.id}`, 'approve', 'Approve', 'approve'), decide(`${base}/approvals/${a.id}`, 'reject', 'Reject', 'danger reject'))] : []),
  ]);
  return [
    h('h2', {}, 'Approvals'),
    h('p', {}, 'Nobody can approve their own request; approving needs the permissions being granted or the operation’s own permission.'),
    table('Access requests waiting for a decision', ['Requested by', 'Role', 'Scope', 'For', 'Reason', 'Requested', ...(decides ? ['Decision'] : [])], requestRows, { id: 'access-requests' }),
    table('Risky writes waiting for a second administrator', ['Operation', 'Target', 'Requested by', 'Requested', ...(decides ? ['Decision'] : [])], writeRows, { id: 'risky-approvals' }),
  ];
}
