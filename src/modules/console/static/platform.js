// Platform administrators: disable or enable an account, and the platform audit log.
// PLANNED: a users list with search and an organizations list need platform listing routes that
// do not exist yet (docs/console.md).
import { api, field, form, h, say } from '/assets/dom.js';
import { renderAuditLog } from '/assets/audit-log.js';

/** Renders the platform page. */
export async function renderPlatform() {
  const parts = [h('h1', {}, 'Platform')];
  const action = (verb) => async (data) => {
    const id = String(data.get('user_id')).trim();
    await api(`/api/v1/platform/users/${encodeURIComponent(id)}/${verb}`, { method: 'POST' });
    say(verb === 'disable' ? 'The account is disabled and its sessions ended.' : 'The account is enabled again.', true);
  };
  parts.push(h('h2', {}, 'Accounts'), h('p', {}, 'Disable an account (its sessions end at once) or enable it again, by user id (shown in the audit log and in member details).'),
    form({ id: 'user-disable' }, [field('User id', h('input', { id: 'disable-user-id', name: 'user_id', required: true, pattern: '[0-9a-fA-F-]{36}' })), h('button', { type: 'submit', className: 'danger' }, 'Disable')], action('disable')),
    form({ id: 'user-enable' }, [field('User id', h('input', { id: 'enable-user-id', name: 'user_id', required: true, pattern: '[0-9a-fA-F-]{36}' })), h('button', { type: 'submit' }, 'Enable')], action('enable')));
  parts.push(...(await renderAuditLog({ logBase: '/api/v1/platform/audit' })).map((node) => node));
  return parts;
}
