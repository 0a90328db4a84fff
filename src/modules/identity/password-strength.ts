import { createRequire } from 'node:module';
import type * as Core from '@zxcvbn-ts/core';
import type { ZxcvbnFactory } from '@zxcvbn-ts/core';
import type * as Common from '@zxcvbn-ts/language-common';
import type * as English from '@zxcvbn-ts/language-en';

// The dictionaries are loaded on first use, not at start: importing them costs ~50 MB of resident
// memory and ~0.5 s of start-up (docs/benchmarks.md, "Start-up and memory"), and a node that never
// sees a new password never needs them. `require` keeps the estimate synchronous.
const require = createRequire(import.meta.url);

/** zxcvbn's verdict on a password: a score 0–4 and advice to show beside the password field. */
export interface PasswordStrength {
  /** 0 too guessable … 4 very unguessable (zxcvbn: < 10^3, 10^6, 10^8, 10^10, ≥ 10^10 guesses). */
  readonly score: 0 | 1 | 2 | 3 | 4;
  /** log10 of the estimated guesses an attacker needs. */
  readonly guessesLog10: number;
  readonly warning: string | null;
  readonly suggestions: readonly string[];
}

/** The score a new password needs by default (zxcvbn 3: "safely unguessable", ≥ 10^8 guesses). */
export const DEFAULT_PASSWORD_MIN_SCORE = 3;

let estimator: ZxcvbnFactory | undefined;

/** Loaded and built on first use: the dictionaries take ~0.5 s to load and index. */
function zxcvbn(): ZxcvbnFactory {
  if (estimator !== undefined) return estimator;
  const core = require('@zxcvbn-ts/core') as typeof Core;
  const common = require('@zxcvbn-ts/language-common') as typeof Common;
  const english = require('@zxcvbn-ts/language-en') as typeof English;
  estimator = new core.ZxcvbnFactory({
    dictionary: { ...common.dictionary, ...english.dictionary },
    graphs: common.adjacencyGraphs,
    translations: english.translations,
    // Nothing longer than the longest accepted password is ever estimated (bounded CPU).
    maxLength: 128,
  });
  return estimator;
}

/**
 * Estimates how guessable a password is with zxcvbn-ts (NIST SP 800-63B §3.1.1.2 recommends
 * offering guidance such as a strength meter). `userInputs` (email, name) count as known words.
 * Synchronous CPU work of a few milliseconds; callers bound the input length first.
 */
export function estimatePasswordStrength(password: string, userInputs: readonly string[] = []): PasswordStrength {
  const result = zxcvbn().check(password, [...userInputs]);
  return {
    score: result.score,
    guessesLog10: Math.round(result.guessesLog10 * 100) / 100,
    warning: result.feedback.warning,
    suggestions: [...result.feedback.suggestions],
  };
}
