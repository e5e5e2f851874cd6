// The HTML form a founder pastes into their site to post straight to a webhook trigger: one input per
// field of the payload contract (typed from the contract), the honeypot hidden from people, a file
// input when the trigger takes files. Pure: tested in form-snippet.test.ts.
import type { Flow } from '@flowdesk/schema';

type WebhookTrigger = Extract<Flow['trigger'], { type: 'webhook' }>;

const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/"/g, '&quot;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

function inputFor(name: string, schema: Record<string, unknown>, required: boolean): string {
  const req = required ? ' required' : '';
  const types = ([] as unknown[]).concat(schema.type ?? 'string');
  if (types.includes('boolean')) return `  <label><input type="checkbox" name="${esc(name)}"> ${esc(name)}</label>`;
  if (types.includes('object')) return `  <input type="file" name="${esc(name)}"${req}>`;
  if (types.includes('array')) return `  <input name="${esc(name)}[]" placeholder="${esc(name)}"${req}>`;
  if (types.includes('number') || types.includes('integer')) {
    const min = typeof schema.minimum === 'number' ? ` min="${schema.minimum}"` : '';
    return `  <input type="number" name="${esc(name)}" placeholder="${esc(name)}"${min}${types.includes('integer') ? '' : ' step="any"'}${req}>`;
  }
  const fmt = schema.format === 'email' ? 'email' : schema.format === 'uri' ? 'url' : schema.format === 'date' ? 'date' : undefined;
  if (typeof schema.maxLength === 'number' && schema.maxLength > 200) return `  <textarea name="${esc(name)}" placeholder="${esc(name)}"${req}></textarea>`;
  return `  <input${fmt ? ` type="${fmt}"` : ''} name="${esc(name)}" placeholder="${esc(name)}"${req}>`;
}

/** The form for `trigger`, posting to `hookUrl`. */
export function formSnippet(trigger: WebhookTrigger, hookUrl: string): string {
  const schema = (trigger.payloadSchema ?? {}) as { properties?: Record<string, Record<string, unknown>>; required?: string[] };
  const props = schema.properties ?? {};
  const required = new Set(schema.required ?? []);
  const names = Object.keys(props).length ? Object.keys(props) : ['email'];
  const hasFileField = names.some((n) => ([] as unknown[]).concat(props[n]?.type ?? []).includes('object'));
  const multipart = !!trigger.files;
  const lines = [`<form action="${esc(hookUrl)}" method="post"${multipart ? ' enctype="multipart/form-data"' : ''}>`];
  for (const n of names) lines.push(inputFor(n, props[n] ?? { type: 'string', format: n === 'email' ? 'email' : undefined }, required.has(n) || (!Object.keys(props).length && n === 'email')));
  if (multipart && !hasFileField) lines.push('  <input type="file" name="file">');
  if (trigger.honeypot) lines.push(`  <input name="${esc(trigger.honeypot)}" tabindex="-1" autocomplete="off" style="position:absolute;left:-9999px" aria-hidden="true">`);
  lines.push('  <button>Send</button>', '</form>');
  return lines.join('\n');
}
