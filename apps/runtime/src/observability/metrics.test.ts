import { Counter, Histogram } from 'prom-client';
import { describe, expect, it, vi } from 'vitest';
import { createMetrics, MAX_WEBHOOK_PATHS } from './metrics.ts';

interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

/** A small parser of the Prometheus text format (0.0.4): samples, # TYPE lines. */
function parse(text: string): { samples: Sample[]; types: Map<string, string> } {
  const samples: Sample[] = [];
  const types = new Map<string, string>();
  for (const line of text.split('\n')) {
    if (line === '') continue;
    if (line.startsWith('#')) {
      const m = /^# TYPE (\S+) (\S+)$/.exec(line);
      if (m) types.set(m[1], m[2]);
      continue;
    }
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})?\s+(\S+)(?:\s+\d+)?$/.exec(line);
    if (!m) throw new Error(`unparseable line: ${line}`);
    const labels: Record<string, string> = {};
    const re = /([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)",?/g;
    let lm: RegExpExecArray | null;
    let consumed = 0;
    while ((lm = re.exec(m[2] ?? '')) !== null) {
      labels[lm[1]] = lm[2].replace(/\\(.)/g, (_, c: string) => (c === 'n' ? '\n' : c));
      consumed += lm[0].length;
    }
    expect(consumed, line).toBe((m[2] ?? '').length);
    // the format allows NaN (Go's ParseFloat, case-insensitive); prom-client writes "Nan" for an
    // event-loop lag not yet sampled. Our own series must never be NaN.
    const v = m[3] === '+Inf' ? Infinity : m[3] === '-Inf' ? -Infinity : /^nan$/i.test(m[3]) ? NaN : Number(m[3]);
    if (!/^nan$/i.test(m[3])) expect(Number.isNaN(v), line).toBe(false);
    if (m[1].startsWith('flowdesk_')) expect(Number.isNaN(v), line).toBe(false);
    samples.push({ name: m[1], labels, value: v });
  }
  return { samples, types };
}

const find = (ss: Sample[], name: string, labels: Record<string, string>) =>
  ss.filter((s) => s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v));
const value = (ss: Sample[], name: string, labels: Record<string, string>) => {
  const f = find(ss, name, labels);
  expect(f, `${name} ${JSON.stringify(labels)}`).toHaveLength(1);
  return f[0].value;
};

