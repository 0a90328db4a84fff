import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { Type } from '@sinclair/typebox';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { FastifyInstance } from 'fastify';
import { AppError } from '../../platform/http/errors.ts';
import { errorResponses, Strict, Uuid } from '../../platform/http/schemas.ts';
import { auditActor, requestSource } from '../../platform/http/request-context.ts';
import { ALL_PERMISSIONS, callerOf, factsFor, type AccessControl } from '../access/index.ts';

const STATIC = new URL('./static/', import.meta.url);
const TYPES: Readonly<Record<string, string>> = { html: 'text/html; charset=utf-8', js: 'text/javascript; charset=utf-8', css: 'text/css; charset=utf-8' };

/** Every file the console serves (static/ holds the console's own ES modules; no build step, see docs/console.md). */
export const CONSOLE_ASSETS = [
  'setup.js', 'login.js', 'enrol.js', 'steps.js', 'api.js', 'webauthn.js', 'console.js', 'console.css', 'account-link.js',
  'dom.js', 'org.js', 'members.js', 'api-keys.js', 'policy.js', 'audit-log.js', 'account.js', 'platform.js',
  'applications.js', 'roles.js', 'service-accounts.js', 'approvals.js', 'environment-picker.js', 'secrets.js',
  'sso.js', 'audit-proof.js', 'lifecycle.js', 'access-review.js', 'disclosure.js', 'audit-destinations.js', 'incidents.js',
  'directories.js', 'access-requests.js', 'bindings.js',
] as const;

function load(file: string): { body: Buffer; type: string } {
  const extension = file.slice(file.lastIndexOf('.') + 1);
  return { body: readFileSync(new URL(file, STATIC)), type: TYPES[extension] ?? 'application/octet-stream' };
}

/** uqr's ES module (a dependency, MIT, no imports of its own), served as is: the QR code of an otpauth URI is drawn in the browser. */
function loadQrModule(): { body: Buffer; type: string } {
  const require = createRequire(import.meta.url);
  const entry = require.resolve('uqr');
  return { body: readFileSync(new URL('./index.mjs', new URL(`file://${entry}`))), type: TYPES['js'] ?? 'text/javascript' };
}

export interface ConsoleRouteDeps {
  readonly access: Pick<AccessControl, 'can'>;
  readonly now: () => Date;
}

/** The console: static pages and modules read once at start, plus what the console needs to know about the caller. */
export function registerConsoleRoutes(server: FastifyInstance, deps: ConsoleRouteDeps): void {
  const app = server.withTypeProvider<TypeBoxTypeProvider>();
  const pages: Record<string, string> = { '/setup': 'setup.html', '/login': 'login.html', '/console': 'console.html' };
  // Mailed account links (docs/identity.md, docs/data-lifecycle.md) all open one page, which reads the path.
  for (const path of ['/accept-invitation', '/reset-password', '/verify-email', '/confirm-email', '/report-email-change', '/cancel-deletion']) pages[path] = 'account-link.html';
  for (const [path, file] of Object.entries(pages)) {
    const page = load(file);
    app.get(path, { config: { auth: 'public' } }, async (_request, reply) => reply.type(page.type).header('cache-control', 'no-store').send(page.body));
  }
  const assets = new Map<string, { body: Buffer; type: string }>(CONSOLE_ASSETS.map((file) => [file, load(file)]));
  assets.set('qr.js', loadQrModule());
  for (const [file, asset] of assets) {
    app.get(`/assets/${file}`, { config: { auth: 'public' } }, async (_request, reply) => reply.type(asset.type).header('cache-control', 'no-cache').send(asset.body));
  }
  app.get('/', { config: { auth: 'public' } }, async (_request, reply) => reply.redirect('/console'));

  // What the console shows follows the caller's permissions: it asks once per organization.
  // Hiding is a courtesy only; every route still decides for itself.
  // 'self': an Auditor (no organization.read) asks too; a non-member is answered 404.
  app.get('/api/v1/organizations/:orgId/my-permissions', {
    config: { permission: 'self' },
    schema: {
      tags: ['console'],
      operationId: 'myPermissions',
      summary: 'The permissions you hold over the whole organization now (what the console shows you); bindings at a project or environment scope are not listed',
      params: Strict({ orgId: Uuid }),
      response: { 200: Strict({ permissions: Type.Array(Type.String()) }), ...errorResponses(400, 401, 403, 404) },
    },
    handler: async (request, reply) => {
      const tenantId = request.params.orgId.toLowerCase();
      const caller = callerOf(request, auditActor, requestSource);
      const facts = factsFor(caller.principal, caller.source.ip ?? '', deps.now());
      const held: string[] = [];
      let member = false;
      for (const permission of ALL_PERMISSIONS) {
        const decision = await deps.access.can(caller.principal, permission, { tenantId }, facts);
        if (decision.allowed) held.push(permission);
        if (decision.allowed || decision.reason !== 'not_member') member = true;
      }
      // A non-member (or another tenant's caller) learns nothing, not even that the organization exists.
      // A member the policy refuses everything (mfa_required) still gets its empty list.
      if (!member) throw new AppError('not_found');
      return reply.header('cache-control', 'no-store').send({ permissions: held });
    },
  });
}
