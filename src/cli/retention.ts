import { parseArgs } from 'node:util';
import type { DB } from '../database.ts';
import { createAuditRecorder, createAuditSigner, createRetention, loadLogIdentity } from '../modules/audit/index.ts';
import { memberAuthority } from '../modules/audit/index.ts';
import { MODULES } from '../modules/index.ts';
import { createRetentionForConfig, type RetentionService } from '../modules/lifecycle/index.ts';
import { systemClock } from '../platform/clock.ts';
import { readKeyring } from '../platform/crypto/keyring.ts';
import { systemRandom } from '../platform/crypto/random.ts';
import { createContextSigner, createTransactor } from '../platform/db/index.ts';
import type { CliContext, Command } from './context.ts';
import { openOperatorData } from './open-data.ts';

/** Opens the keyring and database the way the server does and builds the retention service. */
async function withRetention(context: CliContext, fn: (retention: RetentionService) => Promise<number>): Promise<number> {
  const keyring = readKeyring(context.config.keyringPath);
  const { db, close } = await openOperatorData(context, { poolSize: 2 });
  try {
    const transactor = createTransactor<DB>(db.app, createContextSigner(keyring.derive('tenant-context-mac')));
    const audit = createAuditRecorder({ clock: systemClock, random: systemRandom, authority: memberAuthority(keyring) });
    const auditRetention = createRetention({ transactor, clock: systemClock, signer: createAuditSigner(keyring, await loadLogIdentity({ transactor, keyring, clock: systemClock }, context.config.publicUrl)), audit, defaultDays: context.config.auditRetentionDays });
    return await fn(createRetentionForConfig({ config: context.config, transactor, clock: systemClock, audit, auditRetention, types: MODULES.flatMap((module) => module.retention ?? []) }));
  } finally {
    await close();
  }
}

/** `parapet retention show [--json]`: every data type, its platform period, bounds and what it removes. */
export const retentionShow: Command = async (context) => {
  const { values } = parseArgs({ args: [...context.args], options: { json: { type: 'boolean' } }, strict: true });
  return withRetention(context, async (retention) => {
    const policies = await retention.platformPolicies();
    if (values.json === true) {
      context.out(JSON.stringify(policies));
      return 0;
    }
    for (const p of policies) {
      context.out(`${p.type.padEnd(22)} ${String(p.days).padStart(5)} days  (${p.scope}; ${p.minDays}–${p.maxDays}${p.scope === 'tenant' ? ', organizations may override' : ''})`);
      context.out(`${''.padEnd(22)} ${p.description}`);
    }
    return 0;
  });
};

/** `parapet retention purge [--dry-run] [--type <t>]… [--json]`: one retention pass now, with what it removed. */
export const retentionPurge: Command = async (context) => {
  const { values } = parseArgs({ args: [...context.args], options: { 'dry-run': { type: 'boolean' }, type: { type: 'string', multiple: true }, json: { type: 'boolean' } }, strict: true });
  const dryRun = values['dry-run'] === true;
  return withRetention(context, async (retention) => {
    const unknown = (values.type ?? []).filter((t) => retention.registry.get(t) === undefined);
    if (unknown.length > 0) {
      context.err(`unknown data type ${unknown.join(', ')}; known: ${retention.registry.list().map((t) => t.type).join(', ')}`);
      return 2;
    }
    const reports = await retention.purgeAll({ dryRun, ...(values.type === undefined ? {} : { types: values.type }) });
    if (values.json === true) {
      context.out(JSON.stringify(reports));
      return 0;
    }
    const verb = dryRun ? 'would remove' : 'removed';
    for (const r of reports.filter((x) => x.removed > 0)) context.out(`${r.type.padEnd(22)} ${r.tenantId}  ${verb} ${r.removed} (older than ${r.cutoff}, ${r.days} days)`);
    const total = reports.reduce((n, r) => n + r.removed, 0);
    context.out(`${dryRun ? 'dry run: ' : ''}${verb} ${total} row(s) across ${new Set(reports.filter((r) => r.removed > 0).map((r) => `${r.type}/${r.tenantId}`)).size} type/tenant pair(s)`);
    return 0;
  });
};
