// Characters a spreadsheet may read as the start of a formula (OWASP "CSV Injection"): = + - @,
// tab and carriage return, line feed, and the full-width forms some spreadsheets fold to ASCII.
const FORMULA_START = /^[=+\-@\t\r\n\uFF1D\uFF0B\uFF0D\uFF20]/;

/**
 * One RFC 4180 field. A value that a spreadsheet could run as a formula is prefixed with `'`
 * (CSV injection), and a field holding a quote, comma or line break is quoted, quotes doubled.
 * `null` and `undefined` are empty fields.
 */
export function csvField(value: string | number | null | undefined): string {
  if (value === null || value === undefined) return '';
  let text = String(value);
  if (FORMULA_START.test(text)) text = `'${text}`;
  return /[",\r\n]/.test(text) ? `"${text.replaceAll('"', '""')}"` : text;
}

/** One CSV record (RFC 4180): the fields, each through `csvField`, joined by commas and ended by CRLF. */
export function csvLine(fields: readonly (string | number | null | undefined)[]): string {
  return `${fields.map(csvField).join(',')}\r\n`;
}
