/**
 * Server-rendered HTML for public pages (trust center, status page, disclosure policy, hosted
 * sign-in) and mail: one escaper and one tagged template, so reporter- or admin-supplied text is
 * never rendered as markup. Pages work without script; the site-wide CSP (security-headers.ts)
 * forbids inline script and style, so pages link `/_pages/pages.css`-style stylesheets instead.
 */

/** Escapes text for an HTML element or a quoted attribute value. */
export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

/** Markup that is already safe: produced by `html` or built from escaped parts. */
export class SafeHtml {
  readonly value: string;
  constructor(value: string) {
    this.value = value;
  }
  toString(): string {
    return this.value;
  }
}

type Interpolation = SafeHtml | string | number | boolean | null | undefined | readonly Interpolation[];

function render(value: Interpolation): string {
  if (value === null || value === undefined || value === false) return '';
  if (value instanceof SafeHtml) return value.value;
  if (Array.isArray(value)) return (value as readonly Interpolation[]).map(render).join('');
  return escapeHtml(String(value));
}

/**
 * Tagged template: every interpolated value is escaped unless it is `SafeHtml` (the result of
 * another `html` call); arrays are joined; `null`, `undefined` and `false` render nothing.
 */
export function html(strings: TemplateStringsArray, ...values: readonly Interpolation[]): SafeHtml {
  let out = strings[0] ?? '';
  for (let i = 0; i < values.length; i++) out += render(values[i]) + (strings[i + 1] ?? '');
  return new SafeHtml(out);
}

/** A complete document: language, title, optional stylesheets, the body. */
export function htmlDocument(page: { readonly title: string; readonly lang?: string; readonly stylesheets?: readonly string[]; readonly head?: SafeHtml; readonly body: SafeHtml }): string {
  return html`<!doctype html>
<html lang="${page.lang ?? 'en'}">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${page.title}</title>
${(page.stylesheets ?? []).map((href) => html`<link rel="stylesheet" href="${href}">`)}
${page.head}
</head>
<body>
${page.body}
</body>
</html>
`.value;
}
