// Approvals: just-in-time access requests and risky writes waiting for a second administrator, with
// approve and reject. The API refuses a requester approving their own (self_approval_refused); the
// console shows that refusal's title. Where nobody but the requester could approve a risky write
// (a single-administrator organization), the API says from when they may confirm it alone, and the
// console offers that button (disabled until then; it needs a recent sign-in).
import { api, h, say, table, when, refresh } from '/assets/dom.js';

const DONE = { approve: 'Approved.', reject: 'Rejected.', confirm: 'Confirmed and carried out.' };

function decide(url, verb, label, className, disabled = false) {
  return h('button', { type: 'button', className, disabled, onclick: async () => {
    try {
      await api(`${url}/${verb}`, { method: 'POST', body: {} });
      await refresh();
      say(DONE[verb], true);
    } catch (error) {
      say(error.message);
    }
  } }, label);
}

/** Approve and reject; when nobody else could approve, confirm alone instead of approve. */
function approvalActions(url, approval) {
  const reject = decide(url, 'reject', 'Reject', 'danger reject');
  if (approval.confirmable_alone_after === null) return [decide(url, 'approve', 'Approve', 'approve'), reject];
  // The server's clock decides (confirmable_alone), not this browser's.
  const ready = approval.confirmable_alone === true;
  return [
    h('p', { className: 'hint' }, ready ? 'Nobody else can approve this: as its requester you may confirm it alone (you may be asked to sign in again).' : `Nobody else can approve this: as its requester you may confirm it alone from ${when(approval.confirmable_alone_after)}.`),
    decide(url, 'confirm', 'Confirm alone', 'approve confirm-alone', !ready),
    reject,
  ];
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
    ...(decides ? [h('div', { className: 'actions', 'data-approval': a.id }, ...approvalActions(`${base}/approvals/${a.id}`, a))] : []),
  ]);
  return [
    h('h2', {}, 'Approvals'),
    h('p', {}, 'Nobody can approve their own request; approving needs the permissions being granted or the operation’s own permission.'),
    table('Access requests waiting for a decision', ['Requested by', 'Role', 'Scope', 'For', 'Reason', 'Requested', ...(decides ? ['Decision'] : [])], requestRows, { id: 'access-requests' }),
    table('Risky writes waiting for a second administrator', ['Operation', 'Target', 'Requested by', 'Requested', ...(decides ? ['Decision'] : [])], writeRows, { id: 'risky-approvals' }),
  ];
}
