// Tree sizes and leaf indexes are JavaScript numbers up to 2^53 - 1, so this arithmetic uses
// division and remainder rather than the bitwise operators, which truncate to 32 bits.

/** Whether `n` can be a tree size or leaf index: a non-negative safe integer. */
export function isTreeIndex(n: number): boolean {
  return Number.isSafeInteger(n) && n >= 0;
}

/** Whether `n` is a power of two (1, 2, 4, …). */
export function isPowerOfTwo(n: number): boolean {
  return n >= 1 && largestPowerOfTwoAtMost(n) === n;
}

/** The largest power of two that is at most `n` (`n` ≥ 1). */
export function largestPowerOfTwoAtMost(n: number): number {
  let power = 1;
  while (power * 2 <= n) power *= 2;
  return power;
}

/** RFC 9162 §2.1.1: `k`, the largest power of two smaller than `n` (`n` ≥ 2), where a tree splits. */
export function splitPoint(n: number): number {
  return largestPowerOfTwoAtMost(n - 1);
}

/** The number of set bits of `n`: how many perfect subtrees make up a tree of size `n`. */
export function countOnes(n: number): number {
  let count = 0;
  for (let rest = n; rest > 0; rest = Math.floor(rest / 2)) count += rest % 2;
  return count;
}

/** `n` shifted right by one bit, for `n` ≥ 0. */
export function half(n: number): number {
  return Math.floor(n / 2);
}
