// Regenerates src/modules/identity/data/common-passwords.txt from two published lists:
// rockyou (data/75.txt, the passwords that occur 75+ times in the RockYou breach) and
// @zxcvbn-ts/language-common's `passwords-common`. Entries are lowercased, deduplicated, and kept
// only if at least 8 characters long (the shortest minimum Parapet allows), so every entry can
// actually block something. Run: node scripts/build-password-blocklist.ts
import { readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dictionary } from '@zxcvbn-ts/language-common';

const require = createRequire(import.meta.url);
const rockyouFile = require.resolve('rockyou/data/75.txt');
const rockyou = readFileSync(rockyouFile, 'utf8').split('\n');
const zxcvbn = (dictionary as Record<string, string[]>)['passwords-common'] ?? [];

const entries = new Set<string>();
for (const word of [...rockyou, ...zxcvbn]) {
  const normalized = word.trim().normalize('NFKC').toLowerCase();
  if (Array.from(normalized).length >= 8) entries.add(normalized);
}
const sorted = [...entries].sort();
const out = new URL('../src/modules/identity/data/common-passwords.txt', import.meta.url);
writeFileSync(out, `${sorted.join('\n')}\n`);
console.log(`rockyou: ${rockyou.length}, zxcvbn: ${zxcvbn.length}, kept (>= 8 chars, unique): ${sorted.length}`);
