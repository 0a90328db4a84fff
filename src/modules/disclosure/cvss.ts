import cvssCalculator from 'ae-cvss-calculator';
import { AppError } from '../../platform/http/errors.ts';
import type { Severity } from './disclosure-tables.ts';

const { Cvss3P1 } = cvssCalculator;

/** The metrics a CVSS 3.1 vector may name (specification §6), and the values each allows. */
const METRICS: Readonly<Record<string, RegExp>> = {
  AV: /^[NALP]$/, AC: /^[LH]$/, PR: /^[NLH]$/, UI: /^[NR]$/, S: /^[UC]$/, C: /^[HLN]$/, I: /^[HLN]$/, A: /^[HLN]$/,
  E: /^[XUPFH]$/, RL: /^[XOTWU]$/, RC: /^[XURC]$/,
  CR: /^[XLMH]$/, IR: /^[XLMH]$/, AR: /^[XLMH]$/,
  MAV: /^[XNALP]$/, MAC: /^[XLH]$/, MPR: /^[XNLH]$/, MUI: /^[XNR]$/, MS: /^[XUC]$/, MC: /^[XHLN]$/, MI: /^[XHLN]$/, MA: /^[XHLN]$/,
};
const BASE = ['AV', 'AC', 'PR', 'UI', 'S', 'C', 'I', 'A'];

export interface CvssResult {
  readonly vector: string;
  readonly baseScore: number;
  readonly severity: Severity;
}

/** CVSS 3.1 §5 qualitative severity rating scale. */
export function severityOf(score: number): Severity {
  if (score === 0) return 'none';
  if (score < 4) return 'low';
  if (score < 7) return 'medium';
  if (score < 9) return 'high';
  return 'critical';
}

/**
 * The base score of a CVSS 3.1 vector, computed by ae-cvss-calculator. The library accepts
 * partial and malformed vectors (it fills in `X`), so the syntax is checked here first: the
 * `CVSS:3.1/` prefix, each metric once with an allowed value, every base metric present.
 */
export function scoreCvss31(vector: string): CvssResult {
  const invalid = () => new AppError('invalid_cvss_vector');
  if (vector.length > 200 || !vector.startsWith('CVSS:3.1/')) throw invalid();
  const seen = new Set<string>();
  for (const part of vector.slice('CVSS:3.1/'.length).split('/')) {
    const [metric, value, extra] = part.split(':');
    if (metric === undefined || value === undefined || extra !== undefined) throw invalid();
    const allowed = METRICS[metric];
    if (allowed === undefined || !allowed.test(value) || seen.has(metric)) throw invalid();
    seen.add(metric);
  }
  if (!BASE.every((m) => seen.has(m))) throw invalid();
  const scores = new Cvss3P1(vector).calculateScores();
  const base = scores.base;
  if (typeof base !== 'number' || !Number.isFinite(base)) throw invalid();
  return { vector, baseScore: base, severity: severityOf(base) };
}
