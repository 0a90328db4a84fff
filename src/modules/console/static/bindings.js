// Roles at a scope, with conditions and an expiry (AC-2, AC-3; docs/access-control.md), on the
// Members tab: the members' grants that are not a plain organization-wide role (remove any), and a
// form that grants a role to a member at the organization, a project or an environment, optionally
// only with a second factor, from some address ranges or in a weekly time window, until a date.
// Route: POST/DELETE …/bindings (access.manage; the API refuses roles the caller does not hold).
import { api, confirmed, field, form, h, say, table, when, refresh } from '/assets/dom.js';

const DAYS = ['Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat', 'Sun'];

/** The organization, and every project and environment the caller can read, as scopes to choose. */
async function scopes({ can, base }) {
  const choices = [{ value: 'org', label: 'The whole organization', scope: {} }];
  if (!can('projects.read')) return choices;
  for (const project of (await api(`${base}/projects?limit=100`)).items) {
    choices.push({ value: `p:${project.id}`, label: `Project ${project.name}`, scope: { project_id: project.id } });
    if (!can('environments.read')) continue;
    for (const env of (await api(`${base}/projects/${project.id}/environments?limit=100`)).items) {
      choices.push({ value: `e:${env.id}`, label: `Environment ${project.name} / ${env.name}`, scope: { project_id: project.id, environment_id: env.id } });
    }
  }
  return choices;
}

/** The conditions the form describes, or undefined for none (the API refuses an empty object). */
function conditionsOf(data) {
  const conditions = {};
  if (data.get('mfa') === 'on') conditions.mfa = true;
  const ip = String(data.get('ip') ?? '').split(/[\s,]+/).filter(Boolean);
  if (ip.length > 0) conditions.ip = ip;
  const start = String(data.get('start') ?? '');
  const end = String(data.get('end') ?? '');
  if (start !== '' || end !== '') {
    const days = data.getAll('days').map(Number);
    conditions.time = { timezone: String(data.get('timezone') ?? '').trim() || 'UTC', start, end, ...(days.length > 0 ? { days } : {}) };
  }
  return Object.keys(conditions).length > 0 ? conditions : undefined;
}

/** A binding's conditions in words ('None' without any). */
export function describeConditions(conditions) {
  if (!conditions) return 'None';
  const parts = [];
  if (conditions.mfa) parts.push('with a second factor');
  if (conditions.ip) parts.push(`from ${conditions.ip.join(', ')}`);
  if (conditions.time) {
    const t = conditions.time;
    parts.push(`${t.days ? t.days.map((d) => DAYS[d - 1]).join(', ') : 'every day'} ${t.start}–${t.end} (${t.timezone})`);
  }
  return parts.join('; ');
}

/** The grants table and the grant form for the Members tab (callers holding access.manage). */
export async function renderBindings(ctx, members, roleOptions) {
  const { base } = ctx;
  const choices = await scopes(ctx);
  const roleName = new Map(roleOptions);
  const scopeName = (scope) => choices.find((c) => (c.scope.environment_id ?? null) === scope.environment_id && (c.scope.project_id ?? null) === scope.project_id)?.label ?? 'The whole organization';
  const special = members.flatMap((m) => (m.roles ?? []).filter((r) => r.scope.project_id !== null || r.scope.environment_id !== null || r.expires_at !== null || r.conditional).map((r) => ({ member: m, role: r })));
  // The members list says only whether a grant is conditional; the binding says which conditions.
  const conditions = new Map();
  for (const { role } of special.filter((g) => g.role.conditional)) conditions.set(role.binding_id, (await api(`${base}/bindings/${role.binding_id}`)).conditions);
  const rows = special.map(({ member, role }) => [
    member.display_name,
    roleName.get(role.role) ?? role.role,
    scopeName(role.scope),
    describeConditions(conditions.get(role.binding_id)),
    role.expires_at ? when(role.expires_at) : 'Never',
    h('button', { type: 'button', className: 'danger remove-binding', 'data-binding': role.binding_id, onclick: async () => {
      if (!confirmed(`Remove the role ${roleName.get(role.role) ?? role.role} of ${member.display_name} at ${scopeName(role.scope)}?`)) return;
      try { await api(`${base}/bindings/${role.binding_id}`, { method: 'DELETE' }); await refresh(); say('The role is removed.', true); } catch (error) { say(error.message); }
    } }, 'Remove'),
  ]);
  const dayBoxes = DAYS.map((day, i) => h('div', { className: 'check' }, h('input', { id: `grant-day-${i + 1}`, name: 'days', type: 'checkbox', value: i + 1 }), h('label', { for: `grant-day-${i + 1}` }, day)));
  return [
    table('Roles at a scope, with conditions or an expiry', ['Member', 'Role', 'Where', 'Conditions', 'Expires', 'Actions'], rows, { id: 'scoped-bindings' }),
    h('h3', {}, 'Grant a role at a scope'),
    form({ id: 'grant-role' }, [
      field('Member', h('select', { id: 'grant-member', name: 'member' }, members.map((m) => h('option', { value: m.user_id }, `${m.display_name} <${m.email}>`)))),
      field('Role', h('select', { id: 'grant-role-key', name: 'role' }, roleOptions.map(([key, name]) => h('option', { value: key, selected: key === 'viewer' }, name))), '(you must hold its permissions)'),
      field('Where', h('select', { id: 'grant-scope', name: 'scope' }, choices.map((c) => h('option', { value: c.value }, c.label)))),
      field('Expires', h('input', { id: 'grant-expires', name: 'expires', type: 'datetime-local' }), '(your local time; leave empty for no expiry)'),
      h('fieldset', {}, h('legend', {}, 'Conditions (all must hold; leave empty for none)'),
        h('div', { className: 'check' }, h('input', { id: 'grant-mfa', name: 'mfa', type: 'checkbox' }), h('label', { for: 'grant-mfa' }, 'Only in sessions signed in with a second factor')),
        field('Only from these address ranges', h('textarea', { id: 'grant-ip', name: 'ip', rows: 2, spellcheck: 'false' }), '(CIDR, one a line, e.g. 10.0.0.0/8)'),
        field('Time window from', h('input', { id: 'grant-start', name: 'start', type: 'time' })),
        field('until', h('input', { id: 'grant-end', name: 'end', type: 'time' })),
        field('Time zone of the window', h('input', { id: 'grant-timezone', name: 'timezone', maxlength: 64, value: Intl.DateTimeFormat().resolvedOptions().timeZone ?? 'UTC', autocomplete: 'off' }), '(IANA, e.g. Europe/Berlin)'),
        h('fieldset', {}, h('legend', {}, 'On these days (none ticked: every day)'), ...dayBoxes)),
      h('button', { type: 'submit' }, 'Grant the role'),
    ], async (data, element) => {
      const expires = String(data.get('expires') ?? '');
      const conditions = conditionsOf(data);
      const scope = choices.find((c) => c.value === data.get('scope'))?.scope ?? {};
      await api(`${base}/bindings`, { method: 'POST', body: {
        principal: { type: 'user', id: data.get('member') },
        role: data.get('role'),
        scope,
        ...(conditions ? { conditions } : {}),
        ...(expires ? { expires_at: new Date(expires).toISOString() } : {}),
      } });
      element.reset();
      await refresh();
      say('The role is granted.', true);
    }),
  ];
}
