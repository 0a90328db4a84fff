// Checks an audit event's inclusion proof in the browser, with WebCrypto only (docs/audit-log.md):
// the event's RFC 8785 bytes hash to its leaf (SHA-256 of 0x00 ‖ bytes, RFC 9162 §2.1.1), the
// audit path leads from that leaf to the root of a C2SP checkpoint (RFC 9162 §2.1.3.2), and the
// checkpoint is a C2SP signed note with a valid Ed25519 signature by the log's verifier key
// (`<name>+<key id>+base64(0x01 ‖ public key)`, key id = first 4 bytes of SHA-256(name ‖ 0x0A ‖ 0x01 ‖ key)).
// The server's answer is only data here: every step is recomputed, and any mismatch is "not verified".

const encoder = new TextEncoder();

function fromBase64(text) {
  if (typeof text !== 'string' || !/^[A-Za-z0-9+/]*={0,2}$/.test(text) || text.length % 4 !== 0) return null;
  const binary = atob(text);
  return Uint8Array.from(binary, (c) => c.charCodeAt(0));
}

const hex = (bytes) => [...bytes].map((b) => b.toString(16).padStart(2, '0')).join('');
const equal = (a, b) => a instanceof Uint8Array && b instanceof Uint8Array && a.length === b.length && a.every((x, i) => x === b[i]);
const concat = (...parts) => {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) { out.set(p, at); at += p.length; }
  return out;
};
const sha256 = async (bytes) => new Uint8Array(await crypto.subtle.digest('SHA-256', bytes));

/** RFC 9162 §2.1.3.2: does `path` lead from `leaf` (index `index`) to `root` in a tree of `size` leaves? */
export async function verifyInclusion(leaf, index, size, path, root) {
  if (!Number.isSafeInteger(index) || !Number.isSafeInteger(size) || index < 0 || index >= size) return false;
  if (leaf.length !== 32 || root.length !== 32 || path.some((p) => p === null || p.length !== 32)) return false;
  let fn = index;
  let sn = size - 1;
  let r = leaf;
  for (const p of path) {
    if (sn === 0) return false;
    if (fn % 2 === 1 || fn === sn) {
      r = await sha256(concat(Uint8Array.of(1), p, r));
      while (fn % 2 === 0 && fn !== 0) { fn = Math.floor(fn / 2); sn = Math.floor(sn / 2); }
    } else {
      r = await sha256(concat(Uint8Array.of(1), r, p));
    }
    fn = Math.floor(fn / 2);
    sn = Math.floor(sn / 2);
  }
  return sn === 0 && equal(r, root);
}

/** Parses a verifier key string; null when malformed or its key id does not match its name and key. */
export async function parseVerifierKey(vkey) {
  const first = vkey.indexOf('+');
  const second = first < 0 ? -1 : vkey.indexOf('+', first + 1);
  if (second < 0) return null;
  const name = vkey.slice(0, first);
  const keyId = vkey.slice(first + 1, second);
  const key = fromBase64(vkey.slice(second + 1));
  if (name === '' || !/^[0-9a-f]{8}$/.test(keyId) || key === null || key.length !== 33 || key[0] !== 1) return null;
  const publicKey = key.subarray(1);
  const expectedId = hex((await sha256(concat(encoder.encode(name), Uint8Array.of(0x0a, 1), publicKey))).subarray(0, 4));
  return expectedId === keyId ? { name, keyId, publicKey } : null;
}

/** Opens a C2SP signed note with one key: its text when that key's signature on it verifies, else null. */
async function openNote(note, key) {
  const split = note.lastIndexOf('\n\n');
  if (split < 0 || !note.endsWith('\n')) return null;
  const body = note.slice(0, split + 1);
  const publicKey = await crypto.subtle.importKey('raw', key.publicKey, { name: 'Ed25519' }, false, ['verify']);
  let verified = false;
  for (const line of note.slice(split + 2, -1).split('\n')) {
    if (!line.startsWith('\u2014 ')) return null;
    const [name, encoded] = line.slice(2).split(' ');
    const bytes = fromBase64(encoded ?? '');
    if (name !== key.name || bytes === null || bytes.length < 5 || hex(bytes.subarray(0, 4)) !== key.keyId) continue;
    // A signature by the known key that fails refuses the whole note.
    if (!(await crypto.subtle.verify({ name: 'Ed25519' }, publicKey, bytes.subarray(4), encoder.encode(body)))) return null;
    verified = true;
  }
  return verified ? body : null;
}

/** Keys sorted: two events are the same when their sorted-key JSON is. */
function stable(value) {
  if (Array.isArray(value)) return value.map(stable);
  if (value !== null && typeof value === 'object') return Object.fromEntries(Object.keys(value).sort().map((k) => [k, stable(value[k])]));
  return value;
}

/**
 * Checks `proof` (GET …/events/{id}/proof) of `event` in the log of `tenantId`, trusting `trustedKey`
 * (the verifier key string; the one served with the proof when the person keeps none).
 * Returns `{ ok, steps: [{ label, ok }] }`; the first failed step ends the check.
 */
export async function checkProof(proof, event, tenantId, trustedKey) {
  const steps = [];
  const step = (label, ok) => { steps.push({ label, ok }); return ok; };
  const run = async () => {
    let parsed;
    try { parsed = JSON.parse(proof.canonical); } catch { parsed = null; }
    if (!step('The proven bytes are this event (same id, sequence number and content as shown)', parsed !== null && parsed.id === event.id && proof.seq === event.seq && JSON.stringify(stable(parsed)) === JSON.stringify(stable(event)))) return;
    const leaf = await sha256(concat(Uint8Array.of(0), encoder.encode(proof.canonical)));
    if (!step('Its leaf hash is SHA-256(0x00 ‖ its bytes)', equal(leaf, fromBase64(proof.leaf_hash)))) return;
    const key = await parseVerifierKey(trustedKey);
    if (!step(`The verifier key is well formed (${trustedKey.split('+')[0]})`, key !== null)) return;
    const body = await openNote(proof.checkpoint, key);
    if (!step('The checkpoint carries a valid Ed25519 signature by that key', body !== null)) return;
    const [origin = '', sizeLine = '', rootLine = ''] = body.slice(0, -1).split('\n');
    const root = fromBase64(rootLine);
    if (!step(`The checkpoint is of this log (${origin}) at size ${sizeLine}`, origin === `${key.name}/${tenantId}` && /^(0|[1-9][0-9]*)$/.test(sizeLine) && Number(sizeLine) === proof.tree_size && root?.length === 32)) return;
    step('The audit path leads from the leaf to the signed root (RFC 9162)', await verifyInclusion(leaf, proof.seq, proof.tree_size, proof.audit_path.map(fromBase64), root));
  };
  try {
    await run();
  } catch {
    step('The proof could be checked (malformed data, or a browser without Ed25519 in WebCrypto)', false);
  }
  return { ok: steps.length === 6 && steps.every((s) => s.ok), steps };
}
