import type { Tx } from '../../database.ts';
import type { AuditContext } from '../audit/index.ts';
import type { TenantsService } from './tenants-service.ts';
import type { RiskyOperation } from '../access-requests/index.ts';

const param = (params: Readonly<Record<string, string>>, name: string): string => params[name] ?? '';

/**
 * Deleting an organization, a project or an environment: the risky writes of the tenancy hierarchy
 * (AC-7). With `scheduleOrganizationDeletion` (the data lifecycle, DATA-3) an approved organization
 * deletion starts its grace period instead of deleting at once.
 */
export function tenancyOperations(
  tenants: Pick<TenantsService, 'inTransaction'>,
  options: { scheduleOrganizationDeletion?: (tx: Tx, ctx: AuditContext, tenantId: string) => Promise<void> } = {},
): RiskyOperation[] {
  const t = tenants.inTransaction;
  const deleteOrganization = options.scheduleOrganizationDeletion ?? t.deleteOrganization;
  return [
    {
      kind: 'organization.delete',
      permission: 'organization.delete',
      resource: (tenantId) => ({ tenantId }),
      check: (tx, tenantId) => t.assertOrganization(tx, tenantId),
      execute: (tx, ctx, tenantId) => deleteOrganization(tx, ctx, tenantId),
    },
    {
      kind: 'project.delete',
      permission: 'projects.delete',
      resource: (tenantId, params) => ({ tenantId, projectId: param(params, 'project_id') }),
      check: (tx, tenantId, params) => t.assertProject(tx, tenantId, param(params, 'project_id')),
      execute: (tx, ctx, tenantId, params) => t.deleteProject(tx, ctx, tenantId, param(params, 'project_id')),
    },
    {
      kind: 'environment.delete',
      permission: 'environments.delete',
      resource: (tenantId, params) => ({ tenantId, projectId: param(params, 'project_id'), environmentId: param(params, 'environment_id') }),
      check: (tx, tenantId, params) => t.assertEnvironment(tx, tenantId, param(params, 'project_id'), param(params, 'environment_id')),
      execute: (tx, ctx, tenantId, params) => t.deleteEnvironment(tx, ctx, tenantId, param(params, 'project_id'), param(params, 'environment_id')),
    },
  ];
}
