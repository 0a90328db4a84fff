// Test-only: an in-process HTTPS receiver on 127.0.0.1 that records every request it gets.
import { createServer, type Server } from 'node:https';
import type { IncomingHttpHeaders, ServerResponse } from 'node:http';
import type { TestCertificates } from './tls-test-fixture.ts';

export interface ReceivedRequest {
  readonly method: string;
  readonly path: string;
  readonly headers: IncomingHttpHeaders;
  readonly body: string;
}

export interface WebhookReceiver {
  readonly url: string;
  readonly requests: ReceivedRequest[];
  /** How the next requests are answered (default: 204). */
  respond: (response: ServerResponse) => void;
  close(): Promise<void>;
}

export async function startWebhookReceiver(certs: TestCertificates, path = '/hooks/audit'): Promise<WebhookReceiver> {
  const requests: ReceivedRequest[] = [];
  const receiver: { respond: (response: ServerResponse) => void } = {
    respond: (response) => {
      response.writeHead(204).end();
    },
  };
  const server: Server = createServer({ cert: certs.certPem, key: certs.keyPem }, (request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      requests.push({ method: request.method ?? '', path: request.url ?? '', headers: request.headers, body: Buffer.concat(chunks).toString('utf8') });
      receiver.respond(response);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  const port = typeof address === 'object' && address !== null ? address.port : 0;
  return {
    url: `https://127.0.0.1:${port}${path}`,
    requests,
    get respond() {
      return receiver.respond;
    },
    set respond(fn) {
      receiver.respond = fn;
    },
    close: async () => {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => {
        resolve();
      }));
    },
  };
}
