// Prints the README's configuration table from the option catalogue (src/config/catalogue.ts: the
// platform's options and every module's).
// A test checks the README holds exactly this table, so the two cannot drift apart.
import { allOptions } from '../src/config/index.ts';

const cell = (text: string) => text.replaceAll('|', '\\|');

export function configTable(): string {
  const rows = allOptions().map((o) => {
    const secret = 'secret' in o && o.secret ? ' *Secret: masked when printed.*' : '';
    return `| \`${o.env}\` | \`${o.key}\` | \`${cell(o.defaultText)}\` | ${cell(o.description)}${secret} |`;
  });
  return ['| Environment variable | Config file key | Default | Meaning |', '| --- | --- | --- | --- |', ...rows].join('\n');
}

if (import.meta.main) process.stdout.write(`${configTable()}\n`);
