import { parseArgs } from 'node:util';
import { MODULES } from '../modules/index.ts';
import type { DB } from '../database.ts';
import { accessReviewCsv, reviewAndRecord } from '../modules/access/index.ts';
import { createAuditRecorder } from '../modules/audit/index.ts';
import { memberAuthority } from '../modules/audit/index.ts';
import { createRowIntegrity } from '../modules/identity/index.ts';
import { systemClock } from '../platform/clock.ts';
import { readKeyring } from '../platform/crypto/keyring.ts';
import { systemRandom } from '../platform/crypto/random.ts';
import { createContextSigner, createTransactor } from '../platform/db/index.ts';
import type { Command } from './context.ts';
import { openOperatorData } from './open-data.ts';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/**
 * `parapet access review --org <id> [--format json|csv]`: the organization's access review (AC-5)
 * on stdout, read straight from the database (for operators and scheduled evidence collection).
 * The run is recorded in the organization's audit log.
 */
export const accessReview: Command = async (context) => {
  const { values } = parseArgs({ args: [...context.args], options: { org: { type: 'string' }, format: { type: 'string', default: 'json' } }, strict: true });
  if (values.org === undefined || !UUID.test(values.org) || (values.format !== 'json' && values.format !== 'csv')) {
    context.err('usage: parapet access review --org <organization id> [--format json|csv]');
    return 2;
  }
  const tenantId = values.org.toLowerCase();
  const format = values.format;
  const keyring = readKeyring(context.config.keyringPath);
  const { db, close } = await openOperatorData(context, { poolSize: 2 });
  try {
    const transactor = createTransactor<DB>(db.app, createContextSigner(keyring.derive('tenant-context-mac')));
    const audit = createAuditRecorder({ clock: systemClock, random: systemRandom, authority: memberAuthority(keyring) });
    const review = await transactor.withTenant(tenantId, (tx) =>
      reviewAndRecord(tx, { audit, integrity: createRowIntegrity(keyring.derive('row-integrity')), contributors: MODULES.flatMap((module) => module.reviewContributors ?? []) }, { tenantId, now: systemClock.now(), actor: { type: 'system', id: null, display_name: 'parapet access review (CLI)' }, format }),
    );
    if (review === undefined) {
      context.err(`no organization ${tenantId}`);
      return 1;
    }
    if (format === 'csv') context.write(accessReviewCsv(review));
    else context.out(JSON.stringify(review, null, 2));
    return 0;
  } finally {
    await close();
  }
};
