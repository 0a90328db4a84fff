// Platform administrators reach a tenant's data only through a just-in-time grant (AC-4): a request
// the organization's approvers decide on, or — in an emergency — break-glass (AC-6), granted at
// once, for at most an hour, and loud. Both are POST …/organizations/{id}/access-requests.
import { api, confirmed, field, form, h, say, when } from '/assets/dom.js';

const ROLES = [['security_analyst', 'Security Analyst (read)'], ['viewer', 'Viewer'], ['auditor', 'Auditor'], ['security_admin', 'Security Admin'], ['tenant_admin', 'Tenant Admin']];
const UUID = '[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}';

/** The operator access section of the platform page. */
export function renderOperatorAccess() {
  const result = h('div', { id: 'operator-access-result', role: 'status' });
  const warning = h('div', { id: 'break-glass-warning', className: 'warning', hidden: true },
    h('p', {}, h('strong', {}, 'Break-glass is for emergencies only.'), ' You approve your own access: it starts at once and ends after at most 60 minutes. The organization\u2019s administrators get a high-severity security alert naming you and your reason, the audit log records access.break_glass, and every request you make with it carries the grant\u2019s id.'));
  const breakGlass = h('input', { id: 'operator-break-glass', name: 'break_glass', type: 'checkbox', onchange: () => { warning.hidden = !breakGlass.checked; } });
  const duration = h('input', { id: 'operator-duration', name: 'duration', type: 'number', min: 1, max: 10080, value: 60, required: true });
  const request = form({ id: 'operator-access' }, [
    field('Organization id', h('input', { id: 'operator-org', name: 'org', required: true, pattern: UUID, autocomplete: 'off', spellcheck: 'false' }), '(from the customer\u2019s support case)'),
    field('Role', h('select', { id: 'operator-role', name: 'role' }, ROLES.map(([k, n]) => h('option', { value: k }, n)))),
    field('Reason', h('textarea', { id: 'operator-reason', name: 'reason', rows: 2, required: true, minlength: 10, maxlength: 500 }), '(10 to 500 characters: the organization\u2019s approvers and its audit log see it)'),
    field('Duration in minutes', duration, '(break-glass: at most 60)'),
    h('div', { className: 'check' }, breakGlass, h('label', { for: 'operator-break-glass' }, 'Break the glass: grant it to me now, without an approver')),
    warning,
    h('button', { type: 'submit' }, 'Request access'),
  ], async (data) => {
    const glass = data.get('break_glass') === 'on';
    const orgId = String(data.get('org') ?? '').trim().toLowerCase();
    if (glass && !confirmed('Break the glass? The organization is alerted at once and the access is audited.')) return;
    const created = await api(`/api/v1/organizations/${encodeURIComponent(orgId)}/access-requests`, {
      method: 'POST',
      body: { role: data.get('role'), reason: String(data.get('reason') ?? '').trim(), duration_minutes: Number(data.get('duration')), ...(glass ? { break_glass: true } : {}) },
    });
    result.replaceChildren(created.status === 'approved'
      ? h('p', { className: 'warning', id: 'operator-access-granted' }, `Break-glass access granted until ${when(created.expires_at)}. The organization\u2019s administrators have been alerted. Request id: `, h('code', {}, created.id))
      : h('p', { className: 'ok', id: 'operator-access-pending' }, 'Requested. The organization\u2019s approvers decide on it (their Approvals tab); nothing is granted until then. Request id: ', h('code', {}, created.id)));
    say(created.status === 'approved' ? 'Break-glass access granted: the organization is alerted.' : 'Access requested: waiting for the organization\u2019s approval.', true);
  });
  return [
    h('h2', {}, 'Operator access to an organization'),
    h('p', {}, 'As a platform administrator you hold nothing inside an organization. To read or change its data, ask for a just-in-time grant: one of its approvers must approve it, it expires by itself and every use is in its audit log.'),
    request, result,
  ];
}
