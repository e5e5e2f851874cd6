// OAuth2 connections against a real OAuth2 server on loopback (oauth2-mock-server): Connect through
// the callback (PKCE S256, checked by the server), forged / foreign-session / expired / reused states
// refused, use, expiry and refresh (two concurrent runs — and two vaults sharing one store — refresh
// once; rotating refresh tokens followed), a refused access token refreshed once, revocation → a
// broken connection, one alert, a clear step error; client credentials.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { OAuth2Server } from 'oauth2-mock-server';
import { ConnectionVault } from '../../apps/runtime/src/connections/vault.ts';
import { quietLog, startTestRuntime, type TestRuntime } from '../support/runtime.ts';
import { startFakeSlack, type FakeSlack } from '../support/fakes/slack.ts';
import { startFailServer, type FailServer } from '../support/fail-server.ts';

let rt: TestRuntime;
let slack: FakeSlack;
let api: FailServer;
let idp: OAuth2Server;
let issuer: string;
/** token endpoint calls, by grant type, with the refresh token each refresh presented */
const grants: { grant: string; refreshToken?: string; issuedRefresh?: string; accessToken?: string }[] = [];

const count = (grant: string) => grants.filter((g) => g.grant === grant).length;
const lastAccess = () => [...grants].reverse().find((g) => g.accessToken)!.accessToken!;

const oauthConn = (id: string) => ({
  id,
  app: 'slack',
  name: `OAuth ${id}`,
  baseUrl: slack.url,
  auth: { type: 'oauth2', grant: 'authorization_code', clientId: 'flowdesk-client', clientSecret: 'client-s3cr3t', authorizeUrl: `${issuer}/authorize`, tokenUrl: `${issuer}/token`, scopes: ['chat:write'] },
});

const postFlow = (id: string, connection: string) => ({
  dsl: 1,
  id,
  name: id,
  trigger: { type: 'webhook', path: id, auth: { type: 'none' } },
  nodes: [{ id: 'post', type: 'action', action: 'slack.postMessage', params: { connection, channel: '#general', text: 'hi {{payload.n}}' } }, { id: 'end', type: 'end' }],
  edges: [{ from: 'trigger', to: 'post' }, { from: 'post', to: 'end' }],
});

/** The editor's Connect, as a browser does it: the authorize URL (and its cookie), the provider, back to the callback. */
async function connect(id: string): Promise<{ callback: string; cookie: string }> {
  const res = await fetch(`${rt.url}/api/connections/${id}/connect`, { method: 'POST' });
  expect(res.status).toBe(200);
  const { authorizeUrl, redirectUri } = (await res.json()) as { authorizeUrl: string; redirectUri: string };
  expect(redirectUri).toBe(`${rt.url}/oauth/callback`);
  const u = new URL(authorizeUrl);
  expect(Object.fromEntries(u.searchParams)).toMatchObject({ response_type: 'code', client_id: 'flowdesk-client', redirect_uri: redirectUri, code_challenge_method: 'S256', scope: 'chat:write' });
  expect(u.searchParams.get('state')).toMatch(/^[A-Za-z0-9_-]{43}$/);
  const cookie = res.headers.get('set-cookie')!;
  expect(cookie).toMatch(/HttpOnly/);
  expect(cookie).toMatch(/SameSite=Lax/);
  expect(cookie).toMatch(/Path=\/oauth\/callback/);
  const at = await fetch(authorizeUrl, { redirect: 'manual' });
  expect(at.status).toBe(302);
  return { callback: at.headers.get('location')!, cookie: cookie.split(';')[0]! };
}

const callback = (url: string, cookie?: string) => fetch(url, { headers: cookie ? { cookie } : {}, redirect: 'manual' });

async function runOf(path: string, n: number) {
  const { body } = await rt.post(`/hooks/${path}`, { n });
  await rt.settle();
  return (await rt.get(`/api/runs/${body.runId}`)).body;
}

beforeAll(async () => {
  idp = new OAuth2Server();
  await idp.issuer.keys.generate('RS256');
  await idp.start(0, '127.0.0.1');
  issuer = idp.issuer.url!;
  rt = await startTestRuntime();
  slack = await startFakeSlack(rt.clock);
  api = await startFailServer();
  idp.service.on('beforeResponse', (resp: { statusCode: number; body: Record<string, unknown> }, req: { body: Record<string, string> }) => {
    const ok = resp.statusCode === 200;
    grants.push({
      grant: req.body.grant_type!,
      refreshToken: req.body.refresh_token,
      ...(ok ? { issuedRefresh: resp.body.refresh_token as string | undefined, accessToken: resp.body.access_token as string } : {}),
    });
    if (ok) slack.tokens.add(resp.body.access_token as string);
  });
  expect((await rt.post('/api/connections', oauthConn('slack-oauth'))).status).toBe(201);
  for (const f of [postFlow('oauth-post', 'slack-oauth'), postFlow('oauth-revoked', 'slack-revoke')]) expect((await rt.put(`/api/flows/${f.id}`, f)).status).toBe(200);
});
afterAll(async () => {
  await rt.dispose();
  await slack.close();
  await api.close();
  await idp.stop();
});

