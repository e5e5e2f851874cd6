import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { validateFlow, flowForExport, type FlowError } from './validate.ts';
import { CUSTOM_LOGIC_OPERATORS, KNOWN_LOGIC_OPERATORS, LOGIC_ARITY } from './logic-operators.ts';
import type { Flow } from './dsl.ts';
import { leadQualificationFlow } from './fixtures.ts';
import type { StateMap } from './state-map.ts';

/** The lead flow of design.md (the shared fixture): valid as it is. Each test breaks one thing. */
function leadFlow(): any {
  return leadQualificationFlow();
}

/** trigger → a → end, with node `a` as given. */
function single(node: Record<string, unknown>, extraEdges: unknown[] = []): any {
  return {
    dsl: 1,
    id: 'single',
    name: 'Single',
    trigger: { type: 'manual' },
    nodes: [{ id: 'a', ...node }, { id: 'end', type: 'end' }],
    edges: [{ from: 'trigger', to: 'a' }, ...extraEdges],
  };
}

const stateMap: StateMap = {
  version: 1,
  entities: {
    account: {
      initial: 'captured',
      states: {
        captured: { owner: 'automation', next: ['qualified', 'disqualified'] },
        qualified: { owner: 'founder', next: [], entryAllowed: true },
        disqualified: { owner: 'automation', next: [], terminal: true, entryAllowed: true },
      },
    },
    invoice: {
      initial: 'issued',
      states: { issued: { owner: 'automation', next: ['paid'] }, paid: { owner: 'automation', next: [], terminal: true } },
    },
  },
};

const errorsOf = (doc: unknown, opts?: Parameters<typeof validateFlow>[1]): FlowError[] => validateFlow(doc, opts).errors;
const paths = (errors: FlowError[]): string[] => errors.map((e) => e.path);

describe('validateFlow: a valid flow', () => {
  it('accepts the lead flow of design.md and returns it typed', () => {
    const doc = leadFlow();
    const res = validateFlow(doc);
    expect(res.errors).toEqual([]);
    expect(res.ok).toBe(true);
    expect(res.flow).toBe(doc);
  });

  it('accepts every node type, wired', () => {
    const doc = {
      dsl: 1,
      id: 'all-types',
      name: 'All node types',
      record: { entity: 'account', key: { var: 'payload.email' } },
      cancelOn: [{ entity: 'account', state: 'disqualified' }],
      trigger: { type: 'record', entity: 'account', state: 'captured', filter: { '==': [{ var: 'record.state' }, 'captured'] } },
      nodes: [
        { id: 'c', type: 'compute', set: { due: { add_duration: [{ var: 'now' }, '3d'] }, name: { lower: [{ trim: [{ var: 'payload.name' }] }] } } },
        { id: 'w', type: 'wait', until: { var: 'vars.due' } },
        { id: 'q', type: 'qa', input: { var: 'vars.text' }, checks: { schema: { required: ['subject'] }, bannedTerms: ['guarantee'], context: { account: { var: 'record' } } } },
        { id: 'r', type: 'review', queue: 'qa', decisions: ['send', 'drop'] },
        { id: 'act', type: 'action', action: 'record.setState', params: { state: 'qualified', note: { $logic: { cat: ['by ', { var: 'run.id' }] } } } },
        { id: 'e1', type: 'end', exitState: { entity: 'account', key: { var: 'payload.email' }, state: 'qualified' } },
        { id: 'e2', type: 'end' },
        { id: 'e3', type: 'end' },
      ],
      edges: [
        { from: 'trigger', port: 'out', to: 'c' },
        { from: 'c', to: 'w' },
        { from: 'w', port: 'out', to: 'q' },
        { from: 'q', port: 'pass', to: 'act' },
        { from: 'q', port: 'fail', to: 'r' },
        { from: 'r', port: 'send', to: 'act' },
        { from: 'r', port: 'drop', to: 'e2' },
        { from: 'act', to: 'e1' },
        { from: 'act', port: 'error', to: 'e3' },
      ],
    };
    expect(errorsOf(doc, { stateMap, implementedActions: ['record.setState'] })).toEqual([]);
  });
});

