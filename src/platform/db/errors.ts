import { AppError } from '../http/errors.ts';

/** True for a PostgreSQL unique_violation (SQLSTATE 23505), from either driver. */
export function isUniqueViolation(error: unknown): boolean {
  return typeof error === 'object' && error !== null && (error as { code?: unknown }).code === '23505';
}

/** Runs `fn`, turning a unique violation into `conflict` with `detail`. */
export async function conflictOnDuplicate<T>(detail: string, fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (error) {
    if (isUniqueViolation(error)) throw new AppError('conflict', { detail, cause: error });
    throw error;
  }
}
