// Test support: a relying party's back-channel logout endpoint on loopback (a real HTTP listener).
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import { freePort } from '../../../test/support/ports.ts';

/** A relying party's back-channel logout endpoint: records every logout_token it is sent. */
export class Receiver {
  readonly tokens: string[] = [];
  /** The User-Agent of each delivery (Parapet's outbox names itself). */
  readonly agents: string[] = [];
  /** Answers 503 to this many requests first (to see retries). */
  failNext = 0;
  #server: Server | undefined;
  #waiters: (() => void)[] = [];
  port = 0;

  async start(port?: number): Promise<void> {
    this.port = port ?? (await freePort());
    this.#server = createServer((req, res) => {
      let body = '';
      req.on('data', (chunk: Buffer) => (body += chunk.toString('utf8')));
      req.on('end', () => {
        if (this.failNext > 0) {
          this.failNext--;
          res.writeHead(503).end();
          return;
        }
        assert.equal(req.headers['content-type'], 'application/x-www-form-urlencoded');
        const token = new URLSearchParams(body).get('logout_token');
        if (token !== null) this.tokens.push(token);
        this.agents.push(req.headers['user-agent'] ?? '');
        res.writeHead(200, { 'cache-control': 'no-store' }).end();
        for (const wake of this.#waiters.splice(0)) wake();
      });
    });
    await new Promise<void>((resolve) => this.#server?.listen(this.port, '127.0.0.1', resolve));
  }

  get uri(): string {
    return `http://127.0.0.1:${this.port}/backchannel-logout`;
  }

  /** Resolves when `count` tokens have arrived (or fails after `ms`). */
  async waitFor(count: number, ms = 10_000): Promise<void> {
    const deadline = Date.now() + ms;
    while (this.tokens.length < count) {
      const left = deadline - Date.now();
      assert.ok(left > 0, `expected ${count} logout token(s), got ${this.tokens.length}`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left);
        this.#waiters.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
  }

  async close(): Promise<void> {
    await new Promise<void>((resolve) => this.#server?.close(() => { resolve(); }));
  }
}
