import cvssCalculator from 'ae-cvss-calculator';
import { AppError } from '../../platform/http/errors.ts';
import type { Severity } from './disclosure-tables.ts';

const { Cvss3P1, Cvss4P0 } = cvssCalculator;

/** The metrics a CVSS 3.1 vector may name (specification §6), and the values each allows. */
const METRICS: Readonly<Record<string, RegExp>> = {
  AV: /^[NALP]$/, AC: /^[LH]$/, PR: /^[NLH]$/, UI: /^[NR]$/, S: /^[UC]$/, C: /^[HLN]$/, I: /^[HLN]$/, A: /^[HLN]$/,
  E: /^[XUPFH]$/, RL: /^[XOTWU]$/, RC: /^[XURC]$/,
  CR: /^[XLMH]$/, IR: /^[XLMH]$/, AR: /^[XLMH]$/,
  MAV: /^[XNALP]$/, MAC: /^[XLH]$/, MPR: /^[XNLH]$/, MUI: /^[XNR]$/, MS: /^[XUC]$/, MC: /^[XHLN]$/, MI: /^[XHLN]$/, MA: /^[XHLN]$/,
};
const BASE = ['AV', 'AC', 'PR', 'UI', 'S', 'C', 'I', 'A'];

/** The metrics a CVSS 4.0 vector may name (specification §2–§4, base, threat, environmental, supplemental). */
const METRICS_40: Readonly<Record<string, RegExp>> = {
  AV: /^[NALP]$/, AC: /^[LH]$/, AT: /^[NP]$/, PR: /^[NLH]$/, UI: /^[NPA]$/, VC: /^[HLN]$/, VI: /^[HLN]$/, VA: /^[HLN]$/, SC: /^[HLN]$/, SI: /^[HLN]$/, SA: /^[HLN]$/,
  E: /^[XAPU]$/,
  CR: /^[XHML]$/, IR: /^[XHML]$/, AR: /^[XHML]$/, MAV: /^[XNALP]$/, MAC: /^[XLH]$/, MAT: /^[XNP]$/, MPR: /^[XNLH]$/, MUI: /^[XNPA]$/,
  MVC: /^[XHLN]$/, MVI: /^[XHLN]$/, MVA: /^[XHLN]$/, MSC: /^[XHLN]$/, MSI: /^[XSHLN]$/, MSA: /^[XSHLN]$/,
  S: /^[XNP]$/, AU: /^[XNY]$/, R: /^[XAUI]$/, V: /^[XDC]$/, RE: /^[XLMH]$/, U: /^(X|Clear|Green|Amber|Red)$/,
};
const BASE_40 = ['AV', 'AC', 'AT', 'PR', 'UI', 'VC', 'VI', 'VA', 'SC', 'SI', 'SA'];

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
  checkSyntax(vector, 'CVSS:3.1/', METRICS, BASE);
  const scores = new Cvss3P1(vector).calculateScores();
  const base = scores.base;
  if (typeof base !== 'number' || !Number.isFinite(base)) throw invalid();
  return { vector, baseScore: base, severity: severityOf(base) };
}

/** The prefix, each metric once with an allowed value, every base metric present; else `invalid_cvss_vector`. */
function checkSyntax(vector: string, prefix: string, metrics: Readonly<Record<string, RegExp>>, base: readonly string[]): void {
  const invalid = () => new AppError('invalid_cvss_vector');
  if (vector.length > 200 || !vector.startsWith(prefix)) throw invalid();
  const seen = new Set<string>();
  for (const part of vector.slice(prefix.length).split('/')) {
    const [metric, value, extra] = part.split(':');
    if (metric === undefined || value === undefined || extra !== undefined) throw invalid();
    const allowed = Object.hasOwn(metrics, metric) ? metrics[metric] : undefined;
    if (allowed === undefined || !allowed.test(value) || seen.has(metric)) throw invalid();
    seen.add(metric);
  }
  if (!base.every((m) => seen.has(m))) throw invalid();
}

/**
 * The score of a CVSS 4.0 vector (CVSS-B, -BT, -BE or -BTE by the metrics it names), computed by
 * ae-cvss-calculator's `Cvss4P0`, after the same syntax check as 3.1. The 4.0 rating scale is the
 * 3.1 one (specification §6).
 */
export function scoreCvss40(vector: string): CvssResult {
  checkSyntax(vector, 'CVSS:4.0/', METRICS_40, BASE_40);
  const score = new Cvss4P0(vector).calculateScores().overall;
  if (typeof score !== 'number' || !Number.isFinite(score)) throw new AppError('invalid_cvss_vector');
  return { vector, baseScore: score, severity: severityOf(score) };
}

/** A CVSS 3.1 or 4.0 vector's score, by its prefix. */
export function scoreCvss(vector: string): CvssResult {
  return vector.startsWith('CVSS:4.0/') ? scoreCvss40(vector) : scoreCvss31(vector);
}
