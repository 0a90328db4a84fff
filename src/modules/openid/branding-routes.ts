import { Type } from '@sinclair/typebox';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { FastifyInstance } from 'fastify';
import { errorResponses, Name, Nullable, Strict, Uuid } from '../../platform/http/schemas.ts';
import { auditContext } from '../../platform/http/request-context.ts';
import { brandingStylesheet, type BrandingService } from './branding.ts';
import { BRANDING_STYLESHEET_PATH, type Branding } from './hosted-page.ts';

const BrandingBody = Strict({
  display_name: Nullable(Name),
  logo_url: Nullable(Type.String({ minLength: 1, maxLength: 2000, description: 'An https URL (no userinfo, no fragment); the hosted pages allow images from its origin only.' })),
  primary_color: Nullable(Type.String({ minLength: 1, maxLength: 32, description: 'A hex colour, `#rgb` or `#rrggbb` (buttons, links).' })),
  background_color: Nullable(Type.String({ minLength: 1, maxLength: 32, description: 'A hex colour, `#rgb` or `#rrggbb` (page background).' })),
});
const OrgParams = Strict({ orgId: Uuid });
const NONE: Branding = { displayName: null, logoUrl: null, primaryColor: null, backgroundColor: null };
const toBody = (branding: Branding | undefined) => {
  const b = branding ?? NONE;
  return { display_name: b.displayName, logo_url: b.logoUrl, primary_color: b.primaryColor, background_color: b.backgroundColor };
};

/** REST routes for an organization's hosted-page branding, and the stylesheet the pages link. */
export function registerBrandingRoutes(server: FastifyInstance, service: BrandingService): void {
  const app = server.withTypeProvider<TypeBoxTypeProvider>();
  const tags = ['openid'];
  const path = '/api/v1/organizations/:orgId/branding';
  app.get(path, {
    config: { permission: 'organization.read' },
    schema: { tags, operationId: 'getBranding', summary: "Read the organization's hosted sign-in branding", params: OrgParams, response: { 200: BrandingBody, ...errorResponses(400, 401, 403, 404) } },
    handler: async (request) => toBody(await service.get(auditContext(request), request.params.orgId.toLowerCase())),
  });
  app.put(path, {
    config: { permission: 'organization.update' },
    schema: { tags, operationId: 'putBranding', summary: "Set the organization's hosted sign-in branding: display name, https logo, hex colours", params: OrgParams, body: BrandingBody, response: { 200: BrandingBody, ...errorResponses(400, 401, 403, 404) } },
    handler: async (request) => {
      const body = request.body;
      return toBody(await service.put(auditContext(request), request.params.orgId.toLowerCase(), { displayName: body.display_name, logoUrl: body.logo_url, primaryColor: body.primary_color, backgroundColor: body.background_color }));
    },
  });
  // Same origin, so the hosted pages' CSP keeps `style-src 'self'` (no inline style).
  app.get(`${BRANDING_STYLESHEET_PATH}/:orgId/style.css`, {
    config: { auth: 'public' },
    schema: { hide: true, params: OrgParams },
    handler: async (request, reply) => {
      const css = brandingStylesheet(await service.read(request.params.orgId.toLowerCase()));
      return reply.type('text/css; charset=utf-8').header('cache-control', 'public, max-age=300').send(css);
    },
  });
}
