import { Type } from '@sinclair/typebox';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { FastifyInstance } from 'fastify';
import type { AppTransactor } from '../../database.ts';
import type { RowIntegrity } from './row-integrity.ts';
import { AppError } from '../../platform/http/errors.ts';
import { decodeCursor, toPage } from '../../platform/http/pagination.ts';
import { requireUser } from '../../platform/http/request-context.ts';
import { errorResponses, Nullable, Page, PageQuery, Strict, Timestamp, Uuid } from '../../platform/http/schemas.ts';

const UsersQuery = Type.Object(
  { ...PageQuery.properties, q: Type.Optional(Type.String({ minLength: 1, maxLength: 254, description: 'Part of an email address or display name (case-insensitive)' })) },
  { additionalProperties: false },
);
const PlatformUser = Strict({ id: Uuid, email: Type.String(), display_name: Type.String(), is_platform_admin: Type.Boolean(), created_at: Timestamp, disabled_at: Nullable(Timestamp) });

/** `text` as a LIKE pattern that matches it literally anywhere (`%`, `_` and `\` escaped). */
export function containsPattern(text: string): string {
  return `%${text.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
}

/**
 * Accounts for the platform page of the console (issue 19): list and search, for platform
 * administrators only. Accounts are platform rows (no tenant data); disabling and enabling are
 * POST /api/v1/platform/users/:id/disable|enable. Operator status is shown only where its MAC holds.
 */
export function registerPlatformUsersRoutes(server: FastifyInstance, deps: { transactor: AppTransactor; integrity: RowIntegrity }): void {
  const app = server.withTypeProvider<TypeBoxTypeProvider>();
  app.get('/api/v1/platform/users', {
    config: { permission: 'self' },
    schema: {
      tags: ['identity'],
      operationId: 'listPlatformUsers',
      summary: 'Accounts on this Parapet, by id, optionally searched by email or name (platform administrators)',
      querystring: UsersQuery,
      response: { 200: Page(PlatformUser), ...errorResponses(400, 401, 403) },
    },
    handler: async (request, reply) => {
      const principal = requireUser(request);
      if (!principal.isPlatformAdmin) throw new AppError('forbidden', { detail: 'Only a platform administrator can do this.' });
      const { q, limit, cursor } = request.query;
      const after = decodeCursor(cursor);
      const rows = await deps.transactor.withPlatform((tx) => {
        let query = tx.selectFrom('users').select(['id', 'email', 'display_name', 'is_platform_admin', 'platform_admin_mac', 'created_at', 'disabled_at']).orderBy('id').limit(limit + 1);
        if (after !== undefined) query = query.where('id', '>', after);
        if (q !== undefined) {
          const pattern = containsPattern(q);
          query = query.where((eb) => eb.or([eb('email', 'ilike', pattern), eb('display_name', 'ilike', pattern)]));
        }
        return query.execute();
      });
      const page = toPage(rows, limit, (row) => ({
        id: row.id,
        email: row.email,
        display_name: row.display_name,
        is_platform_admin: deps.integrity.isPlatformAdmin(row),
        created_at: row.created_at.toISOString(),
        disabled_at: row.disabled_at?.toISOString() ?? null,
      }));
      return reply.header('cache-control', 'no-store').send(page);
    },
  });
}
