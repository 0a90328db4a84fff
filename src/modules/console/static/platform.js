// Platform administrators: accounts (list, search, disable, enable, delete after the grace period),
// operator access to an organization (JIT request or break-glass), the platform's retention periods
// the root key's status and the platform audit log. PLANNED: organizations across tenants and each
// tenant key's rotation state — both read every tenant, which the database keeps to background
// jobs (docs/console.md).
import { api, confirmed, field, form, h, say, table, when } from '/assets/dom.js';
import { renderAuditLog } from '/assets/audit-log.js';
import { renderOperatorAccess } from '/assets/operator-access.js';

// Deletions requested from this page (the account list does not carry the deletion state): id -> purge date.
const pendingDeletions = new Map();

/** Delete (after the grace period) or cancel the deletion of one account. */
function deletionControl(user, reload) {
  const purgeAfter = pendingDeletions.get(user.id);
  if (purgeAfter !== undefined) {
    return h('span', {}, `Deletion pending until ${when(purgeAfter)} `, h('button', { type: 'button', className: 'secondary user-cancel-deletion', 'data-user': user.id, onclick: async () => {
      try {
        await api(`/api/v1/users/${user.id}/deletion`, { method: 'DELETE' });
        pendingDeletions.delete(user.id);
        await reload();
        say(`The deletion of ${user.email} is cancelled: the account stays and can sign in again.`, true);
      } catch (error) { say(error.message); }
    } }, 'Cancel the deletion'));
  }
  return h('button', { type: 'button', className: 'danger user-delete', 'data-user': user.id, onclick: async () => {
    if (!confirmed(`Delete ${user.email}? They are signed out everywhere and cannot sign in; after the grace period the account and its personal data are erased. You can cancel until then.`)) return;
    try {
      const result = await api(`/api/v1/users/${user.id}`, { method: 'DELETE' });
      pendingDeletions.set(user.id, result.purge_after);
      await reload();
      say(`${user.email} will be deleted on ${when(result.purge_after)} unless the deletion is cancelled before.${result.owner_notified ? ' The organizations they administer were told.' : ''}`, true);
    } catch (error) { say(error.message); }
  } }, 'Delete');
}

/** The root key: provider, versions, and the tenant keys' rotation settings (no key material). */
async function keySection() {
  const keys = await api('/api/v1/platform/keys');
  return [
    h('h2', {}, 'Keys'),
    h('p', { id: 'key-status' }, `Root key: ${keys.provider === 'aws-kms' ? 'AWS KMS' : 'the local keyring file'}; new tenant keys are wrapped under version `, h('code', {}, keys.primary_root), ` (primary since ${when(keys.primary_since)}). Tenant keys rotate after ${keys.tenant_key_rotation_days === 0 ? 'no fixed time (scheduled rotation is off)' : `${keys.tenant_key_rotation_days} days`} or ${keys.tenant_key_max_encryptions.toLocaleString()} encryptions, whichever comes first; the background job re-encrypts values and rewraps keys after each rotation.`),
    table('Root key versions', ['Version', 'Created', 'Primary'], keys.root_versions.map((v) => [h('code', {}, v.version), when(v.created_at), v.primary ? 'Yes' : 'No']), { id: 'root-keys' }),
    h('p', {}, 'Rotating the root key and each tenant key\u2019s versions and re-encryption progress: ', h('code', {}, 'parapet keys rotate --root'), ' and ', h('code', {}, 'parapet keys status'), ' on the server (docs/encryption.md).'),
  ];
}

/** The platform's retention periods (configuration: PARAPET_RETENTION_DAYS), read-only. */
async function retentionSection() {
  const { items } = await api('/api/v1/platform/retention');
  return [
    h('h2', {}, 'Retention'),
    h('p', {}, 'How long each kind of data is kept before it is removed. The platform periods are set in the configuration (', h('code', {}, 'PARAPET_RETENTION_DAYS'), ', see ', h('code', {}, 'parapet retention show'), '); organizations may shorten or lengthen their own data within the bounds on their "Data and deletion" tab.'),
    table('Platform retention periods', ['Data type', 'What it is', 'Days', 'Bounds', 'Who sets it'], items.map((p) => [
      h('code', {}, p.type), p.description, String(p.days), `${p.min_days}\u2013${p.max_days}`, p.scope === 'tenant' ? 'Platform default; organizations may override' : 'Platform only',
    ]), { id: 'platform-retention' }),
  ];
}

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
      deletionControl(user, () => load(lastQuery)),
    ]);
    results.replaceChildren(table('Accounts', ['Name', 'Email', 'Kind', 'Created', 'Status', '', 'Deletion'], rows, { id: 'users' }), page.next_cursor ? h('p', {}, 'More accounts match: narrow the search.') : '');
  }
  const search = form({ id: 'user-search', className: 'inline' }, [field('Search accounts by email or name', h('input', { id: 'user-q', name: 'q', type: 'search', maxlength: 254 })), h('button', { type: 'submit' }, 'Search')], (data) => load(String(data.get('q') ?? '').trim()));
  await load('');
  return [h('h1', {}, 'Platform'), h('p', {}, h('a', { href: '#/platform/disclosure', id: 'nav-disclosure' }, 'Vulnerability reports: the security team\u2019s work list')), h('p', {}, h('a', { href: '#/platform/incidents', id: 'nav-incidents' }, 'Incidents: timelines, clocks and reviews')), h('h2', {}, 'Accounts'), search, results, ...renderOperatorAccess(), ...(await keySection()), ...(await retentionSection()),
    h('h2', {}, 'Not here yet'), h('p', { id: 'platform-planned' }, 'A list of the organizations across tenants (names, ids and status only) and each tenant key\u2019s rotation state are planned: both read every tenant, which the database allows only to background jobs. Meanwhile use ', h('code', {}, 'parapet keys status'), ' on the server.'),
    ...(await renderAuditLog({ logBase: '/api/v1/platform/audit' }))];
}
