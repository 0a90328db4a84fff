import { startRuntime } from '../start.ts';
import type { Command } from './context.ts';
import { lockEmbeddedData, ServerHoldsData, servingPid } from './open-data.ts';

/** `parapet setup-link`: prints a fresh one-time setup link while no administrator exists. */
export const setupLink: Command = async ({ config, logger, out, err, pid, attached }) => {
  const issue = async (): Promise<string | undefined> => {
    if (attached !== undefined) return attached.issueSetupLink(config.publicUrl);
    const server = servingPid(config);
    if (server !== undefined && server !== pid) throw new ServerHoldsData(server);
    const lock = lockEmbeddedData(config, pid);
    try {
      const runtime = await startRuntime(config, logger);
      try {
        return await runtime.app.services.setup.issueLink(config.publicUrl);
      } finally {
        await runtime.close();
      }
    } finally {
      lock.release();
    }
  };
  const link = await issue();
  if (link === undefined) {
    err('Setup is complete: a platform administrator exists. Sign in at ' + `${config.publicUrl}/login`);
    return 1;
  }
  out(link);
  out('This link works once and expires in 1 hour; earlier links no longer work.');
  return 0;
};