describe('validateFlow: schema errors', () => {
  it('reports schema errors with JSON pointers, pointing at the missing or unknown property', () => {
    const doc = leadFlow();
    delete doc.name;
    doc.colour = 'blue';
    doc.trigger.dedupeWindow = 24;
    const errors = errorsOf(doc);
    expect(errors).toContainEqual({ path: '/name', message: "must have required property 'name'" });
    expect(errors).toContainEqual({ path: '/colour', message: 'unknown property "colour" (must NOT have additional properties)' });
    expect(errors).toContainEqual({ path: '/trigger/dedupeWindow', message: 'must be string' });
  });

  it('gives node-level errors the node id', () => {
    const doc = leadFlow();
    doc.nodes[3].queue = 7;
    expect(errorsOf(doc)).toEqual([{ path: '/nodes/3/queue', message: 'must be string', nodeId: 'manual' }]);
  });

  it("reads a node through the schema of its own type, not every branch of the node union", () => {
    const doc = leadFlow();
    delete doc.nodes[1].default; // a route without its default port
    const errors = errorsOf(doc);
    const schemaErrors = errors.filter((e) => e.path.startsWith('/nodes/1') && !e.message.includes('unreachable'));
    expect(schemaErrors).toEqual([{ path: '/nodes/1/default', message: "must have required property 'default'", nodeId: 'qualify' }]);
    expect(errors.some((e) => /anyOf|must match/.test(e.message))).toBe(false);
  });

  it('names the node types when a node has an unknown type, or none', () => {
    const doc = leadFlow();
    doc.nodes[0].type = 'calculate';
    delete doc.nodes[3].type;
    const errors = errorsOf(doc);
    expect(errors).toContainEqual({
      path: '/nodes/0/type',
      message: 'must be one of "compute", "set", "code", "route", "foreach", "action", "wait", "review", "qa", "end"',
      nodeId: 'score',
    });
    expect(errors).toContainEqual({
      path: '/nodes/3/type',
      message: `must have required property 'type' (one of "compute", "set", "code", "route", "foreach", "action", "wait", "review", "qa", "end")`,
      nodeId: 'manual',
    });
    expect(errors.filter((e) => e.path.startsWith('/nodes/0') || e.path.startsWith('/nodes/3/'))).toHaveLength(2);
  });

  it('reads nested unions (trigger, then auth) by their type too', () => {
    const doc = leadFlow();
    doc.trigger.auth = { type: 'hmac', secret: 'HOOK', header: 'x-sig' };
    expect(errorsOf(doc)).toEqual([{ path: '/trigger/auth/header', message: 'unknown property "header" (must NOT have additional properties)' }]);
    doc.trigger.auth = { type: 'basic' };
    expect(errorsOf(doc)).toContainEqual({ path: '/trigger/auth/type', message: 'must be one of "none", "token", "hmac", "stripe", "github", "shopify", "typeform", "tally", "calendly", "slack", "twilio", "signature"' });
  });

  it('says "must be one of" for unions of constants', () => {
    const doc = leadFlow();
    doc.nodes[2].severity = 'P9';
    doc.nodes[2].retry.retryOn = ['5xx', 'sometimes'];
    const errors = errorsOf(doc);
    expect(errors).toContainEqual({ path: '/nodes/2/severity', message: 'must be one of "P0", "P1", "P2"', nodeId: 'welcome' });
    expect(errors).toContainEqual({ path: '/nodes/2/retry/retryOn/1', message: 'must be one of "5xx", "429", "timeout", "network", "4xx"', nodeId: 'welcome' });
  });

  it('does not throw on documents that are not flows at all', () => {
    expect(errorsOf(null)).toEqual([{ path: '', message: 'must be object' }]);
    expect(validateFlow([]).ok).toBe(false);
    expect(validateFlow('flow').ok).toBe(false);
    fc.assert(
      fc.property(fc.jsonValue(), (v) => {
        const res = validateFlow(v);
        return res.ok === (res.errors.length === 0);
      }),
      { numRuns: 300 },
    );
  });

  it('does not throw on flows whose parts are broken in random places', () => {
    const breakAt = fc.tuple(fc.nat(), fc.jsonValue());
    fc.assert(
      fc.property(breakAt, ([n, v]) => {
        const doc = leadFlow();
        const holders: [any, string][] = [];
        const walk = (x: any): void => {
          if (x && typeof x === 'object') for (const k of Object.keys(x)) (holders.push([x, k]), walk(x[k]));
        };
        walk(doc);
        const [obj, key] = holders[n % holders.length]!;
        obj[key] = v;
        const res = validateFlow(doc);
        return Array.isArray(res.errors) && res.errors.every((e) => typeof e.path === 'string' && typeof e.message === 'string');
      }),
      { numRuns: 500 },
    );
  });
});

