import { describeConfig } from '../config/index.ts';
import type { Command } from './context.ts';

/** `parapet config check`: the effective configuration, secrets masked. Invalid config never gets here. */
export const configCheck: Command = async ({ config, out }) => {
  const rows = describeConfig(config);
  const width = Math.max(...rows.map((row) => row.env.length));
  for (const row of rows) out(`${row.env.padEnd(width)}  ${row.value}`);
  out('');
  out('Configuration is valid.');
  return 0;
};
