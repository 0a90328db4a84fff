import type { IncomingMessage } from 'node:http';
import type Provider from 'oidc-provider';
import type { KoaContextWithOIDC } from 'oidc-provider';
import type { Logger } from 'pino';
import type { AppTransactor } from '../../database.ts';
import type { AuditRecorder, AuditSource } from '../audit/index.ts';
import type { ApplicationRow } from './applications-service.ts';

/** The client's address and agent as Parapet's HTTP layer saw them (its trusted-proxy rules), by raw request. */
export const requestSources = new WeakMap<IncomingMessage, AuditSource>();

/**
 * Records the provider's token events in the application's organization log: `oidc.token_issued`
 * for every successful token-endpoint exchange (grant type, scopes, resource — never a token), and
 * `oidc.code_replayed` when an authorization code is presented a second time (RFC 6749 §4.1.2:
 * the provider refuses it and revokes what the first use issued). Recording is best effort: a
 * failure is logged, never turned into a failed token response.
 */
export function auditProviderEvents(provider: Provider, deps: { application: (clientId: string) => Promise<ApplicationRow | undefined>; audit: AuditRecorder; transactor: AppTransactor; logger: Pick<Logger, 'error'> }): void {
  const record = async (ctx: KoaContextWithOIDC, event: { action: 'oidc.token_issued' | 'oidc.code_replayed'; outcome: 'success' | 'failure'; userId: string | undefined; metadata: Record<string, string> }) => {
    const clientId = ctx.oidc.client?.clientId;
    if (clientId === undefined) return;
    const app = await deps.application(clientId);
    if (app === undefined) return;
    const source = requestSources.get(ctx.req) ?? { ip: null, user_agent: null, request_id: null };
    await deps.transactor.withTenant(app.tenant_id, (tx) =>
      deps.audit.record(tx, app.tenant_id, {
        action: event.action,
        actor: event.userId === undefined ? { type: 'anonymous', id: null, display_name: null } : { type: 'user', id: event.userId, display_name: null },
        outcome: event.outcome,
        source,
        targets: [{ type: 'oidc_application', id: app.id, name: app.name }],
        metadata: event.metadata,
      }),
    );
  };
  const report = (error: unknown) => {
    deps.logger.error({ err: error }, 'recording an OpenID token event failed');
  };

  provider.on('grant.success', (ctx: KoaContextWithOIDC) => {
    const { entities, params } = ctx.oidc;
    const token = entities.AccessToken ?? entities.ClientCredentials;
    const audience = (token as { aud?: unknown } | undefined)?.aud;
    const resource = typeof audience === 'string' ? audience : undefined;
    const grantType = params?.['grant_type'];
    record(ctx, {
      action: 'oidc.token_issued',
      outcome: 'success',
      userId: entities.Account?.accountId ?? entities.Grant?.accountId,
      metadata: { grant_type: typeof grantType === 'string' ? grantType : '', scope: token?.scope ?? '', ...(resource === undefined ? {} : { resource }), refresh_token: entities.RefreshToken === undefined ? 'no' : 'yes' },
    }).catch(report);
  });

  provider.on('grant.error', (ctx, error) => {
    // oidc-provider's words for a second use of a code (helpers/grant_source.js), after which it has revoked the grant.
    if (ctx.oidc.params?.['grant_type'] !== 'authorization_code' || error.error !== 'invalid_grant' || (error as { error_detail?: unknown }).error_detail !== 'authorization code already consumed') return;
    record(ctx, { action: 'oidc.code_replayed', outcome: 'failure', userId: undefined, metadata: { reason: 'authorization_code_reused' } }).catch(report);
  });
}