describe('validateFlow: node ids', () => {
  it('reports duplicate node ids', () => {
    const doc = leadFlow();
    doc.nodes.push({ id: 'score', type: 'end' });
    expect(errorsOf(doc)).toEqual([{ path: '/nodes/6/id', message: 'duplicate node id "score" (also /nodes/0)', nodeId: 'score' }]);
  });

  it('reserves the id "trigger"', () => {
    const doc = leadFlow();
    doc.nodes.push({ id: 'trigger', type: 'end' });
    expect(errorsOf(doc)).toEqual([{ path: '/nodes/6/id', message: '"trigger" is reserved: edges use it for the flow\'s trigger', nodeId: 'trigger' }]);
  });
});

describe('validateFlow: edges', () => {
  it('reports edges from and to missing nodes', () => {
    const doc = leadFlow();
    doc.edges.push({ from: 'ghost', to: 'done' }, { from: 'manual', port: 'approved', to: 'nowhere' });
    doc.edges.splice(5, 1); // the real approved edge, so the port stays single
    const errors = errorsOf(doc);
    expect(errors).toContainEqual({ path: '/edges/6/from', message: 'edge from unknown node "ghost"' });
    expect(errors).toContainEqual({ path: '/edges/7/to', message: 'edge to unknown node "nowhere"', nodeId: 'manual' });
  });

  it('refuses the trigger as an edge target', () => {
    const doc = single({ type: 'compute', set: {} }, [{ from: 'a', to: 'end' }, { from: 'end', to: 'trigger' }]);
    const errors = errorsOf(doc);
    expect(errors).toContainEqual({ path: '/edges/2/to', message: 'the trigger cannot be the target of an edge', nodeId: 'end' });
  });

  it('reports edges naming a port the source node does not have', () => {
    const doc = leadFlow();
    doc.edges[2].port = 'quick'; // route ports: fast, review
    doc.edges[4].port = 'done'; // action ports: ok, error
    doc.edges[0].port = 'start'; // the trigger's only port is out
    const errors = errorsOf(doc);
    expect(errors).toContainEqual({ path: '/edges/2/port', message: 'route node "qualify" has no port "quick" (its ports: "fast", "review")', nodeId: 'qualify' });
    expect(errors).toContainEqual({ path: '/edges/4/port', message: 'action node "welcome" has no port "done" (its ports: "ok", "error")', nodeId: 'welcome' });
    expect(errors).toContainEqual({ path: '/edges/0/port', message: 'the trigger has no port "start" (its only port is "out")' });
  });

  it('reports edges out of an end node', () => {
    const doc = leadFlow();
    doc.edges.push({ from: 'done', to: 'dropped' });
    expect(errorsOf(doc)).toContainEqual({ path: '/edges/7/from', message: 'end node "done" has no outputs', nodeId: 'done' });
  });

  it('reads an edge without port as out (single-output nodes), ok (actions) or the trigger; others must name it', () => {
    // the lead flow relies on trigger → score, score → qualify (out) and welcome → done (ok)
    expect(errorsOf(leadFlow())).toEqual([]);
    const doc = leadFlow();
    delete doc.edges[2].port; // qualify → welcome
    const errors = errorsOf(doc);
    expect(errors).toContainEqual({ path: '/edges/2', message: 'an edge from route node "qualify" must name its port (one of "fast", "review")', nodeId: 'qualify' });
    // an action edge without port is its ok port: a second one is a second ok edge
    const twice = leadFlow();
    twice.edges.push({ from: 'welcome', port: 'ok', to: 'dropped' });
    expect(errorsOf(twice)).toContainEqual({
      path: '/edges/7',
      message: 'port "ok" of node "welcome" is already wired (/edges/4): one edge per port, branches are sequential in v1',
      nodeId: 'welcome',
    });
  });

  it('reports more than one edge per output port', () => {
    const doc = leadFlow();
    doc.edges.push({ from: 'qualify', port: 'fast', to: 'manual' }, { from: 'trigger', to: 'qualify' });
    const errors = errorsOf(doc);
    expect(errors).toContainEqual({
      path: '/edges/7',
      message: 'port "fast" of node "qualify" is already wired (/edges/2): one edge per port, branches are sequential in v1',
      nodeId: 'qualify',
    });
    expect(errors).toContainEqual({ path: '/edges/8', message: 'the trigger already has an edge (/edges/0): branches are sequential in v1' });
  });
});

