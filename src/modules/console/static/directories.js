// Directory sync (SCIM 2.0, docs/sso.md "SCIM"): an organization's directories, each the channel one
// identity provider provisions users and groups through. Create one (its bearer token is shown once,
// with copy), rotate the token (the old one stops at once), delete; each row shows what the IdP has
// provisioned. Routes: /api/v1/organizations/{orgId}/scim/directories…
import { api, confirmed, copyButton, field, form, h, say, table, when, refresh } from '/assets/dom.js';

const ROLES = [['viewer', 'Viewer'], ['security_analyst', 'Security Analyst'], ['auditor', 'Auditor'], ['security_admin', 'Security Admin'], ['tenant_admin', 'Tenant Admin']];
const roleName = (key) => ROLES.find(([k]) => k === key)?.[1] ?? key;

/** The token panel: shown once, with copy, and the base URL the IdP needs beside it. */
function tokenShown(shown, heading, result) {
  shown.replaceChildren(
    h('p', {}, h('strong', {}, heading), ' Copy the token now: it is shown only once. Parapet stores only a digest of it.'),
    h('dl', { className: 'event-detail' },
      h('dt', {}, 'SCIM base URL'), h('dd', {}, h('code', { id: 'new-directory-url' }, result.directory.scim_base_url)),
      h('dt', {}, 'Bearer token'), h('dd', {}, h('code', { id: 'new-directory-token', className: 'secret' }, result.token))),
    copyButton(result.token, 'Copy the token'), ' ',
    h('button', { type: 'button', id: 'directory-token-done', onclick: () => void refresh() }, 'I have stored it'),
  );
  shown.hidden = false;
  shown.querySelector('button')?.focus();
}

/** A directory's group-to-role mappings (`…/group-roles`): members of a group receive its role. */
async function mappingsOf(url, directory, manage) {
  const base = `${url}/${directory.id}/group-roles`;
  const { items } = await api(base);
  const rows = items.map((m) => [m.group_name, roleName(m.role), when(m.created_at), ...(manage
    ? [h('button', { type: 'button', className: 'danger remove-mapping', 'data-mapping': m.id, onclick: async () => {
        if (!confirmed(`Stop giving ${roleName(m.role)} to members of the group "${m.group_name}"? They lose it at their next directory update.`)) return;
        try { await api(`${base}/${m.id}`, { method: 'DELETE' }); await refresh(); say('The mapping is removed.', true); } catch (error) { say(error.message); }
      } }, 'Remove')]
    : [])]);
  const id = directory.id;
  return h('div', { className: 'directory-mappings', 'data-directory': id },
    table(`Groups of ${directory.name} and the roles their members receive`, ['Group (displayName)', 'Role', 'Added', ...(manage ? ['Actions'] : [])], rows),
    manage
      ? form({ className: 'add-mapping inline', 'data-directory': id }, [
          field('Group', h('input', { id: `mapping-group-${id}`, name: 'group_name', required: true, maxlength: 256, autocomplete: 'off' }), '(its displayName; any case)'),
          field('Role', h('select', { id: `mapping-role-${id}`, name: 'role' }, ROLES.map(([k, n]) => h('option', { value: k }, n)))),
          h('button', { type: 'submit' }, 'Map the group'),
        ], async (data) => {
          await api(base, { method: 'POST', body: { group_name: String(data.get('group_name')).trim(), role: data.get('role') } });
          await refresh();
          say('The group is mapped.', true);
        })
      : null);
}

/** Renders the Directory sync tab (shown to holders of settings.manage). */
export async function renderDirectories({ can, base }) {
  const url = `${base}/scim/directories`;
  const manage = can('settings.manage');
  const directories = (await api(url)).items;
  const shown = h('div', { id: 'directory-token', hidden: true, className: 'warning', role: 'status' });
  const rows = directories.map((d) => [
    d.name,
    roleName(d.default_role),
    h('span', {}, h('code', {}, d.scim_base_url), ' ', copyButton(d.scim_base_url, 'Copy the URL')),
    d.has_token ? `Issued ${when(d.token_issued_at)}` : 'Revoked',
    h('span', { className: 'provisioned', 'data-directory': d.id }, `${d.provisioned.users} user(s), ${d.provisioned.groups} group(s)`),
    when(d.created_at),
    ...(manage
      ? [h('div', { className: 'actions' },
          h('button', { type: 'button', className: 'secondary rotate-directory', 'data-directory': d.id, onclick: async () => {
            if (!confirmed(`Issue a new token for "${d.name}"? The current one stops working at once: give the new one to the identity provider.`)) return;
            try { tokenShown(shown, `New token for "${d.name}".`, await api(`${url}/${d.id}/token`, { method: 'POST', body: {} })); } catch (error) { say(error.message); }
          } }, 'Rotate the token'),
          h('button', { type: 'button', className: 'danger delete-directory', 'data-directory': d.id, onclick: async () => {
            if (!confirmed(`Delete the directory "${d.name}"? Its token stops working; the members it provisioned stay members.`)) return;
            try { await api(`${url}/${d.id}`, { method: 'DELETE' }); await refresh(); say('The directory is deleted.', true); } catch (error) { say(error.message); }
          } }, 'Delete'))]
      : []),
  ]);
  const parts = [
    h('h2', {}, 'Directory sync (SCIM)'),
    h('p', {}, 'Your identity provider (Okta, Entra ID, …) creates, updates and removes members here over SCIM 2.0. Give it the base URL and the bearer token of a directory.'),
    table('Directories', ['Name', 'Role of new users', 'SCIM base URL', 'Token', 'Provisioned', 'Created', ...(manage ? ['Actions'] : [])], rows, { id: 'directories' }),
    shown,
  ];
  if (directories.length > 0) parts.push(h('h3', {}, 'Group roles'), h('p', {}, 'Members of a mapped directory group receive its role, besides the role every provisioned user gets.'));
  for (const d of directories) parts.push(await mappingsOf(url, d, manage));
  if (!manage) return parts;
  parts.push(
    h('h3', {}, 'Create a directory'),
    form({ id: 'create-directory' }, [
      field('Name', h('input', { id: 'directory-name', name: 'name', required: true, maxlength: 100 }), '(for example the identity provider’s name)'),
      field('Role of new users', h('select', { id: 'directory-role', name: 'default_role' }, ROLES.map(([k, n]) => h('option', { value: k, selected: k === 'viewer' }, n))), '(you must hold its permissions)'),
      h('button', { type: 'submit' }, 'Create directory'),
    ], async (data, element) => {
      const created = await api(url, { method: 'POST', body: { name: data.get('name'), default_role: data.get('default_role') } });
      element.reset();
      tokenShown(shown, `Created "${created.directory.name}".`, created);
    }),
  );
  return parts;
}
