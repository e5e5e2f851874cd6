// A deploy made from an older version never silently replaces one deployed since: PUT /api/flows/:id
// with If-Match (the version the edit started from, the ETag of GET /api/flows/:id) or If-None-Match: *
// (only if the flow does not exist yet) is refused 409 with nothing deployed when that no longer holds.
import { afterAll, describe, expect, it } from 'vitest';
import { flowsDirWith, startTestRuntime, type TestRuntime } from '../support/runtime.ts';
import { flowEndingIn } from '../support/state-flows.ts';

let rt: TestRuntime | undefined;
afterAll(async () => {
  await rt?.dispose();
});

// the name is what each deploy changes (read back to see which one is live)
const flow = (name: string) => ({ ...flowEndingIn('greet', 'won'), name });

async function deploy(body: unknown, headers: Record<string, string> = {}) {
  const res = await fetch(`${rt!.url}/api/flows/greet`, { method: 'PUT', headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify(body) });
  return { status: res.status, body: (await res.json()) as any };
}
const latestGreeting = async () => (await rt!.get('/api/flows/greet')).body.name as string;

describe('deploy preconditions', () => {
  it('If-None-Match: * creates a flow only while it does not exist', async () => {
    rt = await startTestRuntime({ flowsDir: flowsDirWith([]) });
    expect((await deploy(flow('hello'), { 'if-none-match': '*' })).status).toBe(200);
    const again = await deploy(flow('other tab'), { 'if-none-match': '*' });
    expect(again.status).toBe(409);
    expect(again.body).toMatchObject({ error: 'flow greet already exists (version 1 is the latest): load it, or deploy without If-None-Match to replace it', latestVersion: 1 });
    expect(await latestGreeting()).toBe('hello');
  });

  it('If-Match: the version the edit started from — deployed while it is the latest, refused once another was deployed', async () => {
    const res = await fetch(`${rt!.url}/api/flows/greet`);
    expect(res.headers.get('etag')).toBe('"1"');
    expect(res.headers.get('cache-control')).toBe('no-store'); // the active flag changes within a version
    const revalidated = await fetch(`${rt!.url}/api/flows/greet`, { headers: { 'if-none-match': '"1"' } });
    expect(revalidated.status).toBe(200); // never a 304 with a stale active flag
    expect((await deploy(flow('tab A'), { 'if-match': '"1"' })).body.version).toBe(2);
    // tab B also started from version 1
    const stale = await deploy(flow('tab B'), { 'if-match': '"1"' });
    expect(stale.status).toBe(409);
    expect(stale.body.error).toBe('flow greet was deployed as version 2 since version 1, which this edit started from: load version 2, or deploy without If-Match to replace it');
    expect(stale.body.latestVersion).toBe(2);
    expect(await latestGreeting()).toBe('tab A');
    expect((await rt!.get('/api/flows/greet/versions')).body).toHaveLength(2);
    // B loads version 2 and deploys from it; or replaces it knowingly, without the precondition
    expect((await deploy(flow('tab B, from 2'), { 'if-match': '2' })).body.version).toBe(3);
    expect((await deploy(flow('anyway'))).body.version).toBe(4);
  });

  it('a malformed precondition is refused 400, naming the header', async () => {
    for (const [h, v] of [
      ['if-match', 'v2'],
      ['if-match', '"-1"'],
      ['if-none-match', '"3"'],
    ] as const) {
      const res = await deploy(flow('x'), { [h]: v });
      expect(res.status, `${h}: ${v}`).toBe(400);
      expect(res.body.error).toMatch(h === 'if-match' ? /^If-Match must be/ : /^If-None-Match must be \*/);
    }
    expect(await latestGreeting()).toBe('anyway');
  });
});
