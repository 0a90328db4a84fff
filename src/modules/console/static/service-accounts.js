// Service accounts and their OAuth clients (client credentials, AUTH-7): create an account (with an
// organization-wide role when the caller may bind one), give it a client whose secret is shown once,
// delete clients and accounts.
import { api, confirmed, copyButton, field, form, h, say, table, when, refresh } from '/assets/dom.js';

/** Renders the Service accounts tab. */
export async function renderServiceAccounts({ can, base }) {
  const accounts = (await api(`${base}/service-accounts?limit=100`)).items;
  const manage = can('service_accounts.manage');
  const bindRoles = manage && can('access.manage') ? (await api(`${base}/roles`)).items : [];
  const shown = h('div', { id: 'new-client', hidden: true, className: 'warning' });
  const parts = [h('h2', {}, 'Service accounts')];
  const blocks = [];
  for (const account of accounts) {
    const clientsBase = `${base}/service-accounts/${account.id}/clients`;
    const clients = (await api(`${clientsBase}?limit=100`)).items;
    const block = h('li', { className: 'service-account', 'data-account': account.id },
      h('h3', {}, account.name, account.disabled_at ? ' (disabled)' : ''),
      account.description ? h('p', {}, account.description) : null,
      table(`OAuth clients of ${account.name}`, ['Name', 'Client id', 'Authentication', 'Created', ...(manage ? ['Actions'] : [])], clients.map((client) => [
        client.name,
        h('code', {}, client.client_id),
        client.token_endpoint_auth_method,
        when(client.created_at),
        ...(manage
          ? [h('button', { type: 'button', className: 'danger delete-client', 'data-client': client.client_id, onclick: async () => {
              if (!confirmed(`Delete the client "${client.name}"? Its tokens stop working.`)) return;
              try { await api(`${clientsBase}/${client.client_id}`, { method: 'DELETE' }); await refresh(); } catch (error) { say(error.message); }
            } }, 'Delete')]
          : []),
      ]), { className: 'clients' }),
    );
    if (manage) {
      const id = `client-name-${account.id}`;
      block.append(
        form({ className: 'create-client inline', 'data-account': account.id }, [field('New OAuth client', h('input', { id, name: 'name', required: true, maxlength: 100 })), h('button', { type: 'submit' }, 'Create client')], async (data, element) => {
          const created = await api(clientsBase, { method: 'POST', body: { name: data.get('name') } });
          element.reset();
          shown.replaceChildren(
            h('p', {}, h('strong', {}, 'Copy the client secret now: it is shown only once.'), ' Parapet stores only a hash of it. Client id: ', h('code', { id: 'new-client-id' }, created.client_id)),
            h('p', {}, h('code', { id: 'new-client-secret', className: 'secret' }, created.client_secret)),
            copyButton(created.client_secret, 'Copy the secret'),
            h('button', { type: 'button', onclick: () => void refresh() }, 'I have stored it'),
          );
          shown.hidden = false;
          shown.scrollIntoView();
          shown.querySelector('button')?.focus();
        }),
        h('button', { type: 'button', className: 'danger delete-account', 'data-account': account.id, onclick: async () => {
          if (!confirmed(`Delete the service account "${account.name}" and its clients?`)) return;
          try { await api(`${base}/service-accounts/${account.id}`, { method: 'DELETE' }); await refresh(); } catch (error) { say(error.message); }
        } }, 'Delete service account'),
      );
    }
    blocks.push(block);
  }
  parts.push(accounts.length === 0 ? h('p', {}, 'No service accounts yet.') : h('ul', { id: 'service-accounts', className: 'plain' }, blocks), shown);
  if (manage) {
    parts.push(
      h('h3', {}, 'Create a service account'),
      form({ id: 'create-account' }, [
        field('Name', h('input', { id: 'account-name', name: 'name', required: true, maxlength: 100 })),
        field('Description', h('input', { id: 'account-description', name: 'description', maxlength: 500 })),
        ...(bindRoles.length > 0
          ? [field('Role in the organization', h('select', { id: 'account-role', name: 'role' }, h('option', { value: '' }, 'None (bind one later)'), bindRoles.map((role) => h('option', { value: role.id }, role.name))), '(you must hold its permissions)')]
          : []),
        h('button', { type: 'submit' }, 'Create service account'),
      ], async (data, element) => {
        const account = await api(`${base}/service-accounts`, { method: 'POST', body: { name: data.get('name'), description: data.get('description') } });
        const role = data.get('role');
        element.reset();
        if (role) await api(`${base}/bindings`, { method: 'POST', body: { principal: { type: 'service_account', id: account.id }, role } });
        await refresh();
        say(`Service account "${account.name}" created.`, true);
      }),
    );
  }
  return parts;
}