describe('Connect', () => {
  it('before Connect the connection is not-connected and its steps end not-configured', async () => {
    expect((await rt.get('/api/connections/slack-oauth')).body).toMatchObject({ status: 'not-connected', oauth: { connected: false } });
    const run = await runOf('oauth-post', 0);
    expect(run.outcome).toBe('not-configured');
    expect(run.steps[0].error).toContain('not connected yet');
    expect(slack.requests).toHaveLength(0);
  });

  it('connects through the callback: the code is exchanged with the PKCE verifier, the tokens stored sealed', async () => {
    const { callback: url, cookie } = await connect('slack-oauth');
    const done = await callback(url, cookie);
    const page = await done.text();
    expect(done.status, page).toBe(200);
    expect(page).toContain('slack-oauth is connected');
    expect(count('authorization_code')).toBe(1);
    const view = (await rt.get('/api/connections/slack-oauth')).body;
    expect(view).toMatchObject({ status: 'ready', oauth: { connected: true, expiresAt: new Date(rt.clock.now() + 3600_000).toISOString() } });
    expect(JSON.stringify(view)).not.toContain(lastAccess());
    // reused: the same callback again is refused, and changes nothing
    const again = await callback(url, cookie);
    expect(again.status).toBe(400);
    expect(await again.text()).toContain('already used');
    expect(count('authorization_code')).toBe(1);
  });

  it('refuses a forged state, a state from another browser session and an expired one', async () => {
    const forged = await callback(`${rt.url}/oauth/callback?code=attacker-code&state=${'A'.repeat(43)}`);
    expect(forged.status).toBe(400);
    expect(await callback(`${rt.url}/oauth/callback?code=x`).then((r) => r.status)).toBe(400);

    const { callback: url, cookie } = await connect('slack-oauth');
    const foreign = await callback(url, 'fd_oauth_0000000000000000=stolen');
    expect(foreign.status).toBe(403);
    expect(await callback(url).then((r) => r.status)).toBe(403);
    // the right session still completes it: a refusal did not consume the state
    expect((await callback(url, cookie)).status).toBe(200);

    const late = await connect('slack-oauth');
    rt.clock.advance(11 * 60_000);
    const expired = await callback(late.callback, late.cookie);
    expect(expired.status).toBe(400);
    expect(await expired.text()).toContain('expired');
    expect(count('authorization_code')).toBe(2);
  });

  it('Connect is refused for a connection that is not OAuth2 authorization-code (409) and an unknown one (404)', async () => {
    expect((await rt.post('/api/connections', { id: 'plain', app: 'slack', name: 'p', auth: { type: 'bearer', token: 'xoxb-plain' }, baseUrl: slack.url })).status).toBe(201);
    expect((await rt.post('/api/connections/plain/connect', {})).status).toBe(409);
    expect((await rt.post('/api/connections/nope/connect', {})).status).toBe(404);
  });
});

describe('tokens in use', () => {
  it('a step uses the access token; past its expiry the token is refreshed first, with the latest (rotated) refresh token', async () => {
    slack.requests.length = 0;
    const first = await runOf('oauth-post', 1);
    expect(first.status).toBe('succeeded');
    expect(slack.requests[0]!.headers.authorization).toBe(`Bearer ${lastAccess()}`);
    const refreshes = count('refresh_token');
    rt.clock.advance(3600_000 - 30_000); // inside the last minute: refreshed before use
    const second = await runOf('oauth-post', 2);
    expect(second.status).toBe('succeeded');
    expect(count('refresh_token')).toBe(refreshes + 1);
    const refresh = grants.filter((g) => g.grant === 'refresh_token').at(-1)!;
    const issuedBefore = grants.filter((g) => g.issuedRefresh && g !== refresh).at(-1)!.issuedRefresh;
    expect(refresh.refreshToken).toBe(issuedBefore);
    expect(slack.requests.at(-1)!.headers.authorization).toBe(`Bearer ${refresh.accessToken}`);
  });

  it('two runs at once on an expired token: one refresh, both succeed with the new token', async () => {
    rt.clock.advance(3600_000);
    const refreshes = count('refresh_token');
    slack.requests.length = 0;
    const ids = await Promise.all([1, 2].map(async (n) => (await rt.post('/hooks/oauth-post', { n })).body.runId as string));
    await rt.settle();
    for (const id of ids) expect((await rt.get(`/api/runs/${id}`)).body.status).toBe('succeeded');
    expect(count('refresh_token')).toBe(refreshes + 1);
    expect(new Set(slack.requests.map((r) => r.headers.authorization))).toEqual(new Set([`Bearer ${lastAccess()}`]));
  });

  it('two vaults over one store (two instances) refresh an expired token once, under the store lock', async () => {
    rt.clock.advance(3600_000);
    const refreshes = count('refresh_token');
    const make = () => new ConnectionVault({ store: rt.store, masterKey: rt.ctx.connectDeps.masterKey, clock: rt.clock, log: quietLog, flows: () => [] });
    const [a, b] = [make(), make()];
    const [ta, tb] = await Promise.all([a.accessToken('slack-oauth', {}), b.accessToken('slack-oauth', {})]);
    expect(ta.token).toBe(tb.token);
    expect(count('refresh_token')).toBe(refreshes + 1);
  });

  it('an access token Slack refuses (invalid_auth) is refreshed once and the call made again', async () => {
    slack.tokens.delete(lastAccess());
    const refreshes = count('refresh_token');
    slack.requests.length = 0;
    const run = await runOf('oauth-post', 3);
    expect(run.status).toBe('succeeded');
    expect(count('refresh_token')).toBe(refreshes + 1);
    expect(slack.requests).toHaveLength(2);
    expect(slack.requests[1]!.headers.authorization).toBe(`Bearer ${lastAccess()}`);
    expect(run.steps[0].attempts).toHaveLength(1);
  });
});

