import { sql } from 'kysely';
import { parseArgs } from 'node:util';
import type { DB, Tx } from '../database.ts';
import { createAccessControl, createAccessService } from '../modules/access/index.ts';
import { createAuditRecorder } from '../modules/audit/index.ts';
import { memberAuthority } from '../modules/audit/index.ts';
import type { AuditContext } from '../modules/audit/audit-event.ts';
import { createRowIntegrity, SESSIONS_TOPIC } from '../modules/identity/index.ts';
import { createMembersService, type MembersService } from '../modules/members/index.ts';
import { systemClock } from '../platform/clock.ts';
import { readKeyring } from '../platform/crypto/keyring.ts';
import { systemRandom } from '../platform/crypto/random.ts';
import { createContextSigner, createTransactor } from '../platform/db/index.ts';
import { AppError } from '../platform/http/errors.ts';
import { CHANGE_CHANNEL, type ChangeFeed } from '../platform/notify/change-feed.ts';
import { createRedisChangeFeed } from '../platform/notify/redis-change-feed.ts';
import type { CliContext, Command } from './context.ts';
import { openOperatorData } from './open-data.ts';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** The operator at the console: recorded as such in the organization's audit log. */
const CLI_ACTOR: AuditContext & { readonly operator: true } = {
  operator: true,
  userId: '',
  actor: { type: 'operator', id: null, display_name: 'parapet members (CLI)' },
  source: { ip: null, user_agent: 'parapet-cli', request_id: null },
};

const USAGE = `usage: parapet members list   --org <id> [--json]
       parapet members remove --org <id> --user <id>`;

/** Announces changes the way running servers hear them: `pg_notify` in the transaction, or Redis when configured. */
async function publisher(context: CliContext): Promise<ChangeFeed> {
  if (context.config.redisUrl !== undefined) return createRedisChangeFeed({ url: context.config.redisUrl, logger: context.logger, connectionName: 'parapet-cli' });
  return {
    publish: async (tx, topic, key) => {
      await sql`select pg_notify(${CHANGE_CHANNEL}, ${`${topic}:${key}`})`.execute(tx);
    },
    subscribe: () => () => undefined,
    close: async () => undefined,
  };
}

/** Opens the database the way the server does and the members service over it. */
async function withMembers(context: CliContext, fn: (members: MembersService) => Promise<number>): Promise<number> {
  const keyring = readKeyring(context.config.keyringPath);
  const { db, close } = await openOperatorData(context, { poolSize: 2 });
  try {
    const feed = await publisher(context);
    try {
      const transactor = createTransactor<DB>(db.app, createContextSigner(keyring.derive('tenant-context-mac')));
      const audit = createAuditRecorder({ clock: systemClock, random: systemRandom, authority: memberAuthority(keyring) });
      const access = createAccessControl({ transactor, clock: systemClock, audit, feed, logger: context.logger, integrity: createRowIntegrity(keyring.derive('row-integrity')) });
      const accessService = createAccessService({ transactor, clock: systemClock, random: systemRandom, audit, access });
      // The primary second factors the server's registry knows (TOTP, passkeys), read directly:
      // the CLI has no use for the factors' secrets.
      const mfa = (userIds: readonly string[]) =>
        transactor.withPlatform(async (tx) => {
          const result = new Map<string, { methods: string[]; enabled: boolean }>();
          if (userIds.length === 0) return result;
          const ids = [...userIds];
          const totp = await tx.selectFrom('totp_factors').select('user_id').where('user_id', 'in', ids).where('confirmed_at', 'is not', null).execute();
          const passkeys = await tx.selectFrom('passkeys').select('user_id').where('user_id', 'in', ids).execute();
          for (const id of userIds) {
            const methods = [...(totp.some((r) => r.user_id === id) ? ['totp'] : []), ...(passkeys.some((r) => r.user_id === id) ? ['webauthn'] : [])];
            result.set(id, { methods, enabled: methods.length > 0 });
          }
          return result;
        });
      const endSessions = async (tx: Tx, userId: string, reason: string) => {
        const ended = await tx.updateTable('sessions').set({ revoked_at: systemClock.now(), revoked_reason: reason }).where('user_id', '=', userId).where('revoked_at', 'is', null).returning('id').execute();
        for (const { id } of ended) await feed.publish(tx as never, SESSIONS_TOPIC, id);
        return ended.map((row) => row.id);
      };
      try {
        return await fn(createMembersService({ transactor, clock: systemClock, audit, access, accessService, endSessions, mfa }));
      } finally {
        await access.close();
      }
    } catch (error) {
      // Problems an operator can act on (not a member, last Tenant Admin) end with their code, exit 1.
      if (error instanceof AppError) {
        context.err(`${error.code}: ${error.message}`);
        return 1;
      }
      throw error;
    } finally {
      await feed.close();
    }
  } finally {
    await close();
  }
}

