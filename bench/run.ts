// Runs the benchmarks: all of them, or those named (`npm run bench -- point-read startup`).
// The load average is printed around each one: these machines are shared, and a run next to
// another busy process says so.
// Targets are reported, not asserted: the exit code is 0 whether or not a target was met, and 1
// only when a benchmark could not run.
import { cpus, loadavg } from 'node:os';
import { apiKeys } from './api-keys.ts';
import { apiRequestBytes } from './api-request-bytes.ts';
import { auditAppend } from './audit-append-server.ts';
import { auditVerify } from './audit-verify.ts';
import { authenticatedRoute } from './authenticated-route.ts';
import { authzDecisions } from './authz-decisions.ts';
import { backup } from './backup.ts';
import { encryption } from './encryption.ts';
import { footprint } from './footprint.ts';
import { idleNode } from './idle-node.ts';
import { login } from './login.ts';
import { oauthTokens } from './oauth-tokens.ts';
import { openidTokens } from './openid-tokens.ts';
import { pointReadVariants } from './point-read-variants.ts';
import { pointRead } from './point-read.ts';
import { samlValidation } from './saml-validation.ts';
import { socketRoute } from './socket-route.ts';
import { startup } from './startup.ts';
import { throttle } from './throttle.ts';
import { userTokens } from './user-tokens.ts';
import { trustPages } from './trust-pages.ts';
import { table, type Benchmark, type Verdict } from './support.ts';

const BENCHMARKS: readonly Benchmark[] = [pointRead, authenticatedRoute, startup, pointReadVariants, authzDecisions, apiKeys, encryption, oauthTokens, userTokens, login, throttle, backup, trustPages, idleNode, footprint, socketRoute, auditAppend, auditVerify, openidTokens, apiRequestBytes, samlValidation];

const out = (line: string) => process.stdout.write(`${line}\n`);
const load = () => loadavg().map((n) => n.toFixed(2)).join(' ');

async function main(names: readonly string[]): Promise<number> {
  const unknown = names.filter((name) => !BENCHMARKS.some((b) => b.name === name));
  if (unknown.length > 0) {
    process.stderr.write(`Unknown benchmark ${unknown.join(', ')}; known: ${BENCHMARKS.map((b) => b.name).join(', ')}\n`);
    return 2;
  }
  const selected = names.length === 0 ? BENCHMARKS.filter((b) => b.onlyWhenNamed !== true) : BENCHMARKS.filter((b) => names.includes(b.name));
  out(`node ${process.version}, ${cpus().length} CPUs (${cpus()[0]?.model ?? 'unknown'}), ${new Date().toISOString()}`);
  const verdicts: Verdict[] = [];
  let failed = false;
  for (const bench of selected) {
    out('');
    out(`== ${bench.name}: ${bench.description}`);
    out(`load average before: ${load()}`);
    const started = performance.now();
    try {
      verdicts.push(...(await bench.run(out)));
    } catch (error) {
      failed = true;
      out(`${bench.name} failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
    }
    out(`(${((performance.now() - started) / 1000).toFixed(1)} s; load average after: ${load()})`);
  }
  out('');
  out('== summary');
  const verdictText = (met: boolean | undefined) => (met === undefined ? 'skipped' : met ? 'met' : 'MISSED');
  for (const line of table(['measure', 'value', 'target', ''], verdicts.map((v) => [v.measure, v.value, v.target, verdictText(v.met)]))) out(line);
  return failed ? 1 : 0;
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    process.stderr.write(`bench: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
    process.exitCode = 1;
  },
);
