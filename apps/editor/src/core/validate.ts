// Live validation: the shared validateFlow (the runtime's own checks) plus the editor's note on
// conditions left incomplete in the rule builder. Every error is pinned to a node where it can be.
import type { Flow } from '@flowdesk/schema';
import { loadSchema } from './shared.ts';

export interface FlowError {
  path: string;
  message: string;
  nodeId?: string;
}

/** The node a JSON pointer into the document points at. */
export function nodeIdForPath(doc: unknown, path: string): string | undefined {
  const parts = path.replace(/^#?\//, '').split(/[/.]/);
  if (parts[0] === 'trigger') return 'trigger';
  const d = doc as { nodes?: { id?: string }[]; edges?: { from?: string }[] };
  if (parts[0] === 'nodes' && parts[1] !== undefined) {
    const n = d.nodes?.[Number(parts[1].replace(/\[|\]/g, ''))];
    return typeof n?.id === 'string' ? n.id : undefined;
  }
  if (parts[0] === 'edges' && parts[1] !== undefined) {
    const e = d.edges?.[Number(parts[1])];
    return typeof e?.from === 'string' ? e.from : undefined;
  }
  const m = /^nodes\[(\d+)\]/.exec(path);
  if (m) return d.nodes?.[Number(m[1])]?.id;
  return undefined;
}

function basicChecks(doc: unknown): FlowError[] {
  const errs: FlowError[] = [];
  if (!doc || typeof doc !== 'object' || Array.isArray(doc)) return [{ path: '', message: 'a flow must be a JSON object' }];
  const f = doc as Partial<Flow>;
  if (f.dsl !== 1) errs.push({ path: '/dsl', message: 'dsl must be 1' });
  if (typeof f.id !== 'string' || !/^[a-z0-9][a-z0-9_-]{0,63}$/.test(f.id)) errs.push({ path: '/id', message: 'id must be a lower-case id' });
  if (typeof f.name !== 'string' || !f.name) errs.push({ path: '/name', message: 'name is required' });
  if (!f.trigger || typeof f.trigger !== 'object') errs.push({ path: '/trigger', message: 'trigger is required' });
  if (!Array.isArray(f.nodes)) errs.push({ path: '/nodes', message: 'nodes must be an array' });
  if (!Array.isArray(f.edges)) errs.push({ path: '/edges', message: 'edges must be an array' });
  return errs;
}

export async function validateDoc(doc: unknown): Promise<{ ok: boolean; errors: FlowError[]; warnings: FlowError[] }> {
  let errors: FlowError[];
  let warnings: FlowError[] = [];
  try {
    const shared = await loadSchema();
    const r = shared.validateFlow(doc);
    errors = r.errors.map((e) => ({ ...e, nodeId: e.nodeId ?? nodeIdForPath(doc, e.path) }));
    warnings = r.warnings.map((e) => ({ ...e, nodeId: e.nodeId ?? nodeIdForPath(doc, e.path) }));
  } catch (e) {
    errors = [...basicChecks(doc), { path: '', message: `validator: ${(e as Error).message}` }];
  }
  const f = doc as Partial<Flow>;
  // (rules.ts brings react-querybuilder's JSON-Logic parser: loaded with the validator, after the first render)
  const { incompleteConditions } = await import('./rules.ts');
  if (Array.isArray(f.nodes)) {
    f.nodes.forEach((n, i) => {
      if (n && n.type === 'route' && Array.isArray(n.rules)) {
        n.rules.forEach((r, j) => {
          for (const m of incompleteConditions(r?.when)) {
            errors.push({ path: `/nodes/${i}/rules/${j}/when`, message: `rule “${r.port}”: ${m}`, nodeId: n.id });
          }
        });
      }
    });
  }
  return { ok: errors.length === 0, errors, warnings };
}

export async function payloadErrors(payloadSchema: unknown, payload: unknown): Promise<{ path: string; message: string }[]> {
  if (!payloadSchema) return [];
  try {
    const shared = await loadSchema();
    return shared.compilePayloadSchema(payloadSchema).validate(payload);
  } catch (e) {
    return [{ path: '', message: `payload contract: ${(e as Error).message}` }];
  }
}
