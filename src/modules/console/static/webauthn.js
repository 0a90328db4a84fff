// WebAuthn options and answers travel as JSON with binary fields in unpadded base64url
// (WebAuthn L3 §5.1.2, PublicKeyCredential{Creation,Request}OptionsJSON). The browser API takes
// and returns ArrayBuffers, so the fields are converted here rather than relying on
// parseCreationOptionsFromJSON / toJSON(), which not every browser in use has.

/**
 * Whether passkeys can work on this page: the browser has WebAuthn, the page is a secure context
 * (https, or localhost), and its host is a domain name — an IP address cannot be an RP ID
 * (WebAuthn L3 §5.1.3), so on http://127.0.0.1:4000 the buttons stay hidden.
 */
export const passkeysSupported = () =>
  typeof window.PublicKeyCredential === 'function' && window.isSecureContext && !/^[\d.]+$|^\[/.test(location.hostname);

function fromBase64url(text) {
  const base64 = text.replace(/-/g, '+').replace(/_/g, '/') + '='.repeat((4 - (text.length % 4)) % 4);
  return Uint8Array.from(atob(base64), (c) => c.charCodeAt(0)).buffer;
}

function toBase64url(buffer) {
  let binary = '';
  for (const byte of new Uint8Array(buffer)) binary += String.fromCharCode(byte);
  return btoa(binary).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
}

const descriptors = (list) => list?.map((c) => ({ ...c, id: fromBase64url(c.id) }));

/** Runs navigator.credentials.create() for creation options JSON; returns RegistrationResponseJSON. */
export async function createCredential(options) {
  const publicKey = { ...options, challenge: fromBase64url(options.challenge), user: { ...options.user, id: fromBase64url(options.user.id) } };
  if (options.excludeCredentials !== undefined) publicKey.excludeCredentials = descriptors(options.excludeCredentials);
  const credential = await navigator.credentials.create({ publicKey });
  const r = credential.response;
  const response = { clientDataJSON: toBase64url(r.clientDataJSON), attestationObject: toBase64url(r.attestationObject) };
  // Optional in older browsers (WebAuthn L2 added them); the server reads them from the attestation anyway.
  if (typeof r.getTransports === 'function') response.transports = r.getTransports();
  if (typeof r.getAuthenticatorData === 'function') response.authenticatorData = toBase64url(r.getAuthenticatorData());
  if (typeof r.getPublicKeyAlgorithm === 'function') response.publicKeyAlgorithm = r.getPublicKeyAlgorithm();
  const publicKeyBytes = typeof r.getPublicKey === 'function' ? r.getPublicKey() : null;
  if (publicKeyBytes !== null) response.publicKey = toBase64url(publicKeyBytes);
  return answer(credential, response);
}

/** Runs navigator.credentials.get() for request options JSON; returns AuthenticationResponseJSON. */
export async function getAssertion(options) {
  const publicKey = { ...options, challenge: fromBase64url(options.challenge) };
  if (options.allowCredentials !== undefined) publicKey.allowCredentials = descriptors(options.allowCredentials);
  const credential = await navigator.credentials.get({ publicKey });
  const r = credential.response;
  const response = { clientDataJSON: toBase64url(r.clientDataJSON), authenticatorData: toBase64url(r.authenticatorData), signature: toBase64url(r.signature) };
  if (r.userHandle !== null && r.userHandle.byteLength > 0) response.userHandle = toBase64url(r.userHandle);
  return answer(credential, response);
}

function answer(credential, response) {
  const json = { id: credential.id, rawId: toBase64url(credential.rawId), type: credential.type, response, clientExtensionResults: credential.getClientExtensionResults() };
  if (credential.authenticatorAttachment === 'platform' || credential.authenticatorAttachment === 'cross-platform') json.authenticatorAttachment = credential.authenticatorAttachment;
  return json;
}

/** Words for a ceremony the user or the browser ended (NotAllowedError covers cancel and timeout). */
export function ceremonyMessage(error) {
  if (error?.name === 'NotAllowedError') return 'The passkey request was cancelled or timed out.';
  if (error?.name === 'InvalidStateError') return 'This passkey is already registered.';
  if (error?.name === 'SecurityError') return 'Passkeys need Parapet to be opened at its public address (a host name, not an IP address).';
  return 'This browser could not use a passkey here.';
}
