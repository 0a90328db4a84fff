import net from 'node:net';

/** A TCP proxy in front of a real server whose replies can be held back: a slow network, or a slow server, on demand. */
export interface SlowProxy {
  readonly port: number;
  /** Holds every reply chunk from now on `ms` before passing it on (0: at once), in order. */
  delayReplies(ms: number): void;
  close(): Promise<void>;
}

export async function startSlowProxy(target: { host: string; port: number }): Promise<SlowProxy> {
  let delayMs = 0;
  const sockets = new Set<net.Socket>();
  const server = net.createServer((client) => {
    const upstream = net.connect(target);
    sockets.add(client);
    sockets.add(upstream);
    // Replies keep their order: each chunk waits for the one before it.
    let queue = Promise.resolve();
    client.pipe(upstream);
    upstream.on('data', (chunk: Buffer) => {
      const wait = delayMs;
      queue = queue.then(async () => {
        if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
        if (!client.destroyed) client.write(chunk);
      });
    });
    const end = () => {
      client.destroy();
      upstream.destroy();
      sockets.delete(client);
      sockets.delete(upstream);
    };
    client.on('error', end).on('close', end);
    upstream.on('error', end).on('close', end);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('the proxy has no port');
  return {
    port: address.port,
    delayReplies: (ms) => {
      delayMs = ms;
    },
    close: async () => {
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => {
        server.close(() => {
          resolve();
        });
      });
    },
  };
}
