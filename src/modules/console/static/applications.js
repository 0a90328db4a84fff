// Applications (OpenID Provider, docs/openid-provider.md): an environment's apps that sign their users
// in with Parapet. List, register (the client secret of a confidential app is shown once), delete.
import { api, confirmed, copyButton, field, form, h, say, table, when, refresh } from '/assets/dom.js';
import { pickEnvironment } from '/assets/environment-picker.js';

/** The scopes an application may request (applications-service.ts SUPPORTED_SCOPES), and the default set. */
const SCOPES = [['openid', 'openid (required: signs the user in)'], ['email', 'email (address and whether it is verified)'], ['profile', 'profile (name)'], ['offline_access', 'offline_access (refresh tokens)'], ['organization', 'organization (membership and roles here; refuses non-members)']];
const DEFAULT_SCOPES = ['openid', 'email', 'profile', 'offline_access'];

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
    h('dl', { className: 'event-detail app-logout' },
      h('dt', {}, 'After sign-out'), h('dd', {}, app.post_logout_redirect_uris.length > 0 ? h('ul', { className: 'plain' }, app.post_logout_redirect_uris.map((uri) => h('li', {}, uri))) : '—'),
      h('dt', {}, 'Back-channel'), h('dd', {}, app.backchannel_logout_uri ?? '—')),
    app.scopes.join(' '),
    when(app.created_at),
    ...(manage
      ? [h('button', { type: 'button', className: 'danger delete-app', 'data-app': app.client_id, onclick: async () => {
          if (!confirmed(`Delete the application "${app.name}"? Its codes and tokens stop working at once.`)) return;
          try { await api(`${envBase}/${app.client_id}`, { method: 'DELETE' }); await refresh(); } catch (error) { say(error.message); }
        } }, 'Delete')]
      : []),
  ]);
  parts.push(table(`Applications of ${chosen.project.name} / ${chosen.env.name}`, ['Name', 'Client id', 'Type', 'Redirect URIs', 'Logout', 'Scopes', 'Registered', ...(manage ? ['Actions'] : [])], rows, { id: 'applications' }));
  if (!manage) return parts;
  const shown = h('div', { id: 'new-app', hidden: true, className: 'warning' });
  parts.push(
    h('h3', {}, 'Register an application'),
    form({ id: 'create-app' }, [
      field('Name', h('input', { id: 'app-name', name: 'name', required: true, maxlength: 100 }), '(shown on the sign-in and consent pages)'),
      field('Type', h('select', { id: 'app-type', name: 'client_type' }, h('option', { value: 'confidential' }, 'Confidential (a server: gets a client secret)'), h('option', { value: 'public' }, 'Public (browser or native app: no secret)'))),
      h('div', { className: 'field' }, h('label', { for: 'app-first-party' }, h('input', { id: 'app-first-party', name: 'first_party', type: 'checkbox' }), ' First-party (your own app: no consent page)')),
      field('Redirect URIs', h('textarea', { id: 'app-redirects', name: 'redirect_uris', required: true, rows: 3 }), '(one a line; matched exactly; https, or http on localhost)'),
      field('Post-logout redirect URIs', h('textarea', { id: 'app-logout-redirects', name: 'post_logout_redirect_uris', rows: 2 }), '(one a line; where the app may send users after signing out; optional)'),
      h('fieldset', { className: 'app-scopes' }, h('legend', {}, 'Scopes the application may request'),
        ...SCOPES.map(([scope, label]) => h('div', { className: 'check' },
          h('input', { id: `app-scope-${scope}`, name: 'scopes', type: 'checkbox', value: scope, checked: DEFAULT_SCOPES.includes(scope), disabled: scope === 'openid' }),
          h('label', { for: `app-scope-${scope}` }, label)))),
      field('Back-channel logout URI', h('input', { id: 'app-backchannel', name: 'backchannel_logout_uri', type: 'url', maxlength: 2000 }), '(OpenID Connect Back-Channel Logout: Parapet posts a logout token here when a user signs out; optional)'),
      h('button', { type: 'submit' }, 'Register'),
    ], async (data, element) => {
      const lines = (name) => String(data.get(name) ?? '').split('\n').map((s) => s.trim()).filter(Boolean);
      const backchannel = String(data.get('backchannel_logout_uri') ?? '').trim();
      const created = await api(envBase, { method: 'POST', body: {
        name: data.get('name'), client_type: data.get('client_type'), first_party: data.get('first_party') === 'on', redirect_uris: lines('redirect_uris'),
        post_logout_redirect_uris: lines('post_logout_redirect_uris'),
        // openid is required: its box is ticked and disabled (a disabled box is not in the form data).
        scopes: ['openid', ...data.getAll('scopes').map(String).filter((s) => s !== 'openid')],
        ...(backchannel ? { backchannel_logout_uri: backchannel } : {}),
      } });
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