describe('revocation', () => {
  it('a refused refresh marks the connection broken, raises one alert, and fails its steps with a clear error', async () => {
    expect((await rt.post('/api/connections', oauthConn('slack-revoke'))).status).toBe(201);
    const c = await connect('slack-revoke');
    expect((await callback(c.callback, c.cookie)).status).toBe(200);
    idp.service.once('beforeResponse', (resp: { statusCode: number; body: unknown }) => {
      resp.statusCode = 400;
      resp.body = { error: 'invalid_grant', error_description: 'the refresh token was revoked' };
    });
    rt.clock.advance(3600_000);
    const refreshes = count('refresh_token');
    const run = await runOf('oauth-revoked', 1);
    expect(run.status).toBe('dead');
    expect(run.error).toContain('connection "slack-revoke" is broken');
    expect(run.error).toContain('invalid_grant');
    expect(run.error).toContain('reconnect it on the Connections page');
    expect((await rt.get('/api/connections/slack-revoke')).body).toMatchObject({ status: 'broken', brokenReason: expect.stringContaining('the refresh token was revoked') });
    // a second run fails at once: no token request, no second broken-connection alert
    const again = await runOf('oauth-revoked', 2);
    expect(again.status).toBe('dead');
    expect(count('refresh_token')).toBe(refreshes + 1);
    const broken = (await rt.get('/api/alerts')).body.filter((a: { kind: string }) => a.kind === 'connection_broken');
    expect(broken).toEqual([expect.objectContaining({ flowId: 'oauth-revoked', severity: 'P1', message: expect.stringContaining('slack-revoke') })]);
    // reconnecting heals it
    const re = await connect('slack-revoke');
    expect((await callback(re.callback, re.cookie)).status).toBe(200);
    expect((await rt.get('/api/connections/slack-revoke')).body.status).toBe('ready');
    expect((await runOf('oauth-revoked', 3)).status).toBe('succeeded');
  });
});

describe('client credentials', () => {
  it('an http.request with a client-credentials connection gets a token once and reuses it while valid', async () => {
    expect(
      (
        await rt.post('/api/connections', {
          id: 'erp',
          app: 'http',
          name: 'ERP',
          baseUrl: api.url,
          auth: { type: 'oauth2', grant: 'client_credentials', clientId: 'erp-client', clientSecret: 'erp-s3cr3t', tokenUrl: `${issuer}/token`, scopes: ['orders'] },
        })
      ).status,
    ).toBe(201);
    const flow = { ...postFlow('erp', 'erp'), nodes: [{ id: 'post', type: 'action', action: 'http.request', params: { method: 'POST', url: `${api.url}/orders`, body: { n: '{{payload.n}}' }, connection: 'erp' } }, { id: 'end', type: 'end' }] };
    expect((await rt.put('/api/flows/erp', flow)).status).toBe(200);
    const before = count('client_credentials');
    api.requests.length = 0;
    expect((await runOf('erp', 1)).status).toBe('succeeded');
    expect((await runOf('erp', 2)).status).toBe('succeeded');
    expect(count('client_credentials')).toBe(before + 1);
    const token = grants.filter((g) => g.grant === 'client_credentials').at(-1)!.accessToken;
    expect(api.requests.map((r) => r.headers.authorization)).toEqual([`Bearer ${token}`, `Bearer ${token}`]);
  });
});
