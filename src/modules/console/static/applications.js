// Applications (OpenID Provider, docs/openid-provider.md): an environment's apps that sign their users
// in with Parapet. List, register (the client secret of a confidential app is shown once), delete.
import { api, confirmed, copyButton, field, form, h, say, table, when, refresh } from '/assets/dom.js';
import { pickEnvironment } from '/assets/environment-picker.js';

/** Renders the Applications tab; `rest` is [projectId, environmentId] of the chosen environment. */
export async function renderApplications(ctx) {
  const { can, base } = ctx;
  const parts = [h('h2', {}, 'Applications')];
  const { chosen, picker } = await pickEnvironment(ctx, 'applications', 'app-env');
  if (!chosen) return [...parts, h('p', {}, 'Applications belong to an environment: create a project and an environment first (Projects tab).')];
  const envBase = `${base}/projects/${chosen.project.id}/environments/${chosen.env.id}/applications`;
  parts.push(h('p', {}, 'Apps that sign their users in with Parapet through OpenID Connect (authorization code with PKCE).'), picker);
  const manage = can('applications.manage');
  const apps = (await api(`${envBase}?limit=100`)).items;
  const rows = apps.map((app) => [
    app.name,
    h('code', {}, app.client_id),
    app.client_type + (app.first_party ? ', first-party' : ''),
    h('ul', { className: 'plain' }, app.redirect_uris.map((uri) => h('li', {}, uri))),
    when(app.created_at),
    ...(manage
      ? [h('button', { type: 'button', className: 'danger delete-app', 'data-app': app.client_id, onclick: async () => {
          if (!confirmed(`Delete the application "${app.name}"? Its codes and tokens stop working at once.`)) return;
          try { await api(`${envBase}/${app.client_id}`, { method: 'DELETE' }); await refresh(); } catch (error) { say(error.message); }
        } }, 'Delete')]
      : []),
  ]);
  parts.push(table(`Applications of ${chosen.project.name} / ${chosen.env.name}`, ['Name', 'Client id', 'Type', 'Redirect URIs', 'Registered', ...(manage ? ['Actions'] : [])], rows, { id: 'applications' }));
  if (!manage) return parts;
  const shown = h('div', { id: 'new-app', hidden: true, className: 'warning' });
  parts.push(
    h('h3', {}, 'Register an application'),
    form({ id: 'create-app' }, [
      field('Name', h('input', { id: 'app-name', name: 'name', required: true, maxlength: 100 }), '(shown on the sign-in and consent pages)'),
      field('Type', h('select', { id: 'app-type', name: 'client_type' }, h('option', { value: 'confidential' }, 'Confidential (a server: gets a client secret)'), h('option', { value: 'public' }, 'Public (browser or native app: no secret)'))),
      h('div', { className: 'field' }, h('label', { for: 'app-first-party' }, h('input', { id: 'app-first-party', name: 'first_party', type: 'checkbox' }), ' First-party (your own app: no consent page)')),
      field('Redirect URIs', h('textarea', { id: 'app-redirects', name: 'redirect_uris', required: true, rows: 3 }), '(one a line; matched exactly; https, or http on localhost)'),
      h('button', { type: 'submit' }, 'Register'),
    ], async (data, element) => {
      const uris = String(data.get('redirect_uris')).split('\n').map((s) => s.trim()).filter(Boolean);
      const created = await api(envBase, { method: 'POST', body: { name: data.get('name'), client_type: data.get('client_type'), first_party: data.get('first_party') === 'on', redirect_uris: uris } });
      element.reset();
      shown.replaceChildren(
        h('p', {}, h('strong', {}, `Registered "${created.name}".`), ' Client id: ', h('code', { id: 'new-app-id' }, created.client_id)),
        ...(created.client_secret
          ? [h('p', {}, h('strong', {}, 'Copy the client secret now: it is shown only once.'), ' Parapet stores only a hash of it.'),
             h('p', {}, h('code', { id: 'new-app-secret', className: 'secret' }, created.client_secret)),
             copyButton(created.client_secret, 'Copy the secret')]
          : [h('p', {}, 'A public application has no secret: it proves itself with PKCE.')]),
        h('button', { type: 'button', onclick: () => void refresh() }, 'Done'),
      );
      shown.hidden = false;
      shown.querySelector('button')?.focus();
    }),
    shown,
  );
  return parts;
}
