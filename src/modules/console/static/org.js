// One organization: a tab per capability, each shown only when the caller holds its permission
// (GET /api/v1/organizations/:id/my-permissions). The API decides anyway: hiding is a courtesy.
import { api, field, form, h, when, refresh } from '/assets/dom.js';
import { renderApiKeys } from '/assets/api-keys.js';
import { renderAuditLog } from '/assets/audit-log.js';
import { renderMembers } from '/assets/members.js';
import { renderPolicy } from '/assets/policy.js';
import { renderApplications } from '/assets/applications.js';
import { renderRoles } from '/assets/roles.js';
import { renderServiceAccounts } from '/assets/service-accounts.js';
import { renderApprovals } from '/assets/approvals.js';
import { renderSecrets } from '/assets/secrets.js';
import { renderSso } from '/assets/sso.js';
import { renderLifecycle } from '/assets/lifecycle.js';
import { renderAccessReview } from '/assets/access-review.js';
import { renderDirectories } from '/assets/directories.js';
import { renderAccessRequests } from '/assets/access-requests.js';


/** The tabs, in order, with the permission that shows each. */
const TABS = [
  { key: 'overview', label: 'Settings', needs: null, render: overview },
  { key: 'projects', label: 'Projects', needs: 'projects.read', render: projects },
  { key: 'members', label: 'Members', needs: 'members.read', render: renderMembers },
  { key: 'roles', label: 'Roles', needs: 'access.read', render: renderRoles },
  { key: 'api-keys', label: 'API keys', needs: 'api_keys.read', render: renderApiKeys },
  { key: 'service-accounts', label: 'Service accounts', needs: 'service_accounts.read', render: renderServiceAccounts },
  { key: 'policy', label: 'Security policy', needs: 'organization.read', render: renderPolicy },
  { key: 'secrets', label: 'Secrets', needs: 'secrets.read', render: renderSecrets },
  { key: 'audit', label: 'Audit log', needs: 'audit.read', render: renderAuditLog },
  { key: 'access-review', label: 'Access review', needs: 'access_review.read', render: renderAccessReview },
  { key: 'approvals', label: 'Approvals', needs: 'access.approve', render: renderApprovals },
  // Just-in-time access: ask for a role at a scope for a while, and follow one's requests.
  { key: 'request-access', label: 'Request access', needs: 'access.request', render: renderAccessRequests },
  // Single sign-on: reading needs organization.read, every change settings.manage; the tab is for those who administer it.
  { key: 'sso', label: 'Single sign-on', needs: 'settings.manage', render: renderSso },
  // SCIM directories (docs/sso.md "SCIM"): reading needs organization.read, every change settings.manage.
  { key: 'directories', label: 'Directory sync', needs: 'settings.manage', render: renderDirectories },
  // The OpenID Provider's applications (docs/openid-provider.md); its routes need applications.*.
  { key: 'applications', label: 'Applications', needs: 'applications.read', render: renderApplications },
  // Retention, risky writes and organization deletion (docs/data-lifecycle.md).
  { key: 'data', label: 'Data and deletion', needs: 'organization.read', render: renderLifecycle },
];

/** Renders tab `tab` of organization `orgId`. */
export async function renderOrganization(orgId, tab, rest, me) {
  const { permissions } = await api(`/api/v1/organizations/${encodeURIComponent(orgId)}/my-permissions`);
  const can = (permission) => permissions.includes(permission);
  // An Auditor holds no organization.read: the name comes from the list of the caller's organizations.
  let org;
  try {
    org = await api(`/api/v1/organizations/${encodeURIComponent(orgId)}`);
  } catch (error) {
    // A refusal with a next step (a second factor the organization requires, an address outside its
    // allowlist) is shown as such; an Auditor (no organization.read) still reaches the audit log.
    if (error.code !== 'forbidden' || !can('audit.read')) throw error;
    org = (await api('/api/v1/organizations?limit=100')).items.find((o) => o.id === orgId) ?? { id: orgId, name: 'Organization' };
  }
  const visible = TABS.filter((t) => t.needs === null || can(t.needs));
  const current = visible.find((t) => t.key === tab) ?? visible[0];
  const nav = h('nav', { 'aria-label': 'Organization', className: 'tabs' }, visible.map((t) => h('a', { href: `#/org/${org.id}/${t.key}`, ...(t === current ? { 'aria-current': 'page' } : {}) }, t.label)));
  const ctx = { org, can, me, rest, base: `/api/v1/organizations/${org.id}` };
  return [h('h1', { id: 'org-name' }, org.name), nav, h('section', { id: `tab-${current.key}`, 'aria-label': current.label }, ...[await current.render(ctx)].flat())];
}

async function overview({ org, can, base }) {
  const parts = [h('h2', {}, 'Settings'), h('p', {}, 'Organization id: ', h('code', {}, org.id)), h('p', {}, `Created ${when(org.created_at)}`)];
  if (can('organization.update')) {
    parts.push(
      form({ id: 'rename-org' }, [field('Name', h('input', { id: 'org-rename', name: 'name', required: true, maxlength: 100, value: org.name })), h('button', { type: 'submit' }, 'Rename')], async (data) => {
        await api(base, { method: 'PATCH', body: { name: data.get('name') } });
        await refresh();
      }),
    );
  }
  if (can('organization.read') && !can('organization.update')) parts.push(h('p', {}, 'Your role lets you read this organization, not change it.'));
  return parts;
}

async function projects({ can, base }) {
  const page = await api(`${base}/projects?limit=100`);
  const parts = [h('h2', {}, 'Projects')];
  const items = [];
  for (const project of page.items) {
    const envs = can('environments.read') ? (await api(`${base}/projects/${project.id}/environments?limit=100`)).items : [];
    const block = h('li', { className: 'project' }, h('h3', {}, project.name), h('ul', { className: 'environments', 'aria-label': `Environments of ${project.name}` }, envs.map((env) => h('li', {}, `${env.name} (${env.kind})`))));
    if (can('environments.create')) {
      const id = `env-name-${project.id}`;
      block.append(
        form({ className: 'create-env inline', 'data-project': project.id }, [
          field('New environment', h('input', { id, name: 'name', required: true, maxlength: 100 })),
          field('Kind', h('select', { id: `env-kind-${project.id}`, name: 'kind' }, ['development', 'staging', 'production'].map((k) => h('option', { value: k }, k)))),
          h('button', { type: 'submit' }, 'Add environment'),
        ], async (data) => {
          await api(`${base}/projects/${project.id}/environments`, { method: 'POST', body: { name: data.get('name'), kind: data.get('kind') } });
          await refresh();
        }),
      );
    }
    items.push(block);
  }
  parts.push(page.items.length === 0 ? h('p', {}, 'No projects yet.') : h('ul', { id: 'projects' }, items));
  if (can('projects.create')) {
    parts.push(
      form({ id: 'create-project' }, [field('New project', h('input', { id: 'project-name', name: 'name', required: true, maxlength: 100 })), h('button', { type: 'submit' }, 'Create project')], async (data) => {
        await api(`${base}/projects`, { method: 'POST', body: { name: data.get('name') } });
        await refresh();
      }),
    );
  }
  return parts;
}

