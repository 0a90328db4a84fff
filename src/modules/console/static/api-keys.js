// API keys: list (never a secret), create (the key shown once, with copy), revoke.
import { api, confirmed, copyButton, field, form, h, say, table, when, refresh } from '/assets/dom.js';

const ROLES = [['viewer', 'Viewer'], ['security_analyst', 'Security Analyst'], ['auditor', 'Auditor'], ['security_admin', 'Security Admin'], ['service_account', 'Service Account'], ['tenant_admin', 'Tenant Admin']];

/** Renders the API keys tab. */
export async function renderApiKeys({ can, base }) {
  const page = await api(`${base}/api-keys?limit=100`);
  const manage = can('api_keys.manage');
  const rows = page.items.map((key) => [
    key.name,
    h('code', {}, key.prefix),
    key.role ?? key.permissions.join(', '),
    key.status + (key.rotation_due ? ' (rotation due)' : ''),
    when(key.expires_at),
    key.last_used_at ? `${when(key.last_used_at)} from ${key.last_used_ip ?? '?'}` : 'Never',
    ...(manage
      ? [key.status === 'active' || key.status === 'retiring'
          ? h('button', { type: 'button', className: 'danger revoke-key', 'data-key': key.id, onclick: async () => {
              if (!confirmed(`Revoke the key "${key.name}"? It stops working at once.`)) return;
              try { await api(`${base}/api-keys/${key.id}`, { method: 'DELETE' }); await refresh(); } catch (error) { say(error.message); }
            } }, 'Revoke')
          : '']
      : []),
  ]);
  const parts = [h('h2', {}, 'API keys'), table('API keys of the organization', ['Name', 'Key id', 'Role', 'Status', 'Expires', 'Last used', ...(manage ? ['Actions'] : [])], rows, { id: 'api-keys' })];
  if (manage) {
    const shown = h('div', { id: 'new-key', hidden: true, className: 'warning' });
    parts.push(
      h('h3', {}, 'Create an API key'),
      form({ id: 'create-key' }, [
        field('Name', h('input', { id: 'key-name', name: 'name', required: true, maxlength: 100 })),
        field('Role', h('select', { id: 'key-role', name: 'role' }, ROLES.map(([k, n]) => h('option', { value: k }, n))), '(you must hold its permissions)'),
        field('Lifetime in days', h('input', { id: 'key-days', name: 'days', type: 'number', min: 1, max: 3650, value: 90 })),
        h('button', { type: 'submit' }, 'Create key'),
      ], async (data, element) => {
        const created = await api(`${base}/api-keys`, { method: 'POST', body: { name: data.get('name'), role: data.get('role'), expires_in_days: Number(data.get('days')) } });
        element.reset();
        shown.replaceChildren(
          h('p', {}, h('strong', {}, 'Copy this key now: it is shown only once.'), ' Parapet stores only a hash of it.'),
          h('p', {}, h('code', { id: 'new-key-secret', className: 'secret' }, created.key)),
          copyButton(created.key, 'Copy the key'),
          h('button', { type: 'button', onclick: () => void refresh() }, 'I have stored it'),
        );
        shown.hidden = false;
        shown.querySelector('button')?.focus();
      }),
      shown,
    );
  }
  return parts;
}
