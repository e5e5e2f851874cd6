// text.generate: a template (already rendered by the engine: {{…}} placeholders replaced), or a prompt
// sent to an OpenAI-compatible chat-completions endpoint (FLOWDESK_OPENAI_URL, FLOWDESK_OPENAI_MODEL,
// FLOWDESK_OPENAI_KEY). With a prompt and a template, the endpoint is used when configured and the
// template otherwise, so a flow runs on a fresh install without calling anything outside.
// Its output is meant to go through a `qa` node before any external delivery.
//
// output: { text, subject?, json? (parsed when json: true), model, usage, source: 'template' | 'endpoint', jsonError? }
import { specOf } from '@flowdesk/schema';
import { EgressRefused, egressPolicy, egressRequest, networkFailureText } from '../security/egress.ts';
import { ActionFailure, defineExecutor } from './define.ts';
import { classifyStatus, parseRetryAfter } from './http-request.ts';

const RESPONSE_KEEP = 4096;
export const DEFAULT_OPENAI_MODEL = 'gpt-4o-mini';

/** Parses JSON text, unwrapping a ```json fence; undefined + message when it is not JSON. */
export function parseJsonText(text: string): { value?: unknown; error?: string } {
  const m = /^\s*```(?:json)?\s*\n([\s\S]*?)\n?```\s*$/i.exec(text);
  try {
    return { value: JSON.parse((m ? m[1]! : text).trim()) };
  } catch (e) {
    return { error: `not JSON: ${(e as Error).message}` };
  }
}

const textOf = (v: unknown): string | undefined => (v === undefined || v === null ? undefined : typeof v === 'string' ? v : JSON.stringify(v));

export const textGenerate = defineExecutor(specOf('text.generate'), async (p, { cmd, deps }) => {
  const template = textOf(p.template);
  const prompt = textOf(p.prompt);
  const subject = p.subject;
  const wantJson = p.json === true;
  const baseUrl = deps.env.FLOWDESK_OPENAI_URL?.trim();
  const withJson = (output: Record<string, unknown>, text: string) => {
    if (subject !== undefined) output.subject = subject;
    if (wantJson) {
      const parsed = parseJsonText(text);
      if (parsed.error) output.jsonError = parsed.error;
      else output.json = parsed.value;
    }
    return output;
  };

  if (prompt === undefined || !baseUrl) {
    if (template !== undefined) return { output: withJson({ text: template, model: 'template', usage: null, source: 'template' }, template) };
    if (prompt !== undefined) throw new Error('params.prompt needs FLOWDESK_OPENAI_URL (an OpenAI-compatible API); set it, or give params.template as the no-config fallback');
    throw new Error('params.template or params.prompt is required');
  }

  if (!/^https?:\/\//.test(baseUrl)) throw new Error('FLOWDESK_OPENAI_URL must be an http(s) URL');
  const url = `${baseUrl.replace(/\/+$/, '')}/chat/completions`;
  const model = p.model || deps.env.FLOWDESK_OPENAI_MODEL || DEFAULT_OPENAI_MODEL;
  const messages: { role: string; content: string }[] = [];
  const system = textOf(p.system);
  if (system) messages.push({ role: 'system', content: system });
  messages.push({ role: 'user', content: prompt });
  const body: Record<string, unknown> = { model, messages };
  if (wantJson) body.response_format = { type: 'json_object' };
  if (typeof p.temperature === 'number') body.temperature = p.temperature;
  if (typeof p.maxTokens === 'number') body.max_tokens = p.maxTokens;
  const headers: Record<string, string> = { 'content-type': 'application/json', 'idempotency-key': cmd.idempotencyKey, 'user-agent': 'flowdesk/1' };
  if (deps.env.FLOWDESK_OPENAI_KEY) headers.authorization = `Bearer ${deps.env.FLOWDESK_OPENAI_KEY}`;
  const where = `POST ${new URL(url).origin}${new URL(url).pathname}`;

  let res: { status: number; retryAfter: string | null };
  let raw: string;
  try {
    // the endpoint and its key are the owner's settings: only the rules for every call apply (no link-local)
    const payload = JSON.stringify(body);
    const out = await egressRequest(
      { url: new URL(url), method: 'POST', headers: { ...headers, 'content-length': String(Buffer.byteLength(payload)) }, body: payload, timeoutMs: cmd.timeoutMs, originFromEvent: false, credential: !!deps.env.FLOWDESK_OPENAI_KEY },
      egressPolicy(deps.env),
    );
    const retryAfter = out.headers['retry-after'];
    res = { status: out.status, retryAfter: typeof retryAfter === 'string' ? retryAfter : null };
    raw = out.text;
  } catch (e) {
    const err = e as Error & { code?: string };
    if (err instanceof EgressRefused) throw new ActionFailure('error', `${err.message} (${where})`);
    if (err.name === 'TimeoutError') throw new ActionFailure('timeout', `timed out after ${cmd.timeoutMs} ms: ${where}`);
    throw new ActionFailure('network', `${networkFailureText(err)}: ${where}`);
  }
  const errorClass = classifyStatus(res.status);
  if (errorClass) {
    throw new ActionFailure(errorClass, `HTTP ${res.status} from ${where}`, {
      status: res.status,
      response: raw.slice(0, RESPONSE_KEEP),
      retryAfterMs: res.status === 429 || res.status === 503 ? parseRetryAfter(res.retryAfter, deps.clock.now()) : undefined,
    });
  }
  let data: { choices?: { message?: { content?: unknown } }[]; model?: unknown; usage?: unknown };
  try {
    data = JSON.parse(raw) as typeof data;
  } catch {
    throw new ActionFailure('5xx', `the endpoint answered ${res.status} with a body that is not JSON: ${where}`, { status: res.status, response: raw.slice(0, RESPONSE_KEEP) });
  }
  const content = data.choices?.[0]?.message?.content;
  if (typeof content !== 'string') throw new ActionFailure('5xx', `the endpoint's answer has no choices[0].message.content: ${where}`, { status: res.status, response: raw.slice(0, RESPONSE_KEEP) });
  return { status: res.status, output: withJson({ text: content, model: typeof data.model === 'string' ? data.model : model, usage: data.usage ?? null, source: 'endpoint' }, content) };
});

export default textGenerate;
