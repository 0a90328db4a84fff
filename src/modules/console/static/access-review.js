// Access review (docs/access-control.md, AC-5): every principal with its grants (role, scope,
// permissions, expiry, last use) and the review's flags, filterable to the flagged ones, and the
// same review as CSV. Each run is recorded as `access.reviewed` in the audit log.
import { api, h, table, when } from '/assets/dom.js';

const FLAGS = {
  stale_grant: 'Stale: unused for 90 days',
  never_used: 'Never used',
  expires_soon: 'Expires within 7 days',
  credential_older_than_90_days: 'Credential older than 90 days',
  credential_nearing_90_days: 'Credential nearing 90 days',
  conditional: 'Conditional',
  just_in_time: 'Just-in-time grant',
  not_a_member: 'Not a member',
  creator_lost_access: 'Its creator lost access',
};
const TYPES = { user: 'Member', service_account: 'Service account', api_key: 'API key' };
const ROLE_NAMES = { tenant_admin: 'Tenant Admin', security_admin: 'Security Admin', security_analyst: 'Security Analyst', viewer: 'Viewer', auditor: 'Auditor', service_account: 'Service Account' };

const flagList = (flags, className) => (flags.length === 0 ? '—' : h('ul', { className: `plain ${className}` }, flags.map((f) => h('li', { 'data-flag': f }, FLAGS[f] ?? f))));

function scopeText(scope) {
  if (scope.environment_id) return `environment ${scope.environment_id}`;
  if (scope.project_id) return `project ${scope.project_id}`;
  return 'whole organization';
}

function grantText(grant) {
  const what = grant.role ? ROLE_NAMES[grant.role] ?? grant.role : `${grant.permissions.length} permissions of its own`;
  const parts = [`${what} over the ${scopeText(grant.scope)}`];
  if (grant.expires_at) parts.push(`until ${when(grant.expires_at)}`);
  parts.push(grant.last_used_at ? `last used ${when(grant.last_used_at)}` : 'never used');
  return h('li', { title: grant.permissions.join(', ') }, parts.join(', '), grant.flags.length > 0 ? h('span', {}, ` (${grant.flags.map((f) => FLAGS[f] ?? f).join('; ')})`) : '');
}

/** Renders the Access review tab. */
export async function renderAccessReview({ base }) {
  const review = await api(`${base}/access-review`);
  const flagged = (p) => p.flags.length > 0 || p.grants.some((g) => g.flags.length > 0);
  const rows = (principals) => principals.map((p) => [
    h('span', { className: 'principal', 'data-principal': p.id }, p.name),
    TYPES[p.type] ?? p.type,
    h('ul', { className: 'plain grants' }, p.grants.map(grantText)),
    p.last_used_at ? when(p.last_used_at) : 'Never',
    flagList([...new Set([...p.flags, ...p.grants.flatMap((g) => g.flags)])], 'flags'),
  ]);
  const headers = ['Principal', 'Kind', 'Grants', 'Last used', 'Flags'];
  const holder = h('div', { id: 'access-review-table' });
  const draw = (onlyFlagged) => {
    const shown = onlyFlagged ? review.principals.filter(flagged) : review.principals;
    holder.replaceChildren(table(`Who can do what (${shown.length} of ${review.principals.length} principals)`, headers, rows(shown), { id: 'access-review' }));
  };
  draw(false);
  const only = h('input', { id: 'review-flagged', type: 'checkbox', onchange: () => draw(only.checked) });
  return [
    h('h2', {}, 'Access review'),
    h('p', {}, `Generated ${when(review.generated_at)}. A grant is stale when unused for ${review.stale_after_days} days. Every review is recorded in the audit log.`),
    h('p', {}, h('a', { href: `${base}/access-review?format=csv`, download: '', id: 'access-review-csv' }, 'Download as CSV'), h('small', {}, ' (one line per grant; cells a spreadsheet would evaluate are quoted)')),
    h('div', { className: 'check' }, only, h('label', { for: 'review-flagged' }, 'Show only principals with flags')),
    holder,
  ];
}
