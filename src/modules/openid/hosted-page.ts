import type { FastifyReply } from 'fastify';
import { html, htmlDocument, type SafeHtml } from '../../platform/http/html.ts';
import type { ApplicationRow } from './applications-service.ts';

/** An organization's look on the hosted pages (all optional; validated when set). */
export interface Branding {
  readonly displayName: string | null;
  readonly logoUrl: string | null;
  readonly primaryColor: string | null;
  readonly backgroundColor: string | null;
}

/** Where an organization's branding stylesheet is served (same origin: CSP `style-src 'self'`). */
export const BRANDING_STYLESHEET_PATH = '/oidc/branding';

/**
 * Sends a hosted page (sign-in, MFA, consent, sign-up): never framed, never cached, no inline
 * script or style (the second-factor page loads one same-origin script, for the passkey button). Form posts may go to Parapet and the application's redirect origins; the logo may
 * come from its own https origin only.
 */
export function sendHostedPage(reply: FastifyReply, input: { app: ApplicationRow | undefined; branding?: Branding | undefined; title: string; body: SafeHtml; status?: number; scripts?: readonly string[] }): FastifyReply {
  const { app, branding } = input;
  const origins = (app?.redirect_uris ?? []).map((uri) => new URL(uri).origin);
  const logo = branding?.logoUrl == null ? undefined : new URL(branding.logoUrl);
  const imgSrc = logo === undefined ? "'self'" : `'self' ${logo.origin}`;
  reply.header('content-security-policy', `default-src 'self'; script-src 'self'; style-src 'self'; img-src ${imgSrc}; object-src 'none'; base-uri 'none'; frame-ancestors 'none'; form-action 'self' ${[...new Set(origins)].join(' ')}`.trim());
  reply.header('cache-control', 'no-store');
  reply.header('referrer-policy', 'no-referrer');
  const hasStyle = branding !== undefined && (branding.primaryColor !== null || branding.backgroundColor !== null);
  const stylesheets = hasStyle && app !== undefined ? [`${BRANDING_STYLESHEET_PATH}/${app.tenant_id}/style.css`] : [];
  const header = branding === undefined ? '' : html`<header class="brand">${logo === undefined ? '' : html`<img class="brand-logo" src="${logo.href}" alt="" referrerpolicy="no-referrer">`}${branding.displayName === null ? '' : html`<span class="brand-name">${branding.displayName}</span>`}</header>`;
  return reply
    .status(input.status ?? 200)
    .type('text/html; charset=utf-8')
    .send(htmlDocument({ title: input.title, stylesheets, ...(input.scripts === undefined ? {} : { head: html`${input.scripts.map((src) => html`<script type="module" src="${src}"></script>`)}` }), body: html`${header}<main>${app === undefined ? '' : html`<p>Sign in to <strong>${app.name}</strong></p>`}${input.body}</main>` }));
}
