import { Type } from '@sinclair/typebox';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { FastifyInstance } from 'fastify';
import type { KeyProvider } from '../../platform/crypto/key-provider.ts';
import { AppError } from '../../platform/http/errors.ts';
import { requireUser } from '../../platform/http/request-context.ts';
import { errorResponses, Strict, Timestamp } from '../../platform/http/schemas.ts';

const KeyStatus = Strict({
  provider: Type.Union([Type.Literal('local'), Type.Literal('aws-kms')], { description: 'Where the root key lives: the local keyring file or AWS KMS' }),
  primary_root: Type.String({ description: 'The root version new tenant keys are wrapped under' }),
  primary_since: Timestamp,
  root_versions: Type.Array(Strict({ version: Type.String(), created_at: Timestamp, primary: Type.Boolean() })),
  tenant_key_rotation_days: Type.Integer({ description: 'A tenant key is rotated once its primary version is this old (0: scheduled rotation off); PARAPET_KEY_ROTATION_DAYS' }),
  tenant_key_max_encryptions: Type.Integer({ description: 'A tenant key version is rotated after this many encryptions; PARAPET_KEY_MAX_ENCRYPTIONS' }),
});

/**
 * The root key's status for the console's platform page (platform administrators only; anyone else
 * 404): provider, root versions and rotation settings — never key material nor where the key is
 * (a file path or KMS ARN). Per-tenant key versions and re-encryption progress read every tenant,
 * which the database keeps to background jobs: `parapet keys status` on the server shows them.
 */
export function registerKeysRoutes(server: FastifyInstance, deps: { provider: Pick<KeyProvider, 'primary' | 'describe'>; rotationDays: number; maxEncryptions: number }): void {
  const app = server.withTypeProvider<TypeBoxTypeProvider>();
  app.get('/api/v1/platform/keys', {
    config: { permission: 'self' },
    schema: { tags: ['keys'], summary: 'Platform administrators: the root key\u2019s provider and versions, and the tenant keys\u2019 rotation settings (no key material)', response: { 200: KeyStatus, ...errorResponses(401, 403, 404) } },
    handler: async (request, reply) => {
      if (!requireUser(request).isPlatformAdmin) throw new AppError('not_found');
      const [primary, description] = await Promise.all([deps.provider.primary(), deps.provider.describe()]);
      return reply.header('cache-control', 'no-store').send({
        provider: description.kind,
        primary_root: primary.version,
        primary_since: primary.since.toISOString(),
        root_versions: description.versions.map((v) => ({ version: v.version, created_at: v.createdAt.toISOString(), primary: v.primary })),
        tenant_key_rotation_days: deps.rotationDays,
        tenant_key_max_encryptions: deps.maxEncryptions,
      });
    },
  });
}
