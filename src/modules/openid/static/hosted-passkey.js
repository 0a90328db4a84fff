// The hosted second-factor page's passkey button (docs/openid-provider.md, "The hosted sign-in").
// Served same-origin as /oidc/interaction/passkey.js (CSP script-src 'self'; no inline script).
// The form carries the WebAuthn request options (JSON, base64url binary fields) in data-options;
// on submit this runs navigator.credentials.get() and posts the answer in passkey_response.
// Binary fields are converted by hand rather than with parseRequestOptionsFromJSON / toJSON(),
// which not every browser in use has.

function fromBase64url(text) {
  const base64 = text.replace(/-/g, '+').replace(/_/g, '/') + '='.repeat((4 - (text.length % 4)) % 4);
  return Uint8Array.from(atob(base64), (c) => c.charCodeAt(0)).buffer;
}

function toBase64url(buffer) {
  let binary = '';
  for (const byte of new Uint8Array(buffer)) binary += String.fromCharCode(byte);
  return btoa(binary).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
}

async function assertion(options) {
  const publicKey = { ...options, challenge: fromBase64url(options.challenge) };
  if (options.allowCredentials !== undefined) publicKey.allowCredentials = options.allowCredentials.map((c) => ({ ...c, id: fromBase64url(c.id) }));
  const credential = await navigator.credentials.get({ publicKey });
  const r = credential.response;
  const response = { clientDataJSON: toBase64url(r.clientDataJSON), authenticatorData: toBase64url(r.authenticatorData), signature: toBase64url(r.signature) };
  if (r.userHandle !== null && r.userHandle.byteLength > 0) response.userHandle = toBase64url(r.userHandle);
  const answer = { id: credential.id, rawId: toBase64url(credential.rawId), type: credential.type, response, clientExtensionResults: credential.getClientExtensionResults() };
  if (credential.authenticatorAttachment === 'platform' || credential.authenticatorAttachment === 'cross-platform') answer.authenticatorAttachment = credential.authenticatorAttachment;
  return answer;
}

const form = document.getElementById('passkey-form');
const problem = document.getElementById('passkey-problem');
if (form !== null) {
  form.hidden = false;
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    const button = form.querySelector('button');
    button.disabled = true;
    assertion(JSON.parse(form.dataset.options))
      .then((answer) => {
        form.elements.namedItem('passkey_response').value = JSON.stringify(answer);
        form.submit();
      })
      .catch((error) => {
        button.disabled = false;
        if (problem !== null) {
          problem.textContent = error?.name === 'NotAllowedError' ? 'The passkey request was cancelled or timed out.' : 'This browser could not use a passkey here.';
          problem.hidden = false;
        }
      });
  });
}
