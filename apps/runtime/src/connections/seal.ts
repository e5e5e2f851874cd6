// AES-256-GCM sealing of connection secrets. Each sealed value carries the master key's fingerprint
// (so a wrong key is named, not reported as garbage) and is bound to its place by the additional
// authenticated data (`<connection id>/<field>`): a blob copied to another connection does not open.
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import type { MasterKey } from './master-key.ts';

export interface Sealed {
  v: 1;
  kid: string;
  iv: string;
  tag: string;
  data: string;
}

export class UnsealError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UnsealError';
  }
}

export function seal(value: unknown, mk: MasterKey, aad: string): Sealed {
  const iv = randomBytes(12);
  const cipher = createCipheriv('aes-256-gcm', mk.key, iv);
  cipher.setAAD(Buffer.from(aad));
  const data = Buffer.concat([cipher.update(JSON.stringify(value), 'utf8'), cipher.final()]);
  return { v: 1, kid: mk.kid, iv: iv.toString('base64'), tag: cipher.getAuthTag().toString('base64'), data: data.toString('base64') };
}

export function unseal<T>(s: Sealed, mk: MasterKey, aad: string): T {
  if (!s || s.v !== 1) throw new UnsealError('not a sealed value of a known version');
  if (s.kid !== mk.kid) throw new UnsealError(`sealed under master key ${s.kid}, but the master key now is ${mk.kid}: restore the FLOWDESK_MASTER_KEY or master.key it was created with`);
  try {
    const decipher = createDecipheriv('aes-256-gcm', mk.key, Buffer.from(s.iv, 'base64'));
    decipher.setAAD(Buffer.from(aad));
    decipher.setAuthTag(Buffer.from(s.tag, 'base64'));
    const text = Buffer.concat([decipher.update(Buffer.from(s.data, 'base64')), decipher.final()]).toString('utf8');
    return JSON.parse(text) as T;
  } catch {
    throw new UnsealError('does not authenticate: the stored value was altered or belongs elsewhere');
  }
}