function parse(context: CliContext, needsUser: boolean): { org: string; user: string; json: boolean } | undefined {
  let values;
  try {
    values = parseArgs({ args: [...context.args], options: { org: { type: 'string' }, user: { type: 'string' }, json: { type: 'boolean' }, help: { type: 'boolean' } }, strict: true }).values;
  } catch (error) {
    context.err(`${(error as Error).message}\n${USAGE}`);
    return undefined;
  }
  if (values.help === true || values.org === undefined || !UUID.test(values.org) || (needsUser && (values.user === undefined || !UUID.test(values.user)))) {
    context.err(USAGE);
    return undefined;
  }
  return { org: values.org.toLowerCase(), user: (values.user ?? '').toLowerCase(), json: values.json === true };
}

/** `parapet members list --org <id> [--json]`: every member with roles, second factors and last sign-in. */
export const membersList: Command = async (context) => {
  const parsed = parse(context, false);
  if (parsed === undefined) return 2;
  return withMembers(context, async (members) => {
    const rows = [];
    for (let after: string | undefined; ; ) {
      const batch = await members.list(parsed.org, { after, limit: 100 }, true);
      rows.push(...batch.slice(0, 100));
      if (batch.length <= 100) break;
      after = batch[99]?.id;
    }
    if (parsed.json) {
      context.out(JSON.stringify(rows.map((m) => ({ user_id: m.id, email: m.email, display_name: m.displayName, joined_at: m.joinedAt.toISOString(), roles: m.details?.roles.map((r) => ({ role: r.role, project_id: r.projectId, environment_id: r.environmentId })), mfa: m.details?.mfaEnabled, last_sign_in_at: m.details?.lastSignInAt?.toISOString() ?? null })), null, 2));
    } else {
      for (const m of rows) {
        const roles = m.details?.roles.map((r) => r.role + (r.projectId === null ? '' : `@${r.environmentId ?? r.projectId}`)).join(',') ?? '';
        context.out(`${m.id}\t${m.email}\t${roles === '' ? '-' : roles}\tmfa=${m.details?.mfaEnabled === true ? 'yes' : 'no'}\t${m.details?.lastSignInAt?.toISOString() ?? 'never'}`);
      }
    }
    return 0;
  });
};

/**
 * `parapet members remove --org <id> --user <id>`: as `DELETE …/members/{userId}`, run by the
 * operator (who holds the database and keyring, so the removal rule names no caller to check); the
 * last Tenant Admin is refused all the same, and the run is audited as the operator's.
 */
export const membersRemove: Command = async (context) => {
  const parsed = parse(context, true);
  if (parsed === undefined) return 2;
  return withMembers(context, async (members) => {
    const result = await members.remove(CLI_ACTOR, parsed.org, parsed.user);
    context.out(`removed ${parsed.user} from ${parsed.org}: ${result.bindings} binding(s) and ${result.sessions} session(s) ended, ${result.keysSuspended} API key(s) suspended`);
    return 0;
  });
};
