import type { AppTransactor } from '../../database.ts';
import type { Clock } from '../../platform/clock.ts';
import { AppError } from '../../platform/http/errors.ts';
import type { AuditContext, AuditRecorder } from '../audit/index.ts';
import type { Branding } from './hosted-page.ts';

/** `#rrggbb` or `#rgb`, stored as lower-case `#rrggbb`. */
const HEX_COLOUR = /^#(?:[0-9a-fA-F]{3}|[0-9a-fA-F]{6})$/;

/** The colour as stored, or a problem naming the field. */
export function normalizeColour(value: string, pointer: string): string {
  if (!HEX_COLOUR.test(value)) throw new AppError('invalid_request', { errors: [{ pointer, detail: 'must be a hex colour (#rgb or #rrggbb)' }] });
  const hex = value.slice(1).toLowerCase();
  return `#${hex.length === 3 ? hex.replace(/./g, (c) => c + c) : hex}`;
}

/** The logo URL as stored: absolute https, no userinfo, no fragment; or a problem. */
export function checkLogoUrl(value: string, pointer: string): string {
  let url: URL | undefined;
  try {
    url = new URL(value);
  } catch {
    url = undefined;
  }
  if (url?.protocol !== 'https:' || url.username !== '' || url.password !== '' || value.includes('#') || url.href.length > 2000) throw new AppError('invalid_request', { errors: [{ pointer, detail: 'must be an https URL without userinfo or fragment' }] });
  return url.href;
}

export interface BrandingService {
  /** The organization's branding; undefined when it set none. */
  read(tenantId: string): Promise<Branding | undefined>;
  get(ctx: AuditContext, tenantId: string): Promise<Branding | undefined>;
  put(ctx: AuditContext, tenantId: string, input: Branding): Promise<Branding>;
}

/** Per-organization branding of the hosted pages (issue 17). */
export function createBranding(deps: { transactor: AppTransactor; clock: Clock; audit: AuditRecorder }): BrandingService {
  const { transactor, clock, audit } = deps;
  const read = (tenantId: string, userId?: string) =>
    transactor.withTenant(
      tenantId,
      async (tx) => {
        const row = await tx.selectFrom('oidc_branding').selectAll().where('tenant_id', '=', tenantId).executeTakeFirst();
        return row === undefined ? undefined : { displayName: row.display_name, logoUrl: row.logo_url, primaryColor: row.primary_color, backgroundColor: row.background_color };
      },
      userId,
    );
  return {
    read: (tenantId) => read(tenantId),
    get: (ctx, tenantId) => read(tenantId, ctx.userId),
    put: async (ctx, tenantId, input) => {
      const branding: Branding = {
        displayName: input.displayName,
        logoUrl: input.logoUrl === null ? null : checkLogoUrl(input.logoUrl, '/body/logo_url'),
        primaryColor: input.primaryColor === null ? null : normalizeColour(input.primaryColor, '/body/primary_color'),
        backgroundColor: input.backgroundColor === null ? null : normalizeColour(input.backgroundColor, '/body/background_color'),
      };
      await transactor.withTenant(
        tenantId,
        async (tx) => {
          const values = { display_name: branding.displayName, logo_url: branding.logoUrl, primary_color: branding.primaryColor, background_color: branding.backgroundColor, updated_by: ctx.actor.type === 'user' || ctx.actor.type === 'operator' ? ctx.actor.id : null, updated_at: clock.now() };
          await tx.insertInto('oidc_branding').values({ tenant_id: tenantId, ...values }).onConflict((oc) => oc.column('tenant_id').doUpdateSet(values)).execute();
          await audit.record(tx, tenantId, { action: 'oidc.branding_updated', actor: ctx.actor, outcome: 'success', source: ctx.source, targets: [{ type: 'organization', id: tenantId }], metadata: { display_name: branding.displayName ?? '', logo_url: branding.logoUrl ?? '', primary_color: branding.primaryColor ?? '', background_color: branding.backgroundColor ?? '' } });
        },
        ctx.userId,
      );
      return branding;
    },
  };
}

/** The branding stylesheet: only validated `#rrggbb` values reach it (checked again here). */
export function brandingStylesheet(branding: Branding | undefined): string {
  const colour = (value: string | null) => (value !== null && /^#[0-9a-f]{6}$/.test(value) ? value : undefined);
  const primary = colour(branding?.primaryColor ?? null);
  const background = colour(branding?.backgroundColor ?? null);
  return [
    background === undefined ? '' : `body { background: ${background}; }`,
    primary === undefined ? '' : `button, .brand-name { background: ${primary}; border-color: ${primary}; } a { color: ${primary}; }`,
    '.brand-logo { max-height: 48px; max-width: 200px; }',
  ].filter(Boolean).join('\n') + '\n';
}
