// Conformance: the official JSON Schema Test Suite (draft 2020-12) through compilePayloadSchema, exactly
// as a deploy compiles payload contracts (patterns on RE2; one RE2 cannot run is refused). Every case's
// `valid` must match, except the cases listed in EXCLUDED (json-schema-suite.ts), each with its reason.
// Excluded cases still run: the test fails when one of them starts passing (so the list stays true),
// and when an entry no longer matches any case.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { compilePayloadSchema, PayloadSchemaError } from './payload.ts';
import { EXCLUDED, exclusionFor, SUITE_DIR, type Exclusion, type SuiteGroup, type SuiteTest } from './json-schema-suite.ts';

/** Runs one case as the runtime would: compile (once per group), validate; a compile error is a failed case. */
function outcome(validate: ((p: unknown) => { path: string; message: string }[]) | Error, t: SuiteTest): { pass: boolean; got: string } {
  if (validate instanceof Error) return { pass: false, got: `schema refused: ${validate.message}` };
  const errors = validate(t.data);
  const valid = errors.length === 0;
  return { pass: valid === t.valid, got: valid ? 'valid' : `invalid (${errors[0]!.path || '/'}: ${errors[0]!.message})` };
}

if (!existsSync(SUITE_DIR)) throw new Error(`JSON Schema Test Suite not found at ${SUITE_DIR} (install Debian's libtest-json-schema-acceptance-perl; the pretest step of npm test does it as root)`);
const files = readdirSync(SUITE_DIR).filter((f) => f.endsWith('.json')).sort();

const used = new Set<Exclusion>();
const excludedByReason = new Map<string, number>();
let total = 0;
let passed = 0;

describe('JSON Schema Test Suite (draft 2020-12) through compilePayloadSchema', () => {
  for (const file of files) {
    it(file, () => {
      const groups = JSON.parse(readFileSync(path.join(SUITE_DIR, file), 'utf8')) as SuiteGroup[];
      const unexpected: string[] = [];
      const nowPassing: string[] = [];
      for (const g of groups) {
        let validate: ((p: unknown) => { path: string; message: string }[]) | Error;
        try {
          validate = compilePayloadSchema(g.schema).validate;
        } catch (e) {
          if (!(e instanceof PayloadSchemaError)) throw e; // anything else is a bug of ours
          validate = e;
        }
        for (const t of g.tests) {
          total++;
          const id = `${file} › ${g.description} › ${t.description}`;
          const { pass, got } = outcome(validate, t);
          const x = exclusionFor(file, g.description, t.description);
          if (x) {
            used.add(x);
            excludedByReason.set(x.reason, (excludedByReason.get(x.reason) ?? 0) + 1);
            if (pass) nowPassing.push(`${id} (excluded: ${x.reason})`);
          } else if (pass) {
            passed++;
          } else {
            unexpected.push(`${id}: expected ${t.valid ? 'valid' : 'invalid'}, got ${got}`);
          }
        }
      }
      expect(unexpected, 'cases that fail and are not excluded').toEqual([]);
      expect(nowPassing, 'excluded cases that now pass: take them off EXCLUDED').toEqual([]);
    });
  }

  it('lists no exclusion that matches nothing', () => {
    // runs after the file tests (vitest runs a file's tests in order)
    const stale = EXCLUDED.filter((x) => !used.has(x)).map((x) => `${x.file} › ${x.group ?? '*'} › ${x.tests?.join(' | ') ?? '*'}`);
    expect(stale).toEqual([]);
    expect(total).toBeGreaterThan(1000);
  });

  afterAll(() => {
    const excluded = [...excludedByReason.values()].reduce((a, b) => a + b, 0);
    const lines = [...excludedByReason].sort((a, b) => b[1] - a[1]).map(([reason, n]) => `  ${String(n).padStart(4)}  ${reason}`);
    console.log(
      `JSON Schema Test Suite draft 2020-12: ${total} cases, ${passed} pass, ${excluded} excluded (${((100 * passed) / Math.max(1, total - excluded)).toFixed(1)}% of the rest):\n${lines.join('\n')}`,
    );
  });
});
