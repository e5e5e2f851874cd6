import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { loadSecrets, SecretsFileError } from './secrets.ts';

const dirs: string[] = [];
const tmp = () => {
  const d = mkdtempSync(join(tmpdir(), 'flowdesk-secrets-'));
  dirs.push(d);
  return d;
};
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});
const writeFile = (dir: string, content: unknown, mode: number) => {
  const f = join(dir, 'secrets.json');
  writeFileSync(f, typeof content === 'string' ? content : JSON.stringify(content));
  chmodSync(f, mode);
  return f;
};

describe('loadSecrets', () => {
  it('reads FLOWDESK_SECRET_* and FLOWDESK_CONFIG_* from the environment', () => {
    const s = loadSecrets({
      env: { FLOWDESK_SECRET_CRM_KEY: 'crm-key-123', FLOWDESK_CONFIG_CRM_URL: 'http://127.0.0.1:9/crm', PATH: '/bin', FLOWDESK_SECRET_EMPTY: '' },
    });
    expect(s.secret('CRM_KEY')).toBe('crm-key-123');
    expect(s.config('CRM_URL')).toBe('http://127.0.0.1:9/crm');
    expect(s.secret('CRM_URL')).toBeUndefined();
    expect(s.secret('EMPTY')).toBeUndefined();
    expect(s.secret('PATH')).toBeUndefined();
    expect(s.values()).toEqual(['crm-key-123']);
    expect(s.names()).toEqual({ secrets: ['CRM_KEY'], config: ['CRM_URL'] });
  });

  it('reads <dataDir>/secrets.json with mode 0600; the environment wins', () => {
    const dir = tmp();
    writeFile(dir, { secrets: { LEADS_HOOK: 'from-file-hook', CRM_KEY: 'file-crm' }, config: { CRM_URL: 'http://file' } }, 0o600);
    const s = loadSecrets({ env: { FLOWDESK_SECRET_CRM_KEY: 'env-crm' }, dataDir: dir });
    expect(s.secret('LEADS_HOOK')).toBe('from-file-hook');
    expect(s.secret('CRM_KEY')).toBe('env-crm');
    expect(s.config('CRM_URL')).toBe('http://file');
    expect(s.values().sort()).toEqual(['env-crm', 'from-file-hook']);
  });

  it('works without a secrets file', () => {
    const s = loadSecrets({ env: {}, dataDir: tmp() });
    expect(s.secret('X')).toBeUndefined();
    expect(s.values()).toEqual([]);
  });

  it('refuses a group- or world-readable file, naming it and the fix', () => {
    for (const mode of [0o640, 0o644, 0o604]) {
      const dir = tmp();
      const f = writeFile(dir, { secrets: { A: 'aaaa' } }, mode);
      expect(() => loadSecrets({ env: {}, dataDir: dir })).toThrow(SecretsFileError);
      expect(() => loadSecrets({ env: {}, dataDir: dir })).toThrow(`chmod 600 ${f}`);
    }
  });

  it('refuses invalid JSON and non-string values with a clear error', () => {
    const dir = tmp();
    writeFile(dir, '{"secrets": ', 0o600);
    expect(() => loadSecrets({ env: {}, dataDir: dir })).toThrow(/not valid JSON/);
    writeFile(dir, { secrets: { A: 12 } }, 0o600);
    expect(() => loadSecrets({ env: {}, dataDir: dir })).toThrow('"secrets.A" must be a string');
  });
});
