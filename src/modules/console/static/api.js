// JSON requests of the sign-in pages. Failures are RFC 9457 problem documents: users see their
// title and detail, never the raw JSON; callers switch on `code` (src/platform/http/errors.ts).

/** The text to show for a problem answer (title, detail, and when to retry). */
export function problemMessage(problem, retryAfter) {
  const title = typeof problem?.title === 'string' ? problem.title : 'That did not work.';
  const detail = typeof problem?.detail === 'string' && problem.detail !== title ? problem.detail : '';
  const parts = [title.replace(/\.?$/, '.'), detail];
  // too_many_attempts says when in its detail; Retry-After (RFC 9110 §10.2.3) covers the others.
  if (retryAfter !== null && /^\d+$/.test(retryAfter) && !/try again/i.test(detail)) parts.push(`Try again in ${retryAfter} s.`);
  return parts.filter(Boolean).join(' ');
}

/** POSTs `body` as JSON: `{ ok: true, status, body }`, or `{ ok: false, status, code, message }`. */
export async function postJson(path, body) {
  let response;
  try {
    response = await fetch(path, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body ?? {}) });
  } catch {
    return { ok: false, status: 0, code: 'network_error', message: 'Parapet could not be reached. Check the connection and try again.' };
  }
  const parsed = await response.json().catch(() => null);
  if (response.ok) return { ok: true, status: response.status, body: parsed };
  return { ok: false, status: response.status, code: parsed?.code ?? 'unknown', message: problemMessage(parsed, response.headers.get('retry-after')) };
}
