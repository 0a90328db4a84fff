import { parseArgs } from 'node:util';
import type { DB } from '../database.ts';
import { createAuditRecorder } from '../modules/audit/index.ts';
import { createIncidents, type Incidents } from '../modules/incidents/incidents-service.ts';
import { systemClock } from '../platform/clock.ts';
import { readKeyring } from '../platform/crypto/keyring.ts';
import { systemRandom } from '../platform/crypto/random.ts';
import { createContextSigner, createTransactor } from '../platform/db/index.ts';
import { AppError } from '../platform/http/errors.ts';
import type { CliContext, Command } from './context.ts';
import { openOperatorData } from './open-data.ts';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const USAGE = `usage: parapet incidents list [--open] [--json]
       parapet incidents show <incident-id> [--json]`;

/** Opens the database the way the server does and the incidents service over it, read-only use. */
async function withIncidents(context: CliContext, fn: (incidents: Incidents) => Promise<number>): Promise<number> {
  const keyring = readKeyring(context.config.keyringPath);
  const { db, close } = await openOperatorData(context, { poolSize: 2 });
  try {
    const transactor = createTransactor<DB>(db.app, createContextSigner(keyring.derive('tenant-context-mac')));
    const incidents = createIncidents({
      transactor, clock: systemClock, random: systemRandom, audit: createAuditRecorder({ clock: systemClock, random: systemRandom }), logger: context.logger,
      // The CLI reads; raising alerts is the running server's (its clock leader).
      alerts: { raise: () => Promise.reject(new Error('the CLI raises no alerts')) }, alertOrganization: undefined, severities: context.config.incidentSeverities,
    });
    return await fn(incidents);
  } catch (error) {
    if (error instanceof AppError) {
      context.err(`${error.code}: ${error.message}`);
      return 1;
    }
    throw error;
  } finally {
    await close();
  }
}

function parse(context: CliContext): { values: { open?: boolean | undefined; json?: boolean | undefined }; positionals: string[] } | undefined {
  try {
    return parseArgs({ args: [...context.args], options: { open: { type: 'boolean' }, json: { type: 'boolean' } }, allowPositionals: true, strict: true });
  } catch (error) {
    context.err(`${(error as Error).message}\n${USAGE}`);
    return undefined;
  }
}

/** `parapet incidents list [--open] [--json]`: incidents, newest first, with phase, severity and the state of their clocks. */
export const incidentsList: Command = async (context) => {
  const args = parse(context);
  if (args === undefined || args.positionals.length > 0) {
    if (args !== undefined) context.err(USAGE);
    return 2;
  }
  return withIncidents(context, async (incidents) => {
    const rows = await incidents.list({ open: args.values.open === true });
    const clocks = await incidents.openClocks();
    const items = rows.map((i) => {
      const mine = clocks.filter((c) => c.incident_id === i.id);
      return { id: i.id, title: i.title, severity: i.severity, phase: i.phase, detected_at: i.detected_at.toISOString(), resolved_at: i.resolved_at?.toISOString() ?? null, overdue_clocks: mine.filter((c) => c.state === 'overdue').length, warning_clocks: mine.filter((c) => c.state === 'warning').length };
    });
    if (args.values.json === true) {
      context.out(JSON.stringify({ items }));
      return 0;
    }
    if (items.length === 0) context.out('  no incidents');
    // Titles are written by people: printed as JSON strings, so a control character cannot rewrite the terminal.
    for (const i of items) context.out(`  ${i.id}  ${i.severity.padEnd(9)} ${i.phase.padEnd(13)} ${i.resolved_at === null ? 'open    ' : 'resolved'}  overdue ${i.overdue_clocks}  warning ${i.warning_clocks}  ${JSON.stringify(i.title)}`);
    return 0;
  });
};

/** `parapet incidents show <id> [--json]`: one incident with its clocks (time left) and timeline. */
export const incidentsShow: Command = async (context) => {
  const args = parse(context);
  const id = args?.positionals[0];
  if (args === undefined || id === undefined || args.positionals.length !== 1 || !UUID.test(id) || args.values.open !== undefined) {
    if (args !== undefined) context.err(USAGE);
    return 2;
  }
  return withIncidents(context, async (incidents) => {
    const { incident, entries, clocks } = await incidents.get(id.toLowerCase());
    if (args.values.json === true) {
      context.out(JSON.stringify({ incident, clocks, timeline: entries }));
      return 0;
    }
    context.out(`  ${JSON.stringify(incident.title)}  ${incident.severity}, ${incident.phase}, ${incident.resolved_at === null ? 'open' : `resolved ${incident.resolved_at.toISOString()}`}`);
    context.out('  clocks:');
    for (const c of clocks) context.out(`    ${c.clock.padEnd(24)} due ${c.due_at}  ${c.state}${c.seconds_left === null ? '' : ` (${c.seconds_left} s)`}`);
    context.out('  timeline:');
    for (const e of entries) context.out(`    ${e.created_at.toISOString()}  ${e.kind.padEnd(13)} ${JSON.stringify(e.body)}`);
    return 0;
  });
};
