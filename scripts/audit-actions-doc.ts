// Rewrites the action table of docs/audit-log.md from the audit action catalogue (every module's audit-actions.ts):
// node --conditions=parapet-source scripts/audit-actions-doc.ts
import { readFileSync, writeFileSync } from 'node:fs';
import { MODULES } from '../src/modules/index.ts';
import { AUDIT_OWN_ACTIONS } from '../src/modules/audit/index.ts';
const rows: string[] = [];
const add = (module: string, actions: Record<string, string>) => { for (const [a, m] of Object.entries(actions)) rows.push(`| \`${a}\` | ${module} | ${m.replaceAll('|', '\\|')} |`); };
add('audit', AUDIT_OWN_ACTIONS);
for (const mod of MODULES) if (mod.name !== 'audit') add(mod.name, mod.auditActions ?? {});
const p = new URL('../docs/audit-log.md', import.meta.url);
const lines = readFileSync(p, 'utf8').split('\n');
let start = lines.indexOf('| action | module | meaning |'); if (start < 0) start = lines.indexOf('| action | meaning |'); if (start < 0) throw new Error('no table');
let end = start + 2; while (lines[end]?.startsWith('|')) end++;
lines.splice(start, end - start, '| action | module | meaning |', '| --- | --- | --- |', ...rows);
writeFileSync(p, lines.join('\n'));