describe('metrics', () => {
  it('exposes runs, step durations, queue depths, webhook responses and process metrics', async () => {
    const m = createMetrics();
    m.runFinished('lead-qualification', 'succeeded');
    m.runFinished('lead-qualification', 'succeeded');
    m.runFinished('lead-qualification', 'dead');
    m.runFinished('invoice-reminders', 'succeeded');
    m.stepFinished('lead-qualification', 'crm', 40); // 0.04 s
    m.stepFinished('lead-qualification', 'crm', 120); // 0.12 s
    m.stepFinished('lead-qualification', 'score', 0.5);
    m.webhookResponse('lead', 202, 0.8);
    m.webhookResponse('lead', 202, 30);
    m.webhookResponse('lead', 422);
    m.webhookResponse('nope', '404', 0.2);
    let calls = 0;
    m.setQueueDepthSource(async () => {
      calls += 1;
      return { timers: 7, deadLetters: 2, reviews: 5, runner: 3 };
    });

    const text = await m.text();
    expect(m.contentType).toMatch(/^text\/plain; version=0\.0\.4/);
    const { samples: ss, types } = parse(text);
    expect(calls).toBe(1);

    expect(types.get('flowdesk_runs_total')).toBe('counter');
    expect(value(ss, 'flowdesk_runs_total', { flow: 'lead-qualification', status: 'succeeded' })).toBe(2);
    expect(value(ss, 'flowdesk_runs_total', { flow: 'lead-qualification', status: 'dead' })).toBe(1);
    expect(value(ss, 'flowdesk_runs_total', { flow: 'invoice-reminders', status: 'succeeded' })).toBe(1);
    expect(find(ss, 'flowdesk_runs_total', {})).toHaveLength(3);

    expect(types.get('flowdesk_step_duration_seconds')).toBe('histogram');
    const crm = { flow: 'lead-qualification', node: 'crm' };
    expect(value(ss, 'flowdesk_step_duration_seconds_bucket', { ...crm, le: '0.025' })).toBe(0);
    expect(value(ss, 'flowdesk_step_duration_seconds_bucket', { ...crm, le: '0.05' })).toBe(1);
    expect(value(ss, 'flowdesk_step_duration_seconds_bucket', { ...crm, le: '0.1' })).toBe(1);
    expect(value(ss, 'flowdesk_step_duration_seconds_bucket', { ...crm, le: '0.25' })).toBe(2);
    expect(value(ss, 'flowdesk_step_duration_seconds_bucket', { ...crm, le: '+Inf' })).toBe(2);
    expect(value(ss, 'flowdesk_step_duration_seconds_sum', crm)).toBeCloseTo(0.16, 12);
    expect(value(ss, 'flowdesk_step_duration_seconds_count', crm)).toBe(2);
    expect(value(ss, 'flowdesk_step_duration_seconds_bucket', { flow: 'lead-qualification', node: 'score', le: '0.001' })).toBe(1);

    expect(types.get('flowdesk_queue_depth')).toBe('gauge');
    expect(value(ss, 'flowdesk_queue_depth', { queue: 'timers' })).toBe(7);
    expect(value(ss, 'flowdesk_queue_depth', { queue: 'dead_letters' })).toBe(2);
    expect(value(ss, 'flowdesk_queue_depth', { queue: 'reviews' })).toBe(5);
    expect(value(ss, 'flowdesk_queue_depth', { queue: 'runner' })).toBe(3);

    expect(value(ss, 'flowdesk_webhook_responses_total', { path: 'lead', status: '202' })).toBe(2);
    expect(value(ss, 'flowdesk_webhook_responses_total', { path: 'lead', status: '422' })).toBe(1);
    expect(value(ss, 'flowdesk_webhook_responses_total', { path: 'nope', status: '404' })).toBe(1);
    // answer times by path: the untimed 422 counts as a response only
    expect(types.get('flowdesk_webhook_duration_seconds')).toBe('histogram');
    expect(value(ss, 'flowdesk_webhook_duration_seconds_count', { path: 'lead' })).toBe(2);
    expect(value(ss, 'flowdesk_webhook_duration_seconds_bucket', { path: 'lead', le: '0.0005' })).toBe(0);
    expect(value(ss, 'flowdesk_webhook_duration_seconds_bucket', { path: 'lead', le: '0.001' })).toBe(1);
    expect(value(ss, 'flowdesk_webhook_duration_seconds_bucket', { path: 'lead', le: '0.015' })).toBe(1);
    expect(value(ss, 'flowdesk_webhook_duration_seconds_bucket', { path: 'lead', le: '0.025' })).toBe(1);
    expect(value(ss, 'flowdesk_webhook_duration_seconds_bucket', { path: 'lead', le: '0.05' })).toBe(2);
    expect(value(ss, 'flowdesk_webhook_duration_seconds_sum', { path: 'lead' })).toBeCloseTo(0.0308, 12);
    expect(value(ss, 'flowdesk_webhook_duration_seconds_bucket', { path: 'nope', le: '0.0005' })).toBe(1);

    // default process metrics
    expect(types.get('process_cpu_user_seconds_total')).toBe('counter');
    expect(find(ss, 'process_resident_memory_bytes', {}).length + find(ss, 'nodejs_heap_size_used_bytes', {}).length).toBeGreaterThan(0);
    expect(find(ss, 'nodejs_eventloop_lag_seconds', {})).toHaveLength(1);
  });

  it('queue depths follow the source at each scrape; a failing source keeps the last values', async () => {
    const m = createMetrics({ defaultMetrics: false });
    let depth = { timers: 1, deadLetters: 0, reviews: 0 };
    let fail = false;
    m.setQueueDepthSource(async () => {
      if (fail) throw new Error('store closed');
      return depth;
    });
    expect(value(parse(await m.text()).samples, 'flowdesk_queue_depth', { queue: 'timers' })).toBe(1);
    depth = { timers: 3, deadLetters: 1, reviews: 4 };
    expect(value(parse(await m.text()).samples, 'flowdesk_queue_depth', { queue: 'timers' })).toBe(3);
    fail = true;
    const ss = parse(await m.text()).samples;
    expect(value(ss, 'flowdesk_queue_depth', { queue: 'timers' })).toBe(3);
    expect(value(ss, 'flowdesk_queue_depth', { queue: 'reviews' })).toBe(4);
  });

  it('cluster instances and orphaned runs follow the source, read once per scrape; none without one', async () => {
    const m = createMetrics({ defaultMetrics: false });
    expect(parse(await m.text()).samples.filter((s) => s.name.startsWith('flowdesk_cluster_instances'))).toEqual([]); // the embedded store: no source
    let list = [{ alive: true, openRuns: 2 }, { alive: true, openRuns: 0 }];
    let reads = 0;
    let fail = false;
    m.setClusterSource(async () => {
      reads++;
      if (fail) throw new Error('database gone');
      return list;
    });
    let ss = parse(await m.text()).samples;
    expect(value(ss, 'flowdesk_cluster_instances', { alive: 'true' })).toBe(2);
    expect(value(ss, 'flowdesk_cluster_instances', { alive: 'false' })).toBe(0);
    expect(value(ss, 'flowdesk_cluster_orphaned_runs', {})).toBe(0);
    expect(reads).toBe(1); // both gauges from one read
    list = [{ alive: true, openRuns: 2 }, { alive: false, openRuns: 5 }, { alive: false, openRuns: 1 }];
    ss = parse(await m.text()).samples;
    expect(value(ss, 'flowdesk_cluster_instances', { alive: 'true' })).toBe(1);
    expect(value(ss, 'flowdesk_cluster_instances', { alive: 'false' })).toBe(2);
    expect(value(ss, 'flowdesk_cluster_orphaned_runs', {})).toBe(6);
    fail = true;
    ss = parse(await m.text()).samples; // the scrape still answers, with the last values
    expect(value(ss, 'flowdesk_cluster_instances', { alive: 'false' })).toBe(2);
  });

  it('registries are separate: two instances in one process, no shared counts', async () => {
    const a = createMetrics();
    const b = createMetrics();
    a.runFinished('x', 'succeeded');
    const sb = parse(await b.text()).samples;
    expect(find(sb, 'flowdesk_runs_total', {})).toHaveLength(0);
    expect(value(parse(await a.text()).samples, 'flowdesk_runs_total', { flow: 'x', status: 'succeeded' })).toBe(1);
  });

  it('label values are escaped; webhook path labels are capped', async () => {
    const m = createMetrics({ defaultMetrics: false });
    m.runFinished('we"ird\\flow', 'succeeded');
    for (let i = 0; i < MAX_WEBHOOK_PATHS + 5; i += 1) m.webhookResponse(`probe-${i}`, 404, 1);
    const ss = parse(await m.text()).samples;
    expect(value(ss, 'flowdesk_runs_total', { flow: 'we"ird\\flow' })).toBe(1);
    const hooks = find(ss, 'flowdesk_webhook_responses_total', {});
    expect(hooks).toHaveLength(MAX_WEBHOOK_PATHS + 1);
    expect(value(ss, 'flowdesk_webhook_responses_total', { path: 'other', status: '404' })).toBe(5);
    // the answer times are capped the same way
    expect(find(ss, 'flowdesk_webhook_duration_seconds_count', {})).toHaveLength(MAX_WEBHOOK_PATHS + 1);
    expect(value(ss, 'flowdesk_webhook_duration_seconds_count', { path: 'other' })).toBe(5);
  });

  it('the hot path resolves each labelled child once, then only counts (speed itself is measured by bench/)', async () => {
    const counterLabels = vi.spyOn(Counter.prototype, 'labels');
    const histogramLabels = vi.spyOn(Histogram.prototype, 'labels');
    try {
      const m = createMetrics({ defaultMetrics: false });
      for (let i = 0; i < 100_000; i += 1) {
        m.runFinished('lead-qualification', 'succeeded');
        m.stepFinished('lead-qualification', 'crm', i % 500);
      }
      m.runFinished('lead-qualification', 'dead');
      expect(counterLabels).toHaveBeenCalledTimes(2); // (lead-qualification, succeeded) and (…, dead)
      expect(histogramLabels).toHaveBeenCalledTimes(1);
      const text = await m.text();
      expect(text).toContain('flowdesk_runs_total{flow="lead-qualification",status="succeeded"} 100000');
      expect(text).toContain('flowdesk_step_duration_seconds_count{flow="lead-qualification",node="crm"} 100000');
    } finally {
      counterLabels.mockRestore();
      histogramLabels.mockRestore();
    }
  });
});
