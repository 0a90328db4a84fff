import { randomUUID } from 'node:crypto';
import { STATUS_CODES, type IncomingMessage, type ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import type { FastifyBaseLogger } from 'fastify';
import { AppError, toProblem, type ErrorCode } from './errors.ts';

/** What Node's HTTP parser reports, as a stable problem code; anything else is a 400. */
const CLIENT_ERROR_CODES: Readonly<Record<string, ErrorCode>> = {
  HPE_HEADER_OVERFLOW: 'headers_too_large',
  ERR_HTTP_REQUEST_TIMEOUT: 'request_timeout',
  ERR_HTTP_HEADERS_TIMEOUT: 'request_timeout',
};

/** The head and body of a problem+json answer written outside Fastify; it carries nothing the client sent. */
function rawProblem(code: ErrorCode, headers: Readonly<Record<string, string>>): { status: number; headers: Record<string, string>; body: string } {
  const requestId = randomUUID();
  const body = JSON.stringify(toProblem(new AppError(code), requestId));
  return {
    status: new AppError(code).status,
    headers: { ...headers, 'content-type': 'application/problem+json; charset=utf-8', 'content-length': String(Buffer.byteLength(body)), 'cache-control': 'no-store', 'x-request-id': requestId, connection: 'close' },
    body,
  };
}

/**
 * Node's `clientError`: the request could not be parsed (bad framing or content-length, a bad
 * method, headers over the size limit) or did not arrive in time. Node would answer an empty 400
 * or 431 and Fastify a plain JSON one; this answers RFC 9457 problem+json with a stable code and
 * closes the connection. Nothing of the request is echoed.
 */
export function createClientErrorHandler(deps: { logger: Pick<FastifyBaseLogger, 'debug'>; headers: Readonly<Record<string, string>> }): (error: Error & { code?: string }, socket: Socket) => void {
  return (error, socket) => {
    if (error.code === 'ECONNRESET' || socket.destroyed) return;
    const code = CLIENT_ERROR_CODES[error.code ?? ''] ?? 'invalid_request';
    deps.logger.debug({ code, parser: error.code }, 'client error');
    // A response already under way on this connection cannot be followed by another one.
    const inFlight = (socket as Socket & { _httpMessage?: { headersSent?: boolean } })._httpMessage;
    if (socket.writable && inFlight?.headersSent !== true) {
      const problem = rawProblem(code, deps.headers);
      const head = Object.entries(problem.headers).map(([name, value]) => `${name}: ${value}\r\n`).join('');
      socket.end(`HTTP/1.1 ${problem.status} ${STATUS_CODES[problem.status] ?? ''}\r\n${head}\r\n${problem.body}`, () => {
        socket.destroy();
      });
      return;
    }
    socket.destroy();
  };
}

/** Node's `checkExpectation`: an `Expect` other than `100-continue` (RFC 9110 §10.1.1) gets a 417 problem. */
export function answerUnsupportedExpectation(headers: Readonly<Record<string, string>>): (request: IncomingMessage, response: ServerResponse) => void {
  return (_request, response) => {
    const problem = rawProblem('expectation_failed', headers);
    response.writeHead(problem.status, problem.headers);
    response.end(problem.body);
  };
}
