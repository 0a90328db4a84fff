import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { MODULES } from '../../src/modules/index.ts';
import { AUDIT_OWN_ACTIONS, auditActions } from '../../src/modules/audit/index.ts';

test('docs/audit-log.md lists every declared audit action, and no other', () => {
  const doc = readFileSync(new URL('../../docs/audit-log.md', import.meta.url), 'utf8');
  const documented = new Set([...doc.matchAll(/^\| `([a-z_]+\.[a-z_]+)` \| [a-z-]+ \| /gm)].map((m) => m[1]!));
  assert.deepEqual([...documented].sort(), [...auditActions().keys()].sort(), 'regenerate the table: node --conditions=parapet-source scripts/audit-actions-doc.ts');
});

test('each audit action is declared by one module, in its manifest', () => {
  const owners = new Map<string, string>(Object.keys(AUDIT_OWN_ACTIONS).map((action) => [action, 'audit']));
  for (const module of MODULES) {
    if (module.name === 'audit') continue;
    for (const action of Object.keys(module.auditActions ?? {})) {
      assert.equal(owners.get(action), undefined, `${action} is declared by ${owners.get(action)} and ${module.name}`);
      owners.set(action, module.name);
    }
  }
  assert.deepEqual([...owners.keys()].sort(), [...auditActions().keys()].sort());
});
