// Custom roles: built-in roles are listed read-only; custom ones are made from the permission
// catalogue (GET /api/v1/permissions), edited and deleted. The API refuses permissions the caller lacks.
import { api, confirmed, field, form, h, say, table, refresh } from '/assets/dom.js';

function permissionBoxes(catalogue, idPrefix, checked = []) {
  return h('fieldset', { className: 'permissions' }, h('legend', {}, 'Permissions'),
    catalogue.map((p) => {
      const id = `${idPrefix}-${p.name.replace(/\W/g, '-')}`;
      return h('div', {}, h('input', { id, type: 'checkbox', name: 'permissions', value: p.name, ...(checked.includes(p.name) ? { checked: true } : {}) }), h('label', { for: id }, ' ', h('code', {}, p.name), ` — ${p.description}`));
    }));
}

/** Renders the Roles tab. */
export async function renderRoles({ can, base }) {
  const [{ items }, { permissions: catalogue }] = await Promise.all([api(`${base}/roles`), api('/api/v1/permissions')]);
  const manage = can('access.manage');
  const rows = items.map((role) => [
    role.name,
    role.built_in ? 'Built-in' : 'Custom',
    role.permissions.join(', '),
    ...(manage
      ? [role.built_in ? '' : h('div', {},
          h('details', { className: 'edit-role', 'data-role': role.id }, h('summary', {}, 'Edit'),
            form({ className: 'role-edit' }, [
              field('Name', h('input', { id: `role-name-${role.id}`, name: 'name', required: true, maxlength: 100, value: role.name })),
              field('Description', h('input', { id: `role-desc-${role.id}`, name: 'description', maxlength: 500, value: role.description })),
              permissionBoxes(catalogue, `role-${role.id}`, role.permissions),
              h('button', { type: 'submit' }, 'Save role'),
            ], async (data) => {
              await api(`${base}/roles/${role.id}`, { method: 'PATCH', body: { name: data.get('name'), description: data.get('description'), permissions: data.getAll('permissions') } });
              await refresh();
              say('The role is saved.', true);
            })),
          h('button', { type: 'button', className: 'danger delete-role', 'data-role': role.id, onclick: async () => {
            if (!confirmed(`Delete the role "${role.name}"?`)) return;
            try { await api(`${base}/roles/${role.id}`, { method: 'DELETE' }); await refresh(); } catch (error) { say(error.message); }
          } }, 'Delete'))]
      : []),
  ]);
  const parts = [h('h2', {}, 'Roles'), table('Roles of the organization', ['Name', 'Kind', 'Permissions', ...(manage ? ['Actions'] : [])], rows, { id: 'roles' })];
  if (manage) {
    parts.push(
      h('h3', {}, 'Create a custom role'),
      h('p', {}, 'You can only give a role permissions you hold yourself.'),
      form({ id: 'create-role' }, [
        field('Name', h('input', { id: 'role-name', name: 'name', required: true, maxlength: 100 })),
        field('Description', h('input', { id: 'role-description', name: 'description', maxlength: 500 })),
        permissionBoxes(catalogue, 'new-role'),
        h('button', { type: 'submit' }, 'Create role'),
      ], async (data, element) => {
        const permissions = data.getAll('permissions');
        if (permissions.length === 0) { say('Choose at least one permission.'); return; }
        await api(`${base}/roles`, { method: 'POST', body: { name: data.get('name'), description: data.get('description'), permissions } });
        element.reset();
        await refresh();
        say('The role is created.', true);
      }),
    );
  }
  return parts;
}
