// Building blocks of the console pages. Every user-controlled string reaches the page as a text
// node or an attribute value (never innerHTML), so a name like "<script>" is shown as text.
import { problemMessage } from '/assets/api.js';

/** An element: `h('button', { type: 'button', onclick }, 'Save')`; strings become text nodes. */
export function h(tag, props = {}, ...children) {
  const element = document.createElement(tag);
  for (const [key, value] of Object.entries(props ?? {})) {
    if (value === undefined || value === null || value === false) continue;
    if (key.startsWith('on') && typeof value === 'function') element.addEventListener(key.slice(2), value);
    else if (key === 'className') element.className = value;
    else if (value === true) element.setAttribute(key, '');
    else element.setAttribute(key, String(value));
  }
  for (const child of children.flat()) {
    if (child === undefined || child === null || child === false) continue;
    element.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return element;
}

/** A refused request: its problem `code`, HTTP status and the words to show (title and detail). */
export class ApiError extends Error {
  constructor(status, code, message) {
    super(message);
    this.status = status;
    this.code = code;
  }
}

const PASSWORD_CHECKS = ['/api/v1/auth/password/change', '/api/v1/auth/reauthenticate', '/api/v1/auth/email/change'];

/** JSON request of the console; a 401 goes back to sign-in; failures throw ApiError with the problem's title. */
export async function api(path, { method = 'GET', body } = {}) {
  let response;
  try {
    response = await fetch(path, { method, headers: body === undefined ? {} : { 'content-type': 'application/json' }, ...(body === undefined ? {} : { body: JSON.stringify(body) }) });
  } catch {
    throw new ApiError(0, 'network_error', 'Parapet could not be reached. Check the connection and try again.');
  }
  // A wrong current password answers 401 too: that is a refusal to show, not a signed-out session.
  if (response.status === 401 && !PASSWORD_CHECKS.includes(path)) {
    location.assign('/login');
    throw new ApiError(401, 'unauthenticated', 'Signed out.');
  }
  const parsed = response.status === 204 ? null : await response.json().catch(() => null);
  if (!response.ok) throw new ApiError(response.status, parsed?.code ?? 'unknown', problemMessage(parsed, response.headers.get('retry-after')));
  return parsed;
}

/** What to tell a person about a refusal: the problem's words, plus what to do next for the codes that have a next step. */
export function explain(error) {
  const text = error?.message ?? 'That did not work.';
  switch (error?.code) {
    case 'mfa_required':
      return `${text} This organization requires a second factor. Set up an authenticator app or a passkey on your Account page, then sign out and sign in again with it.`;
    case 'reauthentication_required':
      return `${text} Confirm your password in the "Confirm it is you" box on the Account page (or sign out and in again), then retry.`;
    case 'policy_would_lock_you_out':
      return `${text} Saving it would refuse the session you are using now: your sign-in does not use a second factor the policy accepts, or your address is outside the allowlist. Set up and sign in with an accepted factor, or add your address, then save again.`;
    case 'mfa_method_not_allowed':
      return `${text} Sign out, then sign in with a second factor this organization accepts (see its security policy), setting it up on your Account page first if needed.`;
    case 'ip_not_allowed':
      return `${text} Your address is outside this organization's allowlist. Ask an administrator, or connect from an allowed network.`;
    case 'organization_pending_deletion':
      return `${text} The organization is scheduled for deletion and read-only until then. To change it again, cancel the deletion on its "Data and deletion" tab.`;
    case 'risky_write_disabled':
      return `${text} Deleting is disabled in this organization. An administrator can allow it with a second administrator's approval under "Risky writes" on the "Data and deletion" tab.`;
    default:
      return text;
  }
}

const message = () => document.getElementById('message');
/** Shows `text` in the page's alert line (announced by screen readers); '' clears it. */
export function say(text, ok = false) {
  const line = message();
  line.textContent = text;
  line.className = ok ? 'ok' : 'error';
}

/** Runs `work` and shows a refusal as words, never as raw JSON. */
export async function attempt(work) {
  try {
    say('');
    return await work();
  } catch (error) {
    say(explain(error));
    return undefined;
  }
}

/** A labelled field: `field('Name', h('input', { id: 'x', name: 'name' }))`. */
export function field(label, input, hint) {
  return h('div', { className: 'field' }, h('label', { for: input.id }, label, hint ? h('small', {}, ` ${hint}`) : null), input);
}

/** A form whose submit runs `onSubmit(FormData)`; one request at a time. */
export function form(props, children, onSubmit) {
  let busy = false;
  const element = h('form', props, ...children);
  element.addEventListener('submit', (event) => {
    event.preventDefault();
    if (busy) return;
    busy = true;
    void attempt(() => onSubmit(new FormData(element), element)).finally(() => {
      busy = false;
    });
  });
  return element;
}

/** A table with a caption, headers and rows of cells (nodes or text). */
export function table(caption, headers, rows, props = {}) {
  return h(
    'table',
    props,
    h('caption', {}, caption),
    h('thead', {}, h('tr', {}, headers.map((name) => h('th', { scope: 'col' }, name)))),
    h('tbody', {}, rows.length === 0 ? h('tr', {}, h('td', { colspan: headers.length }, 'None yet.')) : rows.map((cells) => h('tr', {}, cells.map((cell) => h('td', {}, cell))))),
  );
}

/** A date for people; '—' for none. */
export function when(iso) {
  return iso ? new Date(iso).toLocaleString() : '—';
}

/** Copies `text` to the clipboard and says so. */
export function copyButton(text, label = 'Copy') {
  return h('button', { type: 'button', className: 'secondary', onclick: async () => {
    try { await navigator.clipboard.writeText(text); say('Copied.', true); } catch { say('The browser did not allow copying: select the text and copy it.'); }
  } }, label);
}

/** Asks before a destructive action (a native dialog: keyboard and screen-reader friendly). */
export function confirmed(question) {
  return window.confirm(question);
}

let router = async () => {};
/** console.js registers the function that draws the current view. */
export function setRouter(fn) {
  router = fn;
}
/** Draws the current view again (after a change); resolves when it is on the page. */
export function refresh() {
  return router();
}
