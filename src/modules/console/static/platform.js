// Platform administrators: accounts (list, search, disable, enable) and the platform audit log.
// PLANNED: organizations across tenants (operator access to tenant data needs a JIT grant, AC-4),
// operator JIT and break-glass, key status and retention (docs/console.md).
import { api, confirmed, field, form, h, say, table, when } from '/assets/dom.js';
import { renderAuditLog } from '/assets/audit-log.js';

/** Renders the platform page. */
export async function renderPlatform() {
  const results = h('div', { id: 'user-results' });
  let lastQuery = '';
  async function load(q) {
    lastQuery = q;
    const page = await api(`/api/v1/platform/users?limit=100${q ? `&q=${encodeURIComponent(q)}` : ''}`);
    const rows = page.items.map((user) => [
      user.display_name,
      user.email,
      user.is_platform_admin ? 'Platform administrator' : 'User',
      when(user.created_at),
      user.disabled_at ? `Disabled ${when(user.disabled_at)}` : 'Active',
      h('button', { type: 'button', className: user.disabled_at ? 'secondary user-enable' : 'danger user-disable', 'data-user': user.id, onclick: async () => {
        const disable = user.disabled_at === null;
        if (disable && !confirmed(`Disable ${user.email}? Their sessions end at once and they cannot sign in.`)) return;
        try {
          await api(`/api/v1/platform/users/${user.id}/${disable ? 'disable' : 'enable'}`, { method: 'POST' });
          await load(lastQuery);
          say(disable ? `${user.email} is disabled and their sessions ended.` : `${user.email} is enabled again.`, true);
        } catch (error) { say(error.message); }
      } }, user.disabled_at ? 'Enable' : 'Disable'),
    ]);
    results.replaceChildren(table('Accounts', ['Name', 'Email', 'Kind', 'Created', 'Status', ''], rows, { id: 'users' }), page.next_cursor ? h('p', {}, 'More accounts match: narrow the search.') : '');
  }
  const search = form({ id: 'user-search', className: 'inline' }, [field('Search accounts by email or name', h('input', { id: 'user-q', name: 'q', type: 'search', maxlength: 254 })), h('button', { type: 'submit' }, 'Search')], (data) => load(String(data.get('q') ?? '').trim()));
  await load('');
  return [h('h1', {}, 'Platform'), h('p', {}, h('a', { href: '#/platform/disclosure', id: 'nav-disclosure' }, 'Vulnerability reports: the security team\u2019s work list')), h('p', {}, h('a', { href: '#/platform/incidents', id: 'nav-incidents' }, 'Incidents: timelines, clocks and reviews')), h('h2', {}, 'Accounts'), search, results, ...(await renderAuditLog({ logBase: '/api/v1/platform/audit' }))];
}
