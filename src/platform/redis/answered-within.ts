import { ParapetError } from '../errors.ts';

/** A Redis command got no answer within its deadline, on a connection that was up. */
export class RedisDeadlineError extends ParapetError {
  readonly code = 'redis_deadline';
  override readonly name = 'RedisDeadlineError';
}

/**
 * `command`'s answer, or `RedisDeadlineError` when none came within `ms`. The deadline is only
 * declared missed after the event loop has read the sockets once more: after a stall (a busy
 * process, a descheduled one) timers run before pending I/O is read, so a reply already waiting in
 * the socket would otherwise count as missing — ioredis's own `commandTimeout` works that way,
 * which is why the sign-in counters' connection does not use it.
 */
export function answeredWithin<T>(command: Promise<T>, ms: number): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    let settled = false;
    // setImmediate runs in the check phase, after the poll phase of the same loop iteration.
    const timer = setTimeout(() => {
      setImmediate(() => {
        if (settled) return;
        settled = true;
        reject(new RedisDeadlineError(`no answer from Redis within ${ms} ms`));
      });
    }, ms);
    command.then(
      (value) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        resolve(value);
      },
      (error: unknown) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        reject(error instanceof Error ? error : new Error(String(error)));
      },
    );
  });
}
