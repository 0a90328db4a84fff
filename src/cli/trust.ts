import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { verifyEvidence } from '../modules/trust/index.ts';
import type { Command } from './context.ts';

/**
 * `parapet trust verify <evidence.json> --key <verifier key>`: checks a trust center evidence bundle
 * offline against the audit log's verifier key the caller already trusts (TR-4). Exit 1 when it
 * does not verify.
 */
export const trustVerify: Command = async (context) => {
  const { values, positionals } = parseArgs({ args: [...context.args], options: { key: { type: 'string' }, json: { type: 'boolean' } }, allowPositionals: true, strict: true });
  const file = positionals[0];
  if (file === undefined || values.key === undefined || positionals.length > 1) {
    context.err('usage: parapet trust verify <evidence.json> --key <verifier key> [--json]');
    return 2;
  }
  let bundle: unknown;
  try {
    bundle = JSON.parse(readFileSync(file, 'utf8'));
  } catch (error) {
    context.err(`  cannot read ${file}: ${(error as Error).message}`);
    return 1;
  }
  const verdict = verifyEvidence(bundle, values.key);
  if (values.json === true) {
    context.out(JSON.stringify(verdict.ok ? { ok: true, ...(verdict.organizationId === undefined ? {} : { organization_id: verdict.organizationId }), results: verdict.results } : verdict));
    return verdict.ok ? 0 : 1;
  }
  if (!verdict.ok) {
    context.out(`  NOT VERIFIED: ${verdict.reason}`);
    return 1;
  }
  const scope = verdict.organizationId === undefined ? '' : ` for organization ${verdict.organizationId}`;
  context.out(`  OK: signed by ${values.key.slice(0, values.key.indexOf('+'))}${scope}; ${verdict.results.length} check result(s):`);
  for (const r of verdict.results) context.out(`    ${r.status.toUpperCase().padEnd(14)} ${r.check_id.padEnd(22)} ${r.claims.join(',').padEnd(12)} ${r.finished_at}  ${r.statement}`);
  return 0;
};