describe('validateFlow: required ports', () => {
  it("reports a route's default port not wired", () => {
    const doc = leadFlow();
    doc.edges.splice(3, 1); // qualify --review--> manual
    const errors = errorsOf(doc);
    expect(errors).toContainEqual({ path: '/nodes/1/default', message: 'default port "review" is not wired', nodeId: 'qualify' });
  });

  it("reports a route's rule ports not wired", () => {
    const doc = leadFlow();
    doc.nodes[1].rules.push({ port: 'vip', when: { '>': [{ var: 'payload.budget' }, 50000] } });
    expect(errorsOf(doc)).toEqual([{ path: '/nodes/1/rules/1/port', message: 'rule port "vip" is not wired', nodeId: 'qualify' }]);
  });

  it('reports review decisions not wired', () => {
    const doc = leadFlow();
    doc.edges.splice(6, 1); // manual --rejected--> dropped
    expect(errorsOf(doc)).toContainEqual({ path: '/nodes/3/decisions/1', message: 'decision "rejected" is not wired', nodeId: 'manual' });
  });

  it('reports qa pass/fail not wired', () => {
    const doc = single({ type: 'qa', input: { var: 'payload' }, checks: {} }, [{ from: 'a', port: 'pass', to: 'end' }]);
    expect(errorsOf(doc)).toEqual([{ path: '/nodes/0', message: 'port "fail" is not wired', nodeId: 'a' }]);
  });

  it("reports an action's ok port not wired, and lets its error port be", () => {
    const doc = single({ type: 'action', action: 'alert.raise', params: { message: 'x' } }, [{ from: 'a', port: 'error', to: 'end' }]);
    expect(errorsOf(doc)).toEqual([{ path: '/nodes/0', message: 'port "ok" is not wired', nodeId: 'a' }]);
    const okOnly = single({ type: 'action', action: 'alert.raise', params: { message: 'x' } }, [{ from: 'a', to: 'end' }]);
    expect(errorsOf(okOnly)).toEqual([]);
  });

  it("reports a compute or wait node's out port not wired", () => {
    expect(errorsOf(single({ type: 'compute', set: {} }))).toContainEqual({ path: '/nodes/0', message: 'port "out" is not wired', nodeId: 'a' });
    expect(errorsOf(single({ type: 'wait', for: '1d' }))).toContainEqual({ path: '/nodes/0', message: 'port "out" is not wired', nodeId: 'a' });
  });
});

