// Members: list with roles, second factors and last sign-in (those need access.read); invite,
// change the organization-wide role and remove (members.manage / access.manage).
import { api, confirmed, field, form, h, say, table, when, refresh } from '/assets/dom.js';
import { renderBindings } from '/assets/bindings.js';

const ROLE_NAMES = { tenant_admin: 'Tenant Admin', security_admin: 'Security Admin', security_analyst: 'Security Analyst', viewer: 'Viewer', auditor: 'Auditor', service_account: 'Service Account' };

function roleText(role, roles) {
  const name = ROLE_NAMES[role.role] ?? roles.get(role.role) ?? role.role;
  const scope = role.scope.environment_id ? ' (one environment)' : role.scope.project_id ? ' (one project)' : '';
  return `${name}${scope}${role.expires_at ? `, until ${when(role.expires_at)}` : ''}`;
}

/** Renders the members tab. */
export async function renderMembers({ org, can, base, me }) {
  const page = await api(`${base}/members?limit=100`);
  const roles = new Map();
  let roleOptions = Object.entries(ROLE_NAMES).filter(([key]) => key !== 'service_account');
  if (can('access.read')) {
    const list = await api(`${base}/roles`);
    for (const role of list.items) roles.set(role.id ?? role.key, role.name);
    roleOptions = list.items.filter((r) => (r.key ?? r.id) !== 'service_account').map((r) => [r.key ?? r.id, r.name]);
  }
  const manage = can('members.manage');
  const changeRoles = can('access.manage');
  const detailed = page.items.some((m) => m.roles !== undefined);
  const headers = ['Name', 'Email', ...(detailed ? ['Roles', 'Second factor', 'Last sign-in'] : []), 'Joined', ...(manage || changeRoles ? ['Actions'] : [])];
  const rows = page.items.map((member) => {
    const cells = [member.display_name, member.email];
    if (detailed) {
      cells.push(member.roles.map((r) => roleText(r, roles)).join('; ') || '—', member.mfa.enabled ? `Yes (${member.mfa.methods.join(', ')})` : 'No', when(member.last_sign_in_at));
    }
    cells.push(when(member.joined_at));
    if (manage || changeRoles) {
      const actions = h('div', { className: 'actions' });
      if (changeRoles && detailed) {
        const id = `role-${member.user_id}`;
        const current = member.roles.find((r) => r.scope.project_id === null && r.scope.environment_id === null);
        const select = h('select', { id, name: 'role', 'aria-label': `Role of ${member.display_name}` }, roleOptions.map(([key, name]) => h('option', { value: key, selected: current?.role === key }, name)));
        actions.append(
          form({ className: 'change-role inline', 'data-user': member.user_id }, [select, h('button', { type: 'submit', className: 'secondary' }, 'Change role')], async (data) => {
            // The new binding first, then the old organization-wide ones: never a moment without a role
            // (and the last Tenant Admin guard refuses removing the only one).
            await api(`${base}/bindings`, { method: 'POST', body: { principal: { type: 'user', id: member.user_id }, role: data.get('role') } });
            for (const old of member.roles.filter((r) => r.scope.project_id === null && r.scope.environment_id === null && r.role !== data.get('role'))) {
              await api(`${base}/bindings/${old.binding_id}`, { method: 'DELETE' });
            }
            await refresh();
          }),
        );
      }
      if (manage && member.user_id !== me.user.id) {
        actions.append(
          h('button', { type: 'button', className: 'danger remove-member', 'data-user': member.user_id, onclick: async () => {
            if (!confirmed(`Remove ${member.display_name} from ${org.name}? Their sessions end and the API keys they made are suspended.`)) return;
            try {
              const result = await api(`${base}/members/${member.user_id}`, { method: 'DELETE' });
              await refresh();
              say(`Removed: ${result.bindings_removed} role(s), ${result.sessions_ended} session(s) ended, ${result.api_keys_suspended} API key(s) suspended.`, true);
            } catch (error) { say(error.message); }
          } }, `Remove`),
        );
      }
      cells.push(actions);
    }
    return cells;
  });
  const parts = [h('h2', {}, 'Members'), table('Members of the organization', headers, rows, { id: 'members' })];
  if (!detailed) parts.push(h('p', {}, 'Roles, second factors and last sign-ins are shown to members who may read access control.'));
  if (changeRoles && detailed) parts.push(...(await renderBindings({ can, base }, page.items, roleOptions)));
  if (manage) {
    const invitations = await api(`${base}/invitations?limit=100`);
    parts.push(
      h('h3', {}, 'Invite someone'),
      form({ id: 'invite' }, [
        field('Email', h('input', { id: 'invite-email', name: 'email', type: 'email', required: true, maxlength: 254, autocomplete: 'off' })),
        field('Role', h('select', { id: 'invite-role', name: 'role' }, roleOptions.map(([key, name]) => h('option', { value: key, selected: key === 'viewer' }, name)))),
        h('button', { type: 'submit' }, 'Send invitation'),
      ], async (data, element) => {
        await api(`${base}/invitations`, { method: 'POST', body: { email: data.get('email'), role: data.get('role') } });
        element.reset();
        await refresh();
        say('Invitation sent. The link in the mail is valid for 7 days.', true);
      }),
      table('Invitations', ['Email', 'Role', 'Status', 'Expires'], invitations.items.map((i) => [i.email, ROLE_NAMES[i.role] ?? roles.get(i.role) ?? i.role, i.status, when(i.expires_at)]), { id: 'invitations' }),
    );
  }
  return parts;
}
