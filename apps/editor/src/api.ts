// The runtime's HTTP API. When /api answers 401 the app asks for the admin token (kept in sessionStorage).
// What the runtime's CSRF rules need (security/origin-guard.ts): requests stay same-origin (the browser
// then sends an Origin equal to the Host), and a request with a body says application/json; a DELETE
// has no body and no content type.
const TOKEN_KEY = 'flowdesk:token';

export class ApiError extends Error {
  constructor(
    public status: number,
    message: string,
    public body: unknown,
  ) {
    super(message);
  }
}

type Listener = () => void;
const authListeners = new Set<Listener>();
export function onAuthRequired(l: Listener): () => void {
  authListeners.add(l);
  return () => authListeners.delete(l);
}
export const getToken = (): string | null => sessionStorage.getItem(TOKEN_KEY);
export function setToken(t: string | null): void {
  if (t) sessionStorage.setItem(TOKEN_KEY, t);
  else sessionStorage.removeItem(TOKEN_KEY);
}

export async function api<T = unknown>(method: string, path: string, body?: unknown, extraHeaders: Record<string, string> = {}): Promise<T> {
  return (await request<T>(method, path, body, extraHeaders)).data;
}

/** The answer with its ETag (what a later change's If-Match names). */
export async function tagged<T = unknown>(method: string, path: string, body?: unknown, extraHeaders: Record<string, string> = {}): Promise<{ data: T; tag: string | null }> {
  const r = await request<T>(method, path, body, extraHeaders);
  return { data: r.data, tag: r.headers.get('etag') };
}

async function request<T>(method: string, path: string, body: unknown, extraHeaders: Record<string, string>): Promise<{ data: T; headers: Headers }> {
  const headers: Record<string, string> = { accept: 'application/json', ...extraHeaders };
  const token = getToken();
  if (token) headers.authorization = `Bearer ${token}`;
  if (body !== undefined) headers['content-type'] = 'application/json';
  const res = await fetch(path, {
    method,
    headers,
    body: body === undefined ? undefined : JSON.stringify(body),
    mode: 'same-origin', // never sent anywhere else, whatever `path` holds
    credentials: 'same-origin',
  });
  const text = await res.text();
  let data: unknown = undefined;
  if (text) {
    try {
      data = JSON.parse(text);
    } catch {
      data = text;
    }
  }
  if (res.status === 401 && path.startsWith('/api')) authListeners.forEach((l) => l());
  if (!res.ok) {
    const msg = (data && typeof data === 'object' && 'error' in data ? String((data as { error: unknown }).error) : '') || `${res.status} ${res.statusText}`;
    throw new ApiError(res.status, msg, data);
  }
  return { data: data as T, headers: res.headers };
}

export const get = <T,>(p: string) => api<T>('GET', p);
export const post = <T,>(p: string, b?: unknown) => api<T>('POST', p, b ?? {});
export const put = <T,>(p: string, b: unknown, headers?: Record<string, string>) => api<T>('PUT', p, b, headers);
export const del = <T,>(p: string) => api<T>('DELETE', p);
