import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import type { Logger } from '../observability/logger.ts';
import { createLogger, runLogger } from './logger.ts';

function capture(): { stream: Writable; lines: () => Record<string, unknown>[] } {
  let buf = '';
  const stream = new Writable({
    write(chunk, _enc, cb) {
      buf += chunk.toString();
      cb();
    },
  });
  return { stream, lines: () => buf.split('\n').filter((l) => l !== '').map((l) => JSON.parse(l) as Record<string, unknown>) };
}

describe('logger', () => {
  it('writes JSON lines; a run logger puts runId and flowId on every line', () => {
    const out = capture();
    const log = createLogger({ level: 'info', destination: out.stream, env: {} });
    const rl = runLogger(log, { id: 'run-42', flowId: 'lead-qualification' });
    rl.info({ nodeId: 'crm', attempt: 1 }, 'action started');
    rl.warn('retry scheduled');
    rl.child({ nodeId: 'score' }).error({ err: new Error('boom') }, 'step failed');
    log.info('not a run line');
    const lines = out.lines();
    expect(lines).toHaveLength(4);
    for (const l of lines.slice(0, 3)) expect(l).toMatchObject({ runId: 'run-42', flowId: 'lead-qualification', service: 'flowdesk' });
    expect(lines[0]).toMatchObject({ level: 'info', msg: 'action started', nodeId: 'crm', attempt: 1 });
    expect(lines[1]).toMatchObject({ level: 'warn', msg: 'retry scheduled' });
    expect(lines[2]).toMatchObject({ level: 'error', nodeId: 'score', msg: 'step failed', err: { message: 'boom', type: 'Error' } });
    expect(lines[3].runId).toBeUndefined();
    expect(typeof lines[0].time).toBe('string');
    expect(Number.isNaN(Date.parse(lines[0].time as string))).toBe(false);
  });

  it('the level comes from FLOWDESK_LOG_LEVEL, default info; lines below it are dropped', () => {
    const a = capture();
    const warnOnly = createLogger({ destination: a.stream, env: { FLOWDESK_LOG_LEVEL: 'warn' } });
    warnOnly.debug('d');
    warnOnly.info('i');
    warnOnly.warn('w');
    warnOnly.error('e');
    expect(a.lines().map((l) => l.msg)).toEqual(['w', 'e']);

    const b = capture();
    const def = createLogger({ destination: b.stream, env: {} });
    def.debug('d');
    def.info('i');
    expect(b.lines().map((l) => l.msg)).toEqual(['i']);

    const c = capture();
    const dbg = createLogger({ destination: c.stream, env: { FLOWDESK_LOG_LEVEL: 'DEBUG' } });
    runLogger(dbg, { id: 'r', flowId: 'f' }).debug('d');
    expect(c.lines()).toMatchObject([{ level: 'debug', msg: 'd', runId: 'r' }]);

    const d = capture();
    const explicit = createLogger({ level: 'error', destination: d.stream, env: { FLOWDESK_LOG_LEVEL: 'debug' } });
    explicit.warn('w');
    expect(d.lines()).toEqual([]);
  });

  it('refuses an unknown level', () => {
    expect(() => createLogger({ env: { FLOWDESK_LOG_LEVEL: 'loud' } })).toThrow(/FLOWDESK_LOG_LEVEL must be one of/);
  });

  it('censors credential headers in logged objects; fits the runtime Logger interface', () => {
    const out = capture();
    const log: Logger = createLogger({ destination: out.stream, env: {} });
    log.info({ headers: { authorization: 'Bearer abc', 'content-type': 'application/json' }, req: { headers: { 'stripe-signature': 't=1,v1=x' } } }, 'hook');
    expect(out.lines()[0]).toMatchObject({
      headers: { authorization: '[redacted]', 'content-type': 'application/json' },
      req: { headers: { 'stripe-signature': '[redacted]' } },
    });
  });
});