describe('validateFlow: the trigger, reachability and cycles', () => {
  it('reports no edge from the trigger', () => {
    const doc = leadFlow();
    doc.edges.splice(0, 1);
    const errors = errorsOf(doc);
    expect(errors).toContainEqual({ path: '/trigger', message: 'no edge from the trigger: the flow never starts' });
  });

  it('reports unreachable nodes', () => {
    const doc = leadFlow();
    doc.nodes.push({ id: 'orphan', type: 'compute', set: {} }, { id: 'orphan-end', type: 'end' });
    doc.edges.push({ from: 'orphan', to: 'orphan-end' });
    expect(errorsOf(doc)).toEqual([
      { path: '/nodes/6', message: 'node "orphan" is unreachable from the trigger', nodeId: 'orphan' },
      { path: '/nodes/7', message: 'node "orphan-end" is unreachable from the trigger', nodeId: 'orphan-end' },
    ]);
  });

  function loop(middle: Record<string, unknown>, middlePort?: string): any {
    // trigger → a (compute) → m → r (route: again → a, default → end)
    return {
      dsl: 1,
      id: 'loop',
      name: 'Loop',
      trigger: { type: 'manual' },
      nodes: [
        { id: 'a', type: 'compute', set: { n: { '+': [{ var: 'vars.n' }, 1] } } },
        { id: 'm', ...middle },
        { id: 'r', type: 'route', rules: [{ port: 'again', when: { '<': [{ var: 'vars.n' }, 3] } }], default: 'stop' },
        { id: 'end', type: 'end' },
      ],
      edges: [
        { from: 'trigger', to: 'a' },
        { from: 'a', to: 'm' },
        { from: 'm', ...(middlePort ? { port: middlePort } : {}), to: 'r' },
        { from: 'r', port: 'again', to: 'a' },
        { from: 'r', port: 'stop', to: 'end' },
      ],
    };
  }

  it('reports a cycle that does not pass through a wait or review node', () => {
    expect(errorsOf(loop({ type: 'compute', set: {} }))).toEqual([
      { path: '/nodes/0', message: 'cycle "a" → "m" → "r" → "a" does not pass through a wait or review node', nodeId: 'a' },
    ]);
  });

  it('accepts a cycle through a wait node or a review node', () => {
    expect(errorsOf(loop({ type: 'wait', for: '1d' }))).toEqual([]);
    const review = loop({ type: 'review', queue: 'q', decisions: ['next'] }, 'next');
    expect(errorsOf(review)).toEqual([]);
  });

  it('reports a self-loop, once', () => {
    const doc = single({ type: 'route', rules: [{ port: 'again', when: true }], default: 'done' }, [
      { from: 'a', port: 'again', to: 'a' },
      { from: 'a', port: 'done', to: 'end' },
    ]);
    expect(errorsOf(doc)).toEqual([{ path: '/nodes/0', message: 'cycle "a" → "a" does not pass through a wait or review node', nodeId: 'a' }]);
  });
});

