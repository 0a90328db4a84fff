import { ZxcvbnFactory } from '@zxcvbn-ts/core';
import * as common from '@zxcvbn-ts/language-common';
import * as english from '@zxcvbn-ts/language-en';

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

/** Built on first use: the dictionaries take ~0.2 s to index. */
function zxcvbn(): ZxcvbnFactory {
  estimator ??= new ZxcvbnFactory({
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
