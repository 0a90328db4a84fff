// Forced enrolment (docs/identity.md "Forced enrolment"): an organization of the user requires a
// second factor they lack. The session is password-only and that organization refuses it until a
// factor is confirmed; confirming the first factor replaces the session with one that counts as
// MFA (session_upgraded). Enrolment needs a recent sign-in, which the user has just done.
import { postJson } from '/assets/api.js';
import { once, say, showStep } from '/assets/steps.js';
import { ceremonyMessage, createCredential, passkeysSupported } from '/assets/webauthn.js';

const $ = (id) => document.getElementById(id);
const LABELS = { totp: 'an authenticator app', webauthn: 'a passkey or security key' };

function item(text) {
  const li = document.createElement('li');
  li.textContent = text;
  return li;
}

/** Names of the user's organizations; ids stay as they are if the list cannot be read. */
async function organizationNames() {
  const response = await fetch('/api/v1/organizations').catch(() => null);
  if (response === null || !response.ok) return new Map();
  const page = await response.json().catch(() => ({ items: [] }));
  return new Map((page.items ?? []).map((org) => [org.id, org.name]));
}

/** Shows the enrolment step for `requirements` ([{ organization_id, methods }]). */
export async function startEnrolment(requirements) {
  const accepted = new Set(requirements.flatMap((r) => r.methods));
  $('enrol-totp').hidden = !accepted.has('totp');
  $('enrol-passkey').hidden = !accepted.has('webauthn') || !passkeysSupported();
  $('totp-setup').hidden = true;
  $('passkey-setup').hidden = true;
  showStep('enrol');
  say(!accepted.has('totp') && !passkeysSupported() ? 'A passkey is required, and this browser cannot create one here. Use a browser that supports passkeys.' : '');
  const names = await organizationNames();
  $('enrol-organizations').replaceChildren(
    ...requirements.map((r) => item(`${names.get(r.organization_id) ?? r.organization_id}: ${r.methods.map((m) => LABELS[m] ?? m).join(' or ')}`)),
  );
}

/** A refusal during enrolment; a sign-in too old to enrol (or gone) needs the password again. */
function failed(result) {
  if (result.code === 'reauthentication_required' || result.code === 'unauthenticated') {
    showStep('login');
    return say('Your sign-in is too old to set up a second factor. Sign in again.');
  }
  return say(result.message);
}

$('enrol-totp').addEventListener('click', () =>
  once(async () => {
    say('');
    const started = await postJson('/api/v1/auth/mfa/totp');
    if (!started.ok) return failed(started);
    const { secret, otpauth_uri: uri } = started.body;
    // Groups of four are easier to type into an app; apps ignore the spaces.
    $('totp-secret').textContent = secret.match(/.{1,4}/g).join(' ');
    $('totp-uri').textContent = uri;
    $('totp-link').href = uri.startsWith('otpauth://') ? uri : '#';
    $('passkey-setup').hidden = true;
    $('totp-setup').hidden = false;
    $('totp-code').value = '';
    $('totp-code').focus();
  }),
);

$('totp-setup').addEventListener('submit', (event) => {
  event.preventDefault();
  void once(async () => {
    say('');
    const confirmed = await postJson('/api/v1/auth/mfa/totp/confirm', { code: $('totp-code').value.replace(/\s+/g, '') });
    $('totp-code').value = '';
    if (!confirmed.ok) return failed(confirmed);
    // recovery_codes is null when the account already had codes: nothing new to store.
    if (Array.isArray(confirmed.body.recovery_codes)) return showRecoveryCodes(confirmed.body.recovery_codes);
    return location.assign('/console');
  });
});

$('enrol-passkey').addEventListener('click', () => {
  say('');
  $('totp-setup').hidden = true;
  $('passkey-setup').hidden = false;
  $('passkey-name').focus();
});

$('passkey-setup').addEventListener('submit', (event) => {
  event.preventDefault();
  void once(async () => {
    say('');
    const options = await postJson('/api/v1/auth/passkeys/registration/options');
    if (!options.ok) return failed(options);
    let response;
    try {
      response = await createCredential(options.body);
    } catch (error) {
      return say(ceremonyMessage(error));
    }
    const registered = await postJson('/api/v1/auth/passkeys/registration/verify', { name: $('passkey-name').value.trim(), response });
    if (!registered.ok) return failed(registered);
    return location.assign('/console');
  });
});

$('enrol-later').addEventListener('click', () => location.assign('/console'));

function showRecoveryCodes(codes) {
  $('recovery-codes').replaceChildren(...codes.map(item));
  showStep('recovery');
  $('recovery-done').focus();
}
$('recovery-done').addEventListener('click', () => location.assign('/console'));