describe('validateFlow: JSON-Logic operators', () => {
  const bad = { frobnicate: [1] };

  it('reports unknown operators in every Logic field, at the pointer of the operation', () => {
    const doc = leadFlow();
    doc.trigger.idempotencyKey = bad;
    doc.trigger.filter = { and: [true, bad] };
    doc.record = { entity: 'account', key: bad };
    doc.nodes[0].set.fit = { if: [bad, 1, 0] };
    doc.nodes[1].rules[0].when = { '>=': [{ var: 'vars.fit' }, { frobnicate: 70 }] };
    doc.nodes[4].exitState.key = bad;
    doc.nodes[2].params.body = { email: '{{payload.email}}', score: { $logic: { '*': [bad, 2] } } };
    doc.nodes.push(
      { id: 'w', type: 'wait', until: bad },
      { id: 'q', type: 'qa', input: bad, checks: { context: { account: bad, stage: { var: 'record.state' } } } },
    );
    const errors = errorsOf(doc).filter((e) => e.message.startsWith('unknown JSON-Logic operator'));
    expect(paths(errors).sort()).toEqual(
      [
        '/trigger/idempotencyKey',
        '/trigger/filter/and/1',
        '/record/key',
        '/nodes/0/set/fit/if/0',
        '/nodes/1/rules/0/when/>=/1',
        '/nodes/4/exitState/key',
        '/nodes/2/params/body/score/$logic/*/0',
        '/nodes/6/until',
        '/nodes/7/input',
        '/nodes/7/checks/context/account',
      ].sort(),
    );
    expect(errors[0]!.message).toBe('unknown JSON-Logic operator "frobnicate"');
    expect(errors.find((e) => e.path === '/nodes/0/set/fit/if/0')!.nodeId).toBe('score');
  });

  it('reads a bare one-key object in action params as data, not an operator', () => {
    const doc = leadFlow();
    doc.nodes[2].params.body = { customer: { email: '{{payload.email}}' }, tags: [{ source: 'web' }] };
    expect(errorsOf(doc)).toEqual([]);
  });

  it('knows every json-logic-js operator and the custom ones', async () => {
    const jsonLogic = (await import('json-logic-js')).default;
    const custom = new Set<string>(CUSTOM_LOGIC_OPERATORS);
    for (const op of KNOWN_LOGIC_OPERATORS.filter((o) => !custom.has(o) && o !== 'log')) {
      // json-logic-js throws "Unrecognized operation" for an operator it lacks
      expect(() => jsonLogic.apply({ [op]: [] } as never, {}), op).not.toThrow(/Unrecognized operation/);
    }
    expect(() => jsonLogic.apply({ frobnicate: [] } as never, {})).toThrow(/Unrecognized operation/);
    // each with as many arguments as it takes (arities are checked too)
    const doc = single({ type: 'compute', set: Object.fromEntries(KNOWN_LOGIC_OPERATORS.map((op, i) => [`v${i}`, { [op]: Array(LOGIC_ARITY[op]![0]).fill(1) }])) }, [{ from: 'a', to: 'end' }]);
    expect(errorsOf(doc)).toEqual([]);
    expect(CUSTOM_LOGIC_OPERATORS).toEqual(['add_duration', 'days_between', 'lower', 'upper', 'trim', 'coalesce', 'length', 'round']);
  });

  it('reads multi-key objects as data, and walks operators nested in arguments', () => {
    const doc = single(
      { type: 'compute', set: { x: { map: [{ var: 'payload.items' }, { upper: { nope: 1 } }] }, y: { a: 1, b: { nope: 2 } } } },
      [{ from: 'a', to: 'end' }],
    );
    expect(paths(errorsOf(doc))).toEqual(['/nodes/0/set/x/map/1/upper']);
  });
});

describe('validateFlow: payload schemas', () => {
  it('reports a trigger payload schema that AJV refuses to compile', () => {
    const doc = leadFlow();
    doc.trigger.payloadSchema = { type: 'object', requried: ['email'] };
    expect(errorsOf(doc)).toEqual([
      { path: '/trigger/payloadSchema', message: 'payload schema does not compile: strict mode: unknown keyword: "requried"' },
    ]);
  });

  it('reports a qa checks.schema that AJV refuses to compile', () => {
    const doc = single({ type: 'qa', input: { var: 'vars.draft' }, checks: { schema: { type: 'strnig' } } }, [
      { from: 'a', port: 'pass', to: 'end' },
      { from: 'a', port: 'fail', to: 'end' },
    ]);
    const errors = errorsOf(doc);
    expect(errors).toHaveLength(1);
    expect(errors[0]).toMatchObject({ path: '/nodes/0/checks/schema', nodeId: 'a' });
    expect(errors[0]!.message).toMatch(/^schema does not compile: schema is invalid/);
  });

  it('accepts real-world schemas: no `type`, required not listed in properties, formats', () => {
    for (const payloadSchema of [
      { required: ['email'], properties: { email: { format: 'email' } } },
      { type: 'object', required: ['email', 'other'], properties: { email: { type: 'string' } } },
      { properties: { when: { type: 'string', format: 'date-time' }, tags: { items: { type: 'string' } } } },
      true,
    ]) {
      const doc = leadFlow();
      doc.trigger.payloadSchema = payloadSchema;
      expect(errorsOf(doc), JSON.stringify(payloadSchema)).toEqual([]);
    }
  });
});

