// Sign-in (docs/identity.md): password, then the second factor the account has (authenticator app
// code, recovery code or passkey), or a passwordless passkey sign-in; then, if an organization
// requires a second factor the account lacks, enrolment (enrol.js) before the console.
import { postJson } from '/assets/api.js';
import { startEnrolment } from '/assets/enrol.js';
import { once, say, showStep } from '/assets/steps.js';
import { ceremonyMessage, getAssertion, passkeysSupported } from '/assets/webauthn.js';

const $ = (id) => document.getElementById(id);
if (new URLSearchParams(location.search).get('setup') === 'done') $('notice').textContent = 'Administrator created. Sign in to continue.';

/** Where a completed sign-in goes: enrolment first when an organization requires it, else the console. */
function signedIn(answer) {
  const required = answer?.mfa_enrolment_required;
  if (Array.isArray(required) && required.length > 0) return startEnrolment(required);
  location.assign('/console');
}

/** Back to the password: the pending sign-in expired, was used, or died after too many wrong codes. */
function startOver(text) {
  $('second-factor').reset();
  showStep('login');
  say(text);
  $('password').focus();
}

function refused(result) {
  if (result.code === 'mfa_pending_invalid') return startOver(result.message);
  say(result.message);
}

$('login').addEventListener('submit', (event) => {
  event.preventDefault();
  void once(async () => {
    say('');
    const data = new FormData($('login'));
    const result = await postJson('/api/v1/auth/login', { email: data.get('email'), password: data.get('password') });
    // The organization requires single sign-on for this address (docs/sso.md): go to its IdP.
    if (!result.ok && result.code === 'sso_required' && (await startSso(String(data.get('email'))))) return undefined;
    if (!result.ok) return say(result.message);
    $('password').value = '';
    if (result.body.mfa_required === true) return askSecondFactor(result.body.methods);
    return signedIn(result.body);
  });
});

// ---- second factor -------------------------------------------------------------------------
let methods = [];
let method = 'totp';

function askSecondFactor(offered) {
  methods = Array.isArray(offered) ? offered : [];
  const passkey = methods.includes('webauthn') && passkeysSupported();
  const codes = methods.includes('totp') || methods.includes('recovery_code');
  $('use-passkey').hidden = !passkey;
  $('use-recovery').hidden = true;
  $('use-totp').hidden = true;
  // A passkey-only account has no code to type; the (required) code field must not block the page.
  $('code-fields').hidden = !codes;
  $('code').disabled = !codes;
  showStep('second-factor');
  if (codes) useMethod(methods.includes('totp') ? 'totp' : 'recovery_code');
  else $('factor-intro').textContent = passkey ? 'Confirm with your passkey or security key.' : 'This browser cannot use the second factor this account has. Use a browser that supports passkeys.';
}

/** Switches the code field between an authenticator app's code and a recovery code. */
function useMethod(next) {
  method = next;
  const totp = next === 'totp';
  const code = $('code');
  $('factor-intro').textContent = totp
    ? 'Enter the 6-digit code your authenticator app shows now.'
    : 'Enter one of the recovery codes you stored when you set up your second factor. Each code works once.';
  $('code-label').textContent = totp ? 'Code from the app' : 'Recovery code';
  code.inputMode = totp ? 'numeric' : 'text';
  code.autocomplete = totp ? 'one-time-code' : 'off';
  code.placeholder = totp ? '' : 'XXXX-XXXX-XXXX-XXXX';
  code.value = '';
  $('use-recovery').hidden = !totp || !methods.includes('recovery_code');
  $('use-totp').hidden = totp || !methods.includes('totp');
  code.focus();
}

async function verify(proof) {
  const result = await postJson('/api/v1/auth/mfa/verify', proof);
  if (result.ok) return signedIn(result.body);
  $('code').value = '';
  return refused(result);
}

$('second-factor').addEventListener('submit', (event) => {
  event.preventDefault();
  void once(async () => {
    say('');
    const typed = $('code').value.trim();
    // Authenticator apps show "123 456"; recovery codes keep their dashes (the server ignores them).
    await verify({ method, code: method === 'totp' ? typed.replace(/\s+/g, '') : typed });
  });
});
$('use-recovery').addEventListener('click', () => useMethod('recovery_code'));
$('use-totp').addEventListener('click', () => useMethod('totp'));
$('start-over').addEventListener('click', () => startOver(''));

/** The request options in a challenge answer (`{ options }`). */
function factorOptions(answer) {
  return answer?.options;
}

$('use-passkey').addEventListener('click', () =>
  once(async () => {
    say('');
    const challenge = await postJson('/api/v1/auth/mfa/challenge', { method: 'webauthn' });
    if (!challenge.ok) return refused(challenge);
    let response;
    try {
      response = await getAssertion(factorOptions(challenge.body));
    } catch (error) {
      return say(ceremonyMessage(error));
    }
    return verify({ method: 'webauthn', response });
  }),
);

// ---- forgotten password: the answer is the same whether or not the address has an account
$('forgot').addEventListener('click', () => {
  say('');
  $('forgot-email').value = $('email').value;
  showStep('forgot-password');
  $('forgot-email').focus();
});
$('forgot-back').addEventListener('click', () => {
  showStep('login');
  $('email').focus();
});
$('forgot-password').addEventListener('submit', (event) => {
  event.preventDefault();
  void once(async () => {
    say('');
    const result = await postJson('/api/v1/auth/password/reset/request', { email: $('forgot-email').value.trim() });
    if (!result.ok) return say(result.message);
    showStep('login');
    $('notice').textContent = 'If this address has an account, a reset link is on its way. Check your mail (and the spam folder); the link works once.';
  });
});

// ---- passwordless ----------------------------------------------------------------------------
$('passkey-sign-in').hidden = !passkeysSupported();
$('passkey-sign-in').addEventListener('click', () =>
  once(async () => {
    say('');
    // The options set a ceremony cookie: only this browser can answer them (docs/identity.md).
    const options = await postJson('/api/v1/auth/passkeys/authentication/options');
    if (!options.ok) return say(options.message);
    let response;
    try {
      response = await getAssertion(options.body);
    } catch (error) {
      return say(ceremonyMessage(error));
    }
    const result = await postJson('/api/v1/auth/passkeys/authentication/verify', { response });
    if (!result.ok) return say(result.message);
    return signedIn(result.body);
  }),
);

// ---- single sign-on (docs/sso.md) ----------------------------------------------------------
/** Goes to the IdP of the organization that verified the address's domain; false when there is none. */
async function startSso(email) {
  let answer;
  try {
    const response = await fetch(`/api/v1/sso/lookup?email=${encodeURIComponent(email)}`);
    answer = response.ok ? await response.json() : null;
  } catch {
    answer = null;
  }
  if (answer?.sso !== true || typeof answer.start_url !== 'string' || !answer.start_url.startsWith('/sso/')) return false;
  location.assign(answer.start_url);
  return true;
}

$('sso-sign-in').addEventListener('click', () =>
  once(async () => {
    say('');
    const email = $('email').value.trim();
    if (email === '' || !$('email').checkValidity()) return say('Enter your work email address first.');
    if (!(await startSso(email))) say('No organization has single sign-on for this email domain. Sign in with your password.');
    return undefined;
  }),
);
