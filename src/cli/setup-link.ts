import { startRuntime } from '../start.ts';
import type { Command } from './context.ts';
import { lockEmbeddedData } from './open-data.ts';

/** `parapet setup-link`: prints a fresh one-time setup link while no administrator exists. */
export const setupLink: Command = async ({ config, logger, out, err, pid }) => {
  const lock = lockEmbeddedData(config, pid);
  const runtime = await startRuntime(config, logger);
  try {
    const link = await runtime.app.services.setup.issueLink(config.publicUrl);
    if (link === undefined) {
      err('Setup is complete: a platform administrator exists. Sign in at ' + `${config.publicUrl}/login`);
      return 1;
    }
    out(link);
    out('This link works once and expires in 1 hour; earlier links no longer work.');
    return 0;
  } finally {
    await runtime.close();
    lock.release();
  }
};
