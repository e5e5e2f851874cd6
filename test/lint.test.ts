// The boundaries are enforced: `npm run lint` (ESLint, flat config) passes as part of npm test, and its
// import rules refuse what the architecture forbids — shown on probe files linted in place.
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { ESLint } from 'eslint';
import { describe, expect, it } from 'vitest';
import { REPO } from './support/runtime.ts';

describe('lint', () => {
  it('npm run lint reports nothing', () => {
    const r = spawnSync('npm', ['run', '--silent', 'lint'], { cwd: REPO, encoding: 'utf8', timeout: 240_000 });
    expect(r.status, r.stdout + r.stderr).toBe(0);
  }, 240_000);

  const eslint = new ESLint({ cwd: REPO });
  const probe = async (file: string, code: string) => {
    const [res] = await eslint.lintText(code, { filePath: join(REPO, file) });
    return res!.messages.map((m) => `${m.ruleId}: ${m.message}`);
  };

  it.each([
    ['packages/engine/src/probe.ts', "import { readFileSync } from 'node:fs';\nexport const x = readFileSync;\n", /no-restricted-imports: .*no Node modules/],
    ['packages/schema/src/probe.ts', "import path from 'path';\nexport const x = path;\n", /no-restricted-imports: .*no Node modules/],
    ['packages/schema/src/probe.ts', "import { x } from '../../../apps/runtime/src/index.ts';\nexport const y = x;\n", /no-restricted-imports: .*nothing from apps/],
    ['packages/engine/src/probe.ts', 'export const t = Date.now();\n', /no-restricted-properties: .*now/],
    ['packages/engine/src/probe.ts', 'export const r = Math.random();\n', /no-restricted-properties: .*replay/],
    ['apps/editor/src/core/probe.ts', "import { useState } from 'react';\nexport const s = useState;\n", /no-restricted-imports: .*framework-free/],
    ['apps/editor/src/core/probe.ts', "import { Canvas } from '../components/Canvas.tsx';\nexport const c = Canvas;\n", /no-restricted-imports: .*framework-free/],
    ['apps/runtime/src/probe.ts', "import { REPO } from '../../../test/support/runtime.ts';\nexport const r = REPO;\n", /no-restricted-imports: .*tests/],
  ])('%s: refuses %j', async (file, code, rule) => {
    expect(await probe(file, code)).toEqual([expect.stringMatching(rule)]);
  });

  it('allows what the boundaries allow', async () => {
    expect(await probe('apps/editor/src/core/probe.ts', "import type { RuleGroupType } from 'react-querybuilder';\nimport { formatQuery } from 'react-querybuilder/formatQuery';\nexport const f = (q: RuleGroupType) => formatQuery(q, 'jsonlogic');\n")).toEqual([]);
    expect(await probe('packages/engine/src/probe.test.ts', "import { readFileSync } from 'node:fs';\nexport const x = readFileSync;\n")).toEqual([]);
    expect(await probe('apps/runtime/src/probe.ts', "import { readFileSync } from 'node:fs';\nexport const x = readFileSync;\n")).toEqual([]);
    // packages/schema's own apps/ folder (connection app specs) is not the repo's apps/
    expect(await probe('packages/schema/src/probe.ts', "import slack from './apps/slack.ts';\nexport const s = slack;\n")).toEqual([]);
  });
});
