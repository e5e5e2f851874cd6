// FLOWDESK_PUBLIC_URL: the address the outside world uses to reach this runtime (through a tunnel or a
// proxy). The URLs shown for pasting into vendors' dashboards and Twilio's signature base are built on it.

export class PublicUrlError extends Error {}

/** The setting without a trailing slash; undefined when unset. Refuses anything but an http(s) URL without query or fragment. */
export function publicUrlFromEnv(value: string | undefined): string | undefined {
  if (value === undefined || value.trim() === '') return undefined;
  let u: URL;
  try {
    u = new URL(value.trim());
  } catch {
    throw new PublicUrlError(`FLOWDESK_PUBLIC_URL=${value} is not a URL: give the address senders call, e.g. https://flows.example.com`);
  }
  if (u.protocol !== 'https:' && u.protocol !== 'http:') throw new PublicUrlError(`FLOWDESK_PUBLIC_URL must be http(s), not ${u.protocol}`);
  if (u.search || u.hash || u.username || u.password) throw new PublicUrlError('FLOWDESK_PUBLIC_URL must have no query, fragment or credentials');
  return value.trim().replace(/\/+$/, '');
}

/** The URL a sender posts to for a hook path. */
export const hookUrl = (publicUrl: string, path: string): string => `${publicUrl}/hooks/${path.split('/').map(encodeURIComponent).join('/')}`;
