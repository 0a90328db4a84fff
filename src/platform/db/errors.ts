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

/** True for a PostgreSQL foreign_key_violation (SQLSTATE 23503), from either driver. */
export function isForeignKeyViolation(error: unknown): boolean {
  return typeof error === 'object' && error !== null && (error as { code?: unknown }).code === '23503';
}

/** Runs `fn`, turning a foreign-key violation (the parent row is not there, or not the tenant's) into `not_found`. */
export async function notFoundOnMissingParent<T>(fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (error) {
    if (isForeignKeyViolation(error)) throw new AppError('not_found', { cause: error });
    throw error;
  }
}
