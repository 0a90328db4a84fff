import { timingSafeEqual } from 'node:crypto';

/** Whether two byte strings are identical; the comparison time does not depend on where they differ. */
export function equalBytes(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && timingSafeEqual(a, b);
}
