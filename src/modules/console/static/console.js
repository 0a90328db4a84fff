const message = document.getElementById('message');
async function api(path, options = {}) {
  const response = await fetch(path, { ...options, headers: { 'content-type': 'application/json', ...(options.headers ?? {}) } });
  if (response.status === 401) { location.assign('/login'); throw new Error('signed out'); }
  const body = response.status === 204 ? null : await response.json();
  if (!response.ok) throw new Error(body?.detail ?? body?.title ?? 'Request failed');
  return body;
}
async function load() {
  const me = await api('/api/v1/auth/session');
  document.getElementById('who').textContent = `Signed in as ${me.user.display_name} <${me.user.email}>${me.user.is_platform_admin ? ' — platform administrator' : ''}`;
  const orgs = await api('/api/v1/organizations');
  const list = document.getElementById('orgs');
  list.replaceChildren(...orgs.items.map((org) => { const li = document.createElement('li'); li.textContent = `${org.name} (${org.id})`; return li; }));
}
document.getElementById('create-org').addEventListener('submit', async (event) => {
  event.preventDefault();
  try { await api('/api/v1/organizations', { method: 'POST', body: JSON.stringify({ name: new FormData(event.target).get('name') }) }); event.target.reset(); await load(); }
  catch (error) { message.textContent = error.message; }
});
document.getElementById('logout').addEventListener('submit', async (event) => {
  event.preventDefault();
  await fetch('/api/v1/auth/logout', { method: 'POST' });
  location.assign('/login');
});
load().catch((error) => { message.textContent = error.message; });