describe('validateFlow: node content', () => {
  it('reports an auth type other than none without a secret name', () => {
    const doc = leadFlow();
    doc.trigger.auth = { type: 'stripe' };
    expect(errorsOf(doc)).toEqual([
      {
        path: '/trigger/auth/secret',
        message: 'auth "stripe" needs a secret name, e.g. "LEADS_HOOK" (the value comes from FLOWDESK_SECRET_LEADS_HOOK; a flow never holds it)',
      },
    ]);
    doc.trigger.auth = { type: 'token', secret: 'LEADS_HOOK', header: 'x-token' };
    expect(errorsOf(doc)).toEqual([]);
  });

  it('reports a wait node with neither or both of for and until', () => {
    const neither = single({ type: 'wait' }, [{ from: 'a', to: 'end' }]);
    expect(errorsOf(neither)).toEqual([
      { path: '/nodes/0', message: 'a wait node needs "for" (a duration such as "3d") or "until" (JSON-Logic giving an ISO time)', nodeId: 'a' },
    ]);
    const both = single({ type: 'wait', for: '1d', until: { var: 'vars.at' } }, [{ from: 'a', to: 'end' }]);
    expect(errorsOf(both)).toEqual([{ path: '/nodes/0', message: 'a wait node takes "for" or "until", not both', nodeId: 'a' }]);
  });

  it('reports a route node with duplicate rule ports', () => {
    const doc = leadFlow();
    doc.nodes[1].rules.push({ port: 'fast', when: { '==': [{ var: 'payload.source' }, 'referral'] } });
    expect(errorsOf(doc)).toEqual([
      { path: '/nodes/1/rules/1/port', message: 'duplicate rule port "fast" (rule 0 has it too): combine the conditions with "or"', nodeId: 'qualify' },
    ]);
  });

  it('reports durations that do not parse, once per field, wherever a duration goes', () => {
    const doc = leadFlow();
    doc.trigger.dedupeWindow = '1 day';
    doc.sla = { within: '2w' };
    doc.nodes[2].retry.delays[1] = '2min';
    doc.nodes[2].timeout = '-5s';
    doc.nodes[3].sla = { within: '99999999d' };
    const errors = errorsOf(doc);
    expect(errors).toEqual([
      { path: '/trigger/dedupeWindow', message: 'invalid duration "1 day": expected <n>s, <n>m, <n>h or <n>d' },
      { path: '/sla/within', message: 'invalid duration "2w": expected <n>s, <n>m, <n>h or <n>d' },
      { path: '/nodes/2/timeout', message: 'invalid duration "-5s": expected <n>s, <n>m, <n>h or <n>d', nodeId: 'welcome' },
      { path: '/nodes/2/retry/delays/1', message: 'invalid duration "2min": expected <n>s, <n>m, <n>h or <n>d', nodeId: 'welcome' },
      { path: '/nodes/3/sla/within', message: 'invalid duration "99999999d": longer than 100 years (36500d)', nodeId: 'manual' },
    ]);
  });

  it('checks literal durations given to add_duration (which may be negative)', () => {
    const doc = single({ type: 'compute', set: { a: { add_duration: [{ var: 'now' }, '-3d'] }, b: { add_duration: [{ var: 'now' }, '3 days'] } } }, [
      { from: 'a', to: 'end' },
    ]);
    expect(errorsOf(doc)).toEqual([
      { path: '/nodes/0/set/b/add_duration/1', message: 'invalid duration "3 days": expected <n>s, <n>m, <n>h or <n>d', nodeId: 'a' },
    ]);
  });

  it('reports an action type not implemented yet, when the implemented ones are given', () => {
    const doc = leadFlow();
    doc.nodes[2].action = 'email.send';
    doc.nodes[2].params = { to: '{{payload.email}}', subject: 'Hello', text: 'Thanks' };
    expect(errorsOf(doc)).toEqual([]);
    expect(errorsOf(doc, { implementedActions: ['http.request', 'record.setState', 'alert.raise'] })).toEqual([
      { path: '/nodes/2/action', message: 'email.send is not implemented yet', nodeId: 'welcome' },
    ]);
  });
});

