// Just-in-time access (AC-4, docs/access-requests.md): ask for a role at the organization, a project
// or an environment, for a limited time, with a reason; follow one's own requests and cancel a
// pending one. Approvers decide on the Approvals tab. Routes: …/access-requests.
import { api, confirmed, field, form, h, say, table, when, refresh } from '/assets/dom.js';

const BUILT_IN = [['viewer', 'Viewer'], ['auditor', 'Auditor'], ['security_analyst', 'Security Analyst'], ['security_admin', 'Security Admin'], ['tenant_admin', 'Tenant Admin']];
const DURATIONS = [[30, '30 minutes'], [60, '1 hour'], [120, '2 hours'], [240, '4 hours'], [480, '8 hours'], [1440, '1 day']];

/** The scopes the caller can name: the organization, and each project and environment it can read. */
async function scopeChoices({ can, base }) {
  const choices = [{ value: 'org', label: 'The whole organization', scope: {} }];
  if (!can('projects.read')) return choices;
  for (const project of (await api(`${base}/projects?limit=100`)).items) {
    choices.push({ value: `p:${project.id}`, label: `Project ${project.name}`, scope: { project_id: project.id }, project });
    if (!can('environments.read')) continue;
    for (const env of (await api(`${base}/projects/${project.id}/environments?limit=100`)).items) {
      choices.push({ value: `e:${project.id}:${env.id}`, label: `Environment ${project.name} / ${env.name}`, scope: { project_id: project.id, environment_id: env.id }, project, env });
    }
  }
  return choices;
}

/** Renders the Request access tab. */
export async function renderAccessRequests(ctx) {
  const { org, can, base, me } = ctx;
  const url = `${base}/access-requests`;
  const roles = new Map(BUILT_IN);
  if (can('access.read')) for (const role of (await api(`${base}/roles`)).items) if (!role.built_in) roles.set(role.id, role.name);
  const choices = await scopeChoices(ctx);
  const scopeText = (scope) => choices.find((c) => (c.scope.environment_id ?? null) === scope.environment_id && (c.scope.project_id ?? null) === scope.project_id)?.label ?? (scope.environment_id ? 'An environment' : scope.project_id ? 'A project' : 'The whole organization');
  // Approvers list everyone's requests: this tab shows only the caller's own.
  const mine = (await api(`${url}?limit=100`)).items.filter((r) => r.requester_id === me.user.id);
  const rows = mine.map((r) => [
    roles.get(r.role) ?? r.role,
    scopeText(r.scope),
    `${r.duration_minutes} min`,
    r.reason,
    r.status,
    r.status === 'approved' ? `Until ${when(r.expires_at)}` : when(r.created_at),
    r.status === 'pending'
      ? h('button', { type: 'button', className: 'secondary cancel-request', 'data-request': r.id, onclick: async () => {
          if (!confirmed('Cancel this access request?')) return;
          try { await api(`${url}/${r.id}/cancel`, { method: 'POST', body: {} }); await refresh(); say('The request is cancelled.', true); } catch (error) { say(error.message); }
        } }, 'Cancel')
      : '',
  ]);
  return [
    h('h2', {}, 'Request access'),
    h('p', {}, 'Ask for a role for a limited time. Another administrator approves or rejects it; once approved the role is yours until the time runs out, and every step is in the audit log.'),
    can('access.approve') ? h('p', {}, 'Requests from others wait on the ', h('a', { href: `#/org/${org.id}/approvals`, id: 'approvals-link' }, 'Approvals tab'), '.') : null,
    form({ id: 'request-access' }, [
      field('Role', h('select', { id: 'request-role', name: 'role' }, [...roles].map(([key, name]) => h('option', { value: key }, name)))),
      field('Where', h('select', { id: 'request-scope', name: 'scope' }, choices.map((c) => h('option', { value: c.value }, c.label)))),
      field('For how long', h('select', { id: 'request-duration', name: 'duration' }, DURATIONS.map(([minutes, label]) => h('option', { value: minutes, selected: minutes === 60 }, label)))),
      field('Reason', h('textarea', { id: 'request-reason', name: 'reason', required: true, minlength: 10, maxlength: 500, rows: 2 }), '(10 to 500 characters; the approvers and the audit log see it)'),
      h('button', { type: 'submit' }, 'Send the request'),
    ], async (data, element) => {
      const scope = choices.find((c) => c.value === data.get('scope'))?.scope ?? {};
      await api(url, { method: 'POST', body: { role: data.get('role'), scope, duration_minutes: Number(data.get('duration')), reason: String(data.get('reason')).trim() } });
      element.reset();
      await refresh();
      say('Your request is sent. It waits for an approver.', true);
    }),
    table('Your access requests', ['Role', 'Where', 'For', 'Reason', 'Status', 'When', 'Actions'], rows, { id: 'my-requests' }),
  ];
}
