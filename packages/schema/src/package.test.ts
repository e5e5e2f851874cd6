// Package-level guarantees: the published schema files are generated (no hand-kept twin), the flows
// in flows/ point at them and validate, the package stays browser-safe, and helpers behave.
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import Ajv2020 from 'ajv/dist/2020.js';
import * as schema from './index.ts';
import { schemaFiles } from './json-schema.ts';

const srcDir = path.dirname(fileURLToPath(import.meta.url));
const packageDir = path.resolve(srcDir, '..');
const repoRoot = path.resolve(packageDir, '../..');
const flowsDir = path.join(repoRoot, 'flows');

describe('published JSON Schemas', () => {
  it('the committed flow.schema.json and state-map.schema.json equal what `npm run schema:build` generates', () => {
    for (const [name, text] of Object.entries(schemaFiles())) {
      expect(readFileSync(path.join(packageDir, name), 'utf8'), `${name} is stale: run npm run schema:build`).toBe(text);
    }
  });

  it('declares draft 2020-12 and its $id', () => {
    const flow = JSON.parse(readFileSync(path.join(packageDir, 'flow.schema.json'), 'utf8'));
    expect(flow.$schema).toBe('https://json-schema.org/draft/2020-12/schema');
    expect(flow.$id).toBe('https://flowdesk.dev/schema/flow/v1.json');
    const map = JSON.parse(readFileSync(path.join(packageDir, 'state-map.schema.json'), 'utf8'));
    expect(map.$schema).toBe('https://json-schema.org/draft/2020-12/schema');
    expect(map.$id).toBe(schema.STATE_MAP_SCHEMA_ID);
  });

  it('are valid JSON Schemas that a stock Ajv2020 compiles in strict mode', () => {
    const ajv = new Ajv2020({ strict: true });
    for (const name of Object.keys(schemaFiles())) {
      expect(() => ajv.compile(JSON.parse(readFileSync(path.join(packageDir, name), 'utf8')))).not.toThrow();
    }
  });
});

describe('flows/', () => {
  const stateMap = JSON.parse(readFileSync(path.join(flowsDir, 'state-map.json'), 'utf8'));
  const flowFiles = readdirSync(flowsDir).filter((f) => f.endsWith('.json') && f !== 'state-map.json');

  it.each(flowFiles.length ? flowFiles : ['(none yet)'])('%s points at the flow schema and validates against the state map', (file) => {
    if (file === '(none yet)') return;
    const doc = JSON.parse(readFileSync(path.join(flowsDir, file), 'utf8'));
    expect(doc.$schema).toBe('../packages/schema/flow.schema.json');
    expect(schema.validateFlow(doc, { stateMap }).errors).toEqual([]);
  });
});

describe('browser safety', () => {
  it('imports nothing from Node in src/ (tests aside)', () => {
    const sources = readdirSync(srcDir).filter((f) => f.endsWith('.ts') && !f.endsWith('.test.ts'));
    expect(sources.length).toBeGreaterThan(5);
    for (const f of sources) {
      const text = readFileSync(path.join(srcDir, f), 'utf8');
      expect(text, f).not.toMatch(/from\s+['"](node:|fs|path|url|crypto|os)['"/]/);
      expect(text, f).not.toMatch(/\bprocess\.|\brequire\(/);
    }
  });
});

describe('index', () => {
  it('re-exports dsl, run, duration, validate, payload and state-map', () => {
    for (const name of [
      'Flow', 'outputPorts', 'requiredPorts', 'ACTION_TYPES', // dsl
      'isTerminal', 'TERMINAL_STATUSES', // run
      'parseDuration', // duration
      'validateFlow', 'flowForExport', 'KNOWN_LOGIC_OPERATORS', 'CUSTOM_LOGIC_OPERATORS', // validate
      'compilePayloadSchema', 'PayloadSchemaError', // payload
      'validateStateMap', 'canTransition', 'StateMapSchema', // state map
      'toPointer', 'parsePointer', 'flowJsonSchema', 'stateMapJsonSchema',
    ]) {
      expect(schema, name).toHaveProperty(name);
    }
  });
});

describe('durations', () => {
  it('parses <n>s|m|h|d and refuses anything else', () => {
    expect(schema.parseDuration('30s')).toBe(30_000);
    expect(schema.parseDuration('2m')).toBe(120_000);
    expect(schema.parseDuration('24h')).toBe(86_400_000);
    expect(schema.parseDuration('3d')).toBe(259_200_000);
    expect(schema.parseDuration('0s')).toBe(0);
    for (const bad of ['', '3', 'd', '1.5h', '-3d', '3 d', '3D', '1w', '36501d']) expect(() => schema.parseDuration(bad), bad).toThrow(/invalid duration/);
    expect(schema.parseDuration('36500d')).toBe(schema.MAX_DURATION_MS);
  });

  it('parses signed durations for add_duration', () => {
    expect(schema.parseSignedDuration('-3d')).toBe(-259_200_000);
    expect(schema.parseSignedDuration('1h')).toBe(3_600_000);
    expect(schema.isDuration('5m')).toBe(true);
    expect(schema.isDuration('5 m')).toBe(false);
    expect(schema.isDuration(5)).toBe(false);
  });
});

describe('JSON pointers', () => {
  it('round-trips tokens with / and ~', () => {
    const p = schema.toPointer(['nodes', 2, 'a/b', 'c~d']);
    expect(p).toBe('/nodes/2/a~1b/c~0d');
    expect(schema.parsePointer(p)).toEqual(['nodes', '2', 'a/b', 'c~d']);
    expect(schema.parsePointer('')).toEqual([]);
    expect(() => schema.parsePointer('nodes')).toThrow();
  });

  it('reads values and compares prefixes token-wise', () => {
    const doc = { nodes: [{ id: 'a' }], 'x/y': 1 };
    expect(schema.getByPointer(doc, '/nodes/0/id')).toBe('a');
    expect(schema.getByPointer(doc, '/x~1y')).toBe(1);
    expect(schema.getByPointer(doc, '/nodes/01')).toBeUndefined();
    expect(schema.getByPointer(doc, '/nodes/0/toString')).toBeUndefined();
    expect(schema.isWithinPointer('/nodes/1', '/nodes/1/id')).toBe(true);
    expect(schema.isWithinPointer('/nodes/1', '/nodes/10')).toBe(false);
    expect(schema.isWithinPointer('', '/anything')).toBe(true);
  });
});
