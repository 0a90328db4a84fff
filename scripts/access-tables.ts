// Prints the permission catalogue and built-in roles tables of docs/access-control.md from the code
// (src/modules/access/permissions.ts). A test checks the page holds exactly these tables.
import { ALL_PERMISSIONS, BUILT_IN_ROLES, BUILT_IN_ROLE_KEYS, PERMISSIONS } from '../src/modules/access/index.ts';

const cell = (text: string) => text.replaceAll('|', '\\|');

export function accessTables(): string {
  const permissions = ['| Permission | Allows | Built-in roles holding it |', '| --- | --- | --- |'];
  for (const permission of ALL_PERMISSIONS) {
    const holders = BUILT_IN_ROLE_KEYS.filter((key) => BUILT_IN_ROLES[key].permissions.includes(permission)).map((key) => BUILT_IN_ROLES[key].name);
    permissions.push(`| \`${permission}\` | ${cell(PERMISSIONS[permission])} | ${holders.join(', ')} |`);
  }
  const roles = ['| Role (key) | Meaning | Permissions |', '| --- | --- | --- |'];
  for (const key of BUILT_IN_ROLE_KEYS) {
    const role = BUILT_IN_ROLES[key];
    const list = role.permissions.length === ALL_PERMISSIONS.length ? 'all' : role.permissions.map((p) => `\`${p}\``).join(' ');
    roles.push(`| ${role.name} (\`${key}\`) | ${cell(role.description)} | ${list} |`);
  }
  return `${roles.join('\n')}\n\n${permissions.join('\n')}`;
}

if (import.meta.main) process.stdout.write(`${accessTables()}\n`);
