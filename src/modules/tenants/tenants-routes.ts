import { Type, type Static } from '@sinclair/typebox';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { decodeCursor, toPage } from '../../platform/http/pagination.ts';
import { errorResponses, Name, Page, PageQuery, Strict, Timestamp, Uuid } from '../../platform/http/schemas.ts';
import { auditContext, requireUser } from '../../platform/http/request-context.ts';
import type { TenantsService } from './tenants-service.ts';

/**
 * Deleting an organization, project or environment is a risky write (AC-7): the route hands the
 * operation to this gate, which refuses it (`risky_write_disabled`, the default) or queues it for a
 * second administrator's approval (202 with the approval). Implemented by modules/access-requests.
 */
export interface DeletionGate {
  submit(ctx: ReturnType<typeof auditContext>, tenantId: string, operation: { kind: 'organization.delete' | 'project.delete' | 'environment.delete'; params: Readonly<Record<string, string>> }): Promise<{ id: string }>;
}

const Queued = Strict({ approval_id: Uuid, status: Type.Literal('pending'), operation: Type.String() });
import type { EnvironmentRow, OrganizationRow, ProjectRow } from './tenants-store.ts';

const Organization = Strict({ id: Uuid, name: Type.String(), created_at: Timestamp, updated_at: Timestamp });
const Project = Strict({ id: Uuid, organization_id: Uuid, name: Type.String(), created_at: Timestamp, updated_at: Timestamp });
const EnvironmentKind = Type.Union([Type.Literal('development'), Type.Literal('staging'), Type.Literal('production'), Type.Literal('other')]);
const Environment = Strict({
  id: Uuid,
  organization_id: Uuid,
  project_id: Uuid,
  name: Type.String(),
  kind: EnvironmentKind,
  created_at: Timestamp,
  updated_at: Timestamp,
});

const OrgParams = Strict({ orgId: Uuid });
const ProjectParams = Strict({ orgId: Uuid, projectId: Uuid });
const EnvironmentParams = Strict({ orgId: Uuid, projectId: Uuid, environmentId: Uuid });
const NameBody = Strict({ name: Name });
const EnvironmentBody = Strict({ name: Name, kind: Type.Optional(EnvironmentKind) });
const EnvironmentPatch = Type.Object({ name: Type.Optional(Name), kind: Type.Optional(EnvironmentKind) }, { additionalProperties: false, minProperties: 1 });

const toOrganization = (row: OrganizationRow) => ({ id: row.id, name: row.name, created_at: row.created_at.toISOString(), updated_at: row.updated_at.toISOString() });
const toProject = (row: ProjectRow) => ({
  id: row.id,
  organization_id: row.tenant_id,
  name: row.name,
  created_at: row.created_at.toISOString(),
  updated_at: row.updated_at.toISOString(),
});
const toEnvironment = (row: EnvironmentRow) => ({
  id: row.id,
  organization_id: row.tenant_id,
  project_id: row.project_id,
  name: row.name,
  kind: row.kind,
  created_at: row.created_at.toISOString(),
  updated_at: row.updated_at.toISOString(),
});

type PageQueryT = Static<typeof PageQuery>;
const page = (query: PageQueryT) => ({ after: decodeCursor(query.cursor), limit: query.limit });

