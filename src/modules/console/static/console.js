// The console after sign-in: one page, views chosen by the URL fragment (#/, #/org/<id>/<tab>,
// #/account, #/platform). Views are ES modules served by Parapet itself (docs/console.md).
import { api, attempt, explain, field, form, h, say, setRouter } from '/assets/dom.js';
import { renderAccount } from '/assets/account.js';
import { renderOrganization } from '/assets/org.js';
import { renderPlatform } from '/assets/platform.js';
import { renderDisclosure } from '/assets/disclosure.js';
import { renderIncidents } from '/assets/incidents.js';

const view = document.getElementById('view');
let me = null;

async function organizationsView() {
  const orgs = await api('/api/v1/organizations?limit=100');
  const list = h('ul', { id: 'orgs' }, orgs.items.map((org) => h('li', {}, h('a', { href: `#/org/${org.id}` }, org.name))));
  const create = form({ id: 'create-org' }, [field('New organization', h('input', { id: 'name', name: 'name', required: true, maxlength: 100 })), h('button', { type: 'submit' }, 'Create')], async (data, element) => {
    const org = await api('/api/v1/organizations', { method: 'POST', body: { name: data.get('name') } });
    element.reset();
    location.hash = `#/org/${org.id}`;
  });
  return [h('h1', {}, 'Organizations'), orgs.items.length === 0 ? h('p', {}, 'You are not a member of any organization yet. Create one, or accept an invitation from its mail.') : list, create];
}

async function route(clear = true) {
  const parts = location.hash.replace(/^#\/?/, '').split('/').filter(Boolean);
  if (clear) say('');
  let content;
  try {
    if (parts[0] === 'org' && parts[1]) content = await renderOrganization(parts[1], parts[2] ?? 'overview', parts.slice(3), me);
    else if (parts[0] === 'account') content = await renderAccount(me);
    else if (parts[0] === 'platform' && parts[1] === 'disclosure' && me.user.is_platform_admin) content = await renderDisclosure(parts[2]);
    else if (parts[0] === 'platform' && parts[1] === 'incidents' && me.user.is_platform_admin) content = await renderIncidents(parts[2]);
    else if (parts[0] === 'platform' && me.user.is_platform_admin) content = await renderPlatform(parts[1] ?? 'users');
    else content = await organizationsView();
  } catch (error) {
    content = [h('h1', {}, 'Something was refused'), h('p', { className: 'error', id: 'refusal' }, explain(error)), h('p', {}, h('a', { href: '#/account' }, 'Go to your account page'))];
  }
  view.replaceChildren(...[content].flat());
  // Focus moves to the new view so keyboard and screen-reader users land on it.
  const heading = view.querySelector('h1');
  if (clear && heading) { heading.tabIndex = -1; heading.focus(); }
}

async function start() {
  me = await api('/api/v1/auth/session');
  document.getElementById('who').textContent = `Signed in as ${me.user.display_name} <${me.user.email}>${me.user.is_platform_admin ? ' — platform administrator' : ''}`;
  document.getElementById('nav-platform').hidden = !me.user.is_platform_admin;
  window.addEventListener('hashchange', () => void route());
  setRouter(() => route(false));
  await route();
}

document.getElementById('logout').addEventListener('submit', async (event) => {
  event.preventDefault();
  await fetch('/api/v1/auth/logout', { method: 'POST' });
  location.assign('/login');
});
void attempt(start);