describe('validateFlow: the state map', () => {
  it('reports a record trigger naming an entity or state not in the state map', () => {
    const doc = single({ type: 'compute', set: {} }, [{ from: 'a', to: 'end' }]);
    doc.trigger = { type: 'record', entity: 'acount', state: 'won' };
    expect(errorsOf(doc)).toEqual([]); // no state map: nothing to check against
    expect(errorsOf(doc, { stateMap })).toEqual([{ path: '/trigger/entity', message: 'unknown entity "acount" (the state map has "account", "invoice")' }]);
    doc.trigger.entity = 'account';
    expect(errorsOf(doc, { stateMap })).toEqual([
      { path: '/trigger/state', message: 'unknown state "won" for account (its states: "captured", "qualified", "disqualified")' },
    ]);
  });

  it('reports cancelOn, exitState and record.setState naming unknown entities or states', () => {
    const doc = leadFlow();
    doc.cancelOn = [{ entity: 'invoice', state: 'paid' }, { entity: 'invoice', state: 'settled' }, { entity: 'deal', state: 'won' }];
    doc.nodes[5].exitState.state = 'rejected';
    doc.nodes[2] = { id: 'welcome', type: 'action', action: 'record.setState', params: { entity: 'account', key: '{{payload.email}}', state: 'hot' } };
    expect(errorsOf(doc, { stateMap })).toEqual([
      { path: '/cancelOn/1/state', message: 'unknown state "settled" for invoice (its states: "issued", "paid")' },
      { path: '/cancelOn/2/entity', message: 'unknown entity "deal" (the state map has "account", "invoice")' },
      { path: '/nodes/2/params/state', message: 'unknown state "hot" for account (its states: "captured", "qualified", "disqualified")', nodeId: 'welcome' },
      { path: '/nodes/5/exitState/state', message: 'unknown state "rejected" for account (its states: "captured", "qualified", "disqualified")', nodeId: 'dropped' },
    ]);
  });

  it('leaves templated setState params to run time', () => {
    const doc = leadFlow();
    doc.nodes[2] = { id: 'welcome', type: 'action', action: 'record.setState', params: { entity: 'account', key: '{{payload.email}}', state: '{{vars.next}}' } };
    expect(errorsOf(doc, { stateMap })).toEqual([]);
  });
});

describe('validateFlow: every error at once', () => {
  it('returns all errors of a badly broken flow in one answer', () => {
    const doc = leadFlow();
    doc.nodes.push({ id: 'score', type: 'end' }); // duplicate id
    doc.nodes[1].rules[0].when = { nope: 1 }; // unknown operator
    doc.trigger.auth = { type: 'token' }; // no secret
    doc.edges.push({ from: 'welcome', to: 'ghost' }); // missing node (and a second ok edge)
    doc.nodes[3].decisions = []; // schema: minItems
    const errors = errorsOf(doc, { implementedActions: [] });
    expect(paths(errors)).toEqual(
      expect.arrayContaining(['/nodes/6/id', '/nodes/1/rules/0/when', '/trigger/auth/secret', '/edges/7/to', '/nodes/3/decisions', '/nodes/2/action']),
    );
    expect(validateFlow(doc).ok).toBe(false);
    expect(validateFlow(doc).flow).toBeUndefined();
  });

});

describe('flowForExport', () => {
  it('drops the runtime-assigned version and keeps the rest', () => {
    const doc: Flow = { ...leadFlow(), version: 7 };
    const out = flowForExport(doc);
    expect('version' in out).toBe(false);
    expect(out).toEqual(leadFlow());
    expect(doc.version).toBe(7); // the input is left as it was
  });
});
