// Signed review-decision links (`/r/:token`): the token is its own proof, so the route sits outside
// /api and works with an admin token set. A token names one review and one decision, expires, and is
// single-use by construction: the review can be decided once, after which every link to it is spent.
// Signed with HMAC-SHA256 under a random key kept in the store (shared by every runtime on one
// database); compared in constant time.
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import type { Store } from '../store/types.ts';

export const LINK_KEY_DOC = 'review-link-key';
/** How long a link lives when the review has no timeout of its own. */
export const DEFAULT_LINK_TTL_MS = 7 * 86_400_000;

export interface ReviewLinkClaim {
  reviewId: string;
  decision: string;
  /** expiry, epoch ms */
  exp: number;
}

export type LinkCheck = { ok: true; claim: ReviewLinkClaim } | { ok: false; status: 400 | 403 | 410; reason: string };

const b64 = (b: Buffer | string) => Buffer.from(b).toString('base64url');

export async function linkKey(store: Store): Promise<Buffer> {
  const doc = await store.updateDoc('settings', LINK_KEY_DOC, (cur) => (cur ? undefined : { id: LINK_KEY_DOC, key: randomBytes(32).toString('base64') }));
  const key = (doc ?? (await store.getDoc('settings', LINK_KEY_DOC)))?.key;
  if (typeof key !== 'string') throw new Error('review link key missing from the store');
  return Buffer.from(key, 'base64');
}

export function signLink(key: Buffer, claim: ReviewLinkClaim): string {
  const body = b64(JSON.stringify({ r: claim.reviewId, d: claim.decision, e: claim.exp }));
  return `${body}.${b64(createHmac('sha256', key).update(body).digest())}`;
}

export function verifyLink(key: Buffer, token: string, nowMs: number): LinkCheck {
  if (token.length > 2048) return { ok: false, status: 400, reason: 'this link is too long to be one of ours' };
  const [body, sig, extra] = token.split('.');
  if (!body || !sig || extra !== undefined) return { ok: false, status: 400, reason: 'this link is malformed' };
  const want = createHmac('sha256', key).update(body).digest();
  const got = Buffer.from(sig, 'base64url');
  if (got.length !== want.length || !timingSafeEqual(got, want)) return { ok: false, status: 403, reason: 'this link is not signed by this Flowdesk' };
  let parsed: { r?: unknown; d?: unknown; e?: unknown };
  try {
    parsed = JSON.parse(Buffer.from(body, 'base64url').toString('utf8')) as typeof parsed;
  } catch {
    return { ok: false, status: 400, reason: 'this link is malformed' };
  }
  if (typeof parsed.r !== 'string' || typeof parsed.d !== 'string' || typeof parsed.e !== 'number') return { ok: false, status: 400, reason: 'this link is malformed' };
  if (nowMs >= parsed.e) return { ok: false, status: 410, reason: `this link expired at ${new Date(parsed.e).toISOString()}` };
  return { ok: true, claim: { reviewId: parsed.r, decision: parsed.d, exp: parsed.e } };
}

/** The public base URL links are built on: FLOWDESK_PUBLIC_URL, else the address the runtime listens on. */
export function publicBase(env: Record<string, string | undefined>, listening: string): string {
  return (env.FLOWDESK_PUBLIC_URL || listening).replace(/\/+$/, '');
}