/** REST routes for the tenancy hierarchy under /api/v1/organizations. */
export function registerTenantsRoutes(server: FastifyInstance, service: TenantsService, gate: DeletionGate): void {
  const app = server.withTypeProvider<TypeBoxTypeProvider>();
  const tags = ['tenancy'];
  const org = '/api/v1/organizations/:orgId';
  const project = `${org}/projects/:projectId`;
  const environment = `${project}/environments/:environmentId`;

  async function queue(request: FastifyRequest, reply: FastifyReply, tenantId: string, kind: Parameters<DeletionGate['submit']>[2]['kind'], params: Record<string, string>) {
    const approval = await gate.submit(auditContext(request), tenantId, { kind, params });
    return reply.status(202).header('location', `/api/v1/organizations/${tenantId}/approvals/${approval.id}`).send({ approval_id: approval.id, status: 'pending', operation: kind });
  }

  app.post('/api/v1/organizations', {
    config: { permission: 'self' },
    schema: { tags, summary: 'Create an organization (you become its owner); who may, and how many, is a platform setting', body: NameBody, response: { 201: Organization, ...errorResponses(400, 401, 403) } },
    handler: async (request, reply) => {
      const { name } = request.body;
      const user = requireUser(request);
      return reply.status(201).send(toOrganization(await service.createOrganization(auditContext(request), name, user)));
    },
  });
  app.get('/api/v1/organizations', {
    config: { permission: 'self' },
    schema: { tags, summary: 'List the organizations you belong to', querystring: PageQuery, response: { 200: Page(Organization), ...errorResponses(400, 401) } },
    handler: async (request) => {
      const query = request.query;
      return toPage(await service.listOrganizations(auditContext(request), page(query)), query.limit, toOrganization);
    },
  });
  app.get(org, {
    config: { permission: 'organization.read' },
    schema: { tags, summary: 'Read an organization', params: OrgParams, response: { 200: Organization, ...errorResponses(400, 401, 404) } },
    handler: async (request) => {
      const { orgId } = request.params;
      return toOrganization(await service.getOrganization(auditContext(request), orgId));
    },
  });
  app.patch(org, {
    config: { permission: 'organization.update' },
    schema: { tags, summary: 'Rename an organization', params: OrgParams, body: NameBody, response: { 200: Organization, ...errorResponses(400, 401, 404) } },
    handler: async (request) => {
      const { orgId } = request.params;
      const { name } = request.body;
      return toOrganization(await service.renameOrganization(auditContext(request), orgId, name));
    },
  });
  app.delete(org, {
    config: { permission: 'organization.delete' },
    schema: { tags, summary: 'Delete an organization and everything in it (a risky write: queued for a second administrator\u2019s approval, or refused when risky writes are disabled)', params: OrgParams, response: { 202: Queued, ...errorResponses(400, 401, 403, 404) } },
    handler: async (request, reply) => {
      const { orgId } = request.params;
      return queue(request, reply, orgId.toLowerCase(), 'organization.delete', {});
    },
  });

  app.post(`${org}/projects`, {
    config: { permission: 'projects.create' },
    schema: { tags, summary: 'Create a project', params: OrgParams, body: NameBody, response: { 201: Project, ...errorResponses(400, 401, 404, 409) } },
    handler: async (request, reply) => {
      const { orgId } = request.params;
      const { name } = request.body;
      return reply.status(201).send(toProject(await service.createProject(auditContext(request), orgId, name)));
    },
  });
  app.get(`${org}/projects`, {
    config: { permission: 'projects.read' },
    schema: { tags, summary: 'List projects', params: OrgParams, querystring: PageQuery, response: { 200: Page(Project), ...errorResponses(400, 401, 404) } },
    handler: async (request) => {
      const { orgId } = request.params;
      const query = request.query;
      return toPage(await service.listProjects(auditContext(request), orgId, page(query)), query.limit, toProject);
    },
  });
  app.get(project, {
    config: { permission: 'projects.read' },
    schema: { tags, summary: 'Read a project', params: ProjectParams, response: { 200: Project, ...errorResponses(400, 401, 404) } },
    handler: async (request) => {
      const { orgId, projectId } = request.params;
      return toProject(await service.getProject(auditContext(request), orgId, projectId));
    },
  });
  app.patch(project, {
    config: { permission: 'projects.update' },
    schema: { tags, summary: 'Rename a project', params: ProjectParams, body: NameBody, response: { 200: Project, ...errorResponses(400, 401, 404, 409) } },
    handler: async (request) => {
      const { orgId, projectId } = request.params;
      const { name } = request.body;
      return toProject(await service.renameProject(auditContext(request), orgId, projectId, name));
    },
  });
  app.delete(project, {
    config: { permission: 'projects.delete' },
    schema: { tags, summary: 'Delete a project and its environments (a risky write, see DELETE organization)', params: ProjectParams, response: { 202: Queued, ...errorResponses(400, 401, 403, 404) } },
    handler: async (request, reply) => {
      const { orgId, projectId } = request.params;
      return queue(request, reply, orgId.toLowerCase(), 'project.delete', { project_id: projectId.toLowerCase() });
    },
  });

  app.post(`${project}/environments`, {
    config: { permission: 'environments.create' },
    schema: { tags, summary: 'Create an environment', params: ProjectParams, body: EnvironmentBody, response: { 201: Environment, ...errorResponses(400, 401, 404, 409) } },
    handler: async (request, reply) => {
      const { orgId, projectId } = request.params;
      const body = request.body;
      const created = await service.createEnvironment(auditContext(request), orgId, projectId, { name: body.name, kind: body.kind ?? 'other' });
      return reply.status(201).send(toEnvironment(created));
    },
  });
  app.get(`${project}/environments`, {
    config: { permission: 'environments.read' },
    schema: { tags, summary: 'List environments of a project', params: ProjectParams, querystring: PageQuery, response: { 200: Page(Environment), ...errorResponses(400, 401, 404) } },
    handler: async (request) => {
      const { orgId, projectId } = request.params;
      const query = request.query;
      return toPage(await service.listEnvironments(auditContext(request), orgId, projectId, page(query)), query.limit, toEnvironment);
    },
  });
  app.get(environment, {
    config: { permission: 'environments.read' },
    schema: { tags, summary: 'Read an environment', params: EnvironmentParams, response: { 200: Environment, ...errorResponses(400, 401, 404) } },
    handler: async (request) => {
      const { orgId, projectId, environmentId } = request.params;
      return toEnvironment(await service.getEnvironment(auditContext(request), orgId, projectId, environmentId));
    },
  });
  app.patch(environment, {
    config: { permission: 'environments.update' },
    schema: { tags, summary: 'Rename an environment or change its kind', params: EnvironmentParams, body: EnvironmentPatch, response: { 200: Environment, ...errorResponses(400, 401, 404, 409) } },
    handler: async (request) => {
      const { orgId, projectId, environmentId } = request.params;
      const body = request.body;
      const changes = { ...(body.name === undefined ? {} : { name: body.name }), ...(body.kind === undefined ? {} : { kind: body.kind }) };
      return toEnvironment(await service.updateEnvironment(auditContext(request), orgId, projectId, environmentId, changes));
    },
  });
  app.delete(environment, {
    config: { permission: 'environments.delete' },
    schema: { tags, summary: 'Delete an environment (a risky write, see DELETE organization)', params: EnvironmentParams, response: { 202: Queued, ...errorResponses(400, 401, 403, 404) } },
    handler: async (request, reply) => {
      const { orgId, projectId, environmentId } = request.params;
      return queue(request, reply, orgId.toLowerCase(), 'environment.delete', { project_id: projectId.toLowerCase(), environment_id: environmentId.toLowerCase() });
    },
  });
}
