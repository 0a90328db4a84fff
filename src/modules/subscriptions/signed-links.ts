import { createHmac } from 'node:crypto';
import { digestsEqual } from '../../platform/crypto/random.ts';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const MAC = /^[A-Za-z0-9_-]{43}$/;

/** What a signed link lets its holder do, bound into the MAC so one purpose's link never works for another. */
export type LinkPurpose = 'unsubscribe' | 'object';

/**
 * Signed links that need no stored token (unsubscribe, objection): `<subscriber>.<item>.<mac>`, the
 * MAC an HMAC-SHA256 under a key derived from the keyring (`subscription-links`) over the purpose
 * and the ids. A link names exactly one subscriber (and change), so it cannot be altered to act on
 * another; it does not expire, since unsubscribing must always work (RFC 8058 spirit), and the
 * objection window is checked against the change's effective date.
 */
export function createLinkSigner(key: Buffer) {
  const mac = (purpose: LinkPurpose, subscriberId: string, itemId: string) => createHmac('sha256', key).update(`parapet-subscription-link\n${purpose}\n${subscriberId}\n${itemId}`, 'utf8').digest();
  return {
    sign: (purpose: LinkPurpose, subscriberId: string, itemId = ''): string => `${subscriberId}.${itemId}.${mac(purpose, subscriberId, itemId).toString('base64url')}`,
    /** The ids a link was signed for, or undefined when it is malformed or its MAC does not verify. */
    verify: (purpose: LinkPurpose, token: string): { subscriberId: string; itemId: string } | undefined => {
      const [subscriberId, itemId, presented, extra] = token.split('.');
      if (extra !== undefined || subscriberId === undefined || itemId === undefined || presented === undefined) return undefined;
      if (!UUID.test(subscriberId) || (itemId !== '' && !UUID.test(itemId)) || !MAC.test(presented)) return undefined;
      if (!digestsEqual(Buffer.from(presented, 'base64url'), mac(purpose, subscriberId, itemId))) return undefined;
      return { subscriberId, itemId };
    },
  };
}

export type LinkSigner = ReturnType<typeof createLinkSigner>;
