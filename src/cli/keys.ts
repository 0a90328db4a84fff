import { parseArgs } from 'node:util';
import type { DB } from '../database.ts';
import { createAuditRecorder } from '../modules/audit/index.ts';
import { memberAuthority } from '../modules/audit/index.ts';
import type { AuditActor } from '../modules/audit/audit-event.ts';
import { systemClock } from '../platform/clock.ts';
import { readKeyring } from '../platform/crypto/keyring.ts';
import { createKeys, keyProviderFor, type Keys, type KeyStatus } from '../modules/keys/keys.ts';
import { systemRandom } from '../platform/crypto/random.ts';
import { createShredRegister, shredRegisterPath } from '../platform/crypto/shred-register.ts';
import { createContextSigner, createTransactor } from '../platform/db/index.ts';
import type { CliContext, Command } from './context.ts';
import { openOperatorData } from './open-data.ts';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const CLI_ACTOR: AuditActor = { type: 'operator', id: null, display_name: 'parapet keys (CLI)' };

/** Opens the keyring, provider and database the way the server does. */
async function withKeys(context: CliContext, fn: (keys: Keys) => Promise<number>): Promise<number> {
  const keyring = readKeyring(context.config.keyringPath);
  const { db, close } = await openOperatorData(context, { poolSize: 2 });
  try {
    const transactor = createTransactor<DB>(db.app, createContextSigner(keyring.derive('tenant-context-mac')));
    const provider = keyProviderFor(context.config, keyring, { persist: true });
    const audit = createAuditRecorder({ clock: systemClock, random: systemRandom, authority: memberAuthority(keyring) });
    return await fn(createKeys({ config: context.config, transactor, provider, keyring, clock: systemClock, random: systemRandom, audit, shredded: createShredRegister({ path: shredRegisterPath(context.config) }) }));
  } finally {
    await close();
  }
}

function printStatus(context: CliContext, status: KeyStatus): void {
  context.out(`provider: ${status.provider.kind} (${status.provider.location})`);
  for (const v of status.provider.versions) context.out(`  root ${v.version}${v.primary ? ' (primary)' : ''}, since ${v.createdAt.toISOString()}`);
  const pendingRewrap = status.tenants.reduce((n, t) => n + t.pendingRewrap, 0);
  const pendingValues = status.tenants.reduce((n, t) => n + t.pendingReencrypt, 0);
  const keys = status.tenants.reduce((n, t) => n + t.versions.filter((v) => v.state !== 'destroyed').length, 0);
  context.out(`rewrap: ${keys - pendingRewrap}/${keys} tenant key versions under ${status.primaryRoot}; ${pendingValues} value(s) awaiting re-encryption`);
  for (const tenant of status.tenants) {
    context.out(`organization ${tenant.tenantId}`);
    for (const v of tenant.versions) {
      context.out(`  v${v.version} ${v.state}${v.primary ? ' (primary)' : ''}: ${v.references} value(s), ${v.encryptions} encryption(s) reserved, wrapped by ${v.rootVersion}`);
    }
  }
}

/** `parapet keys status [--json]`: provider, root versions, tenant key versions and rewrap progress. */
export const keysStatus: Command = async (context) => {
  const { values } = parseArgs({ args: [...context.args], options: { json: { type: 'boolean' } }, strict: true });
  return withKeys(context, async (keys) => {
    const status = await keys.maintenance.status();
    if (values.json === true) context.out(JSON.stringify(status, null, 2));
    else printStatus(context, status);
    return 0;
  });
};

/**
 * `parapet keys rotate [--root] [--tenant <id>] [--no-wait]`: makes a new version primary (root,
 * one organization's tenant key, or by default every organization's), then runs the maintenance
 * job here until it is idle (rewrap, re-encrypt), printing progress. Running servers keep serving:
 * old versions still decrypt until retired.
 */
export const keysRotate: Command = async (context) => {
  const { values } = parseArgs({ args: [...context.args], options: { root: { type: 'boolean' }, tenant: { type: 'string' }, 'no-wait': { type: 'boolean' } }, strict: true });
  if (values.tenant !== undefined && !UUID.test(values.tenant)) {
    context.err('usage: parapet keys rotate [--root] [--tenant <organization id>] [--no-wait]');
    return 2;
  }
  return withKeys(context, async (keys) => {
    if (values.root === true) context.out(`root key: ${await keys.maintenance.rotateRoot(CLI_ACTOR)} is primary`);
    if (values.tenant !== undefined) {
      const tenantId = values.tenant.toLowerCase();
      context.out(`organization ${tenantId}: tenant key v${await keys.maintenance.rotateTenant(tenantId, CLI_ACTOR)} is primary`);
    } else if (values.root !== true) {
      for (const tenant of (await keys.maintenance.status()).tenants) {
        context.out(`organization ${tenant.tenantId}: tenant key v${await keys.maintenance.rotateTenant(tenant.tenantId, CLI_ACTOR)} is primary`);
      }
    }
    if (values['no-wait'] === true) return 0;
    for (let done = 0, work = await keys.maintenance.pass(); work > 0; work = await keys.maintenance.pass()) {
      done += work;
      context.out(`  rewrapped/re-encrypted ${done}…`);
    }
    printStatus(context, await keys.maintenance.status());
    return 0;
  });
};

/** `parapet keys destroy --tenant <id> --version <n>`: crypto-shreds one tenant key version. */
export const keysDestroy: Command = async (context) => {
  const { values } = parseArgs({ args: [...context.args], options: { tenant: { type: 'string' }, version: { type: 'string' } }, strict: true });
  if (values.tenant === undefined || !UUID.test(values.tenant) || values.version === undefined || !/^[1-9]\d{0,8}$/.test(values.version)) {
    context.err('usage: parapet keys destroy --tenant <organization id> --version <n>');
    return 2;
  }
  const tenantId = values.tenant.toLowerCase();
  const version = Number(values.version);
  return withKeys(context, async (keys) => {
    await keys.maintenance.destroyTenantVersion(tenantId, version, CLI_ACTOR);
    context.out(`organization ${tenantId}: tenant key v${version} destroyed; values encrypted under it can no longer be read`);
    return 0;
  });
};
