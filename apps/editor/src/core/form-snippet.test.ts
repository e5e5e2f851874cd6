import { describe, expect, it } from 'vitest';
import { formSnippet } from './form-snippet.ts';

describe('formSnippet', () => {
  it('one typed input per contract field, required ones marked; the honeypot hidden; posts to the hook', () => {
    const html = formSnippet(
      {
        type: 'webhook',
        path: 'lead',
        auth: { type: 'none' },
        honeypot: 'website',
        payloadSchema: {
          type: 'object',
          required: ['email'],
          properties: { email: { type: 'string', format: 'email' }, budget: { type: 'number', minimum: 0 }, seats: { type: 'integer' }, newsletter: { type: 'boolean' }, tags: { type: 'array' }, note: { type: 'string', maxLength: 2000 } },
        },
      },
      'https://flows.example.com/hooks/lead',
    );
    expect(html.split('\n')).toEqual([
      '<form action="https://flows.example.com/hooks/lead" method="post">',
      '  <input type="email" name="email" placeholder="email" required>',
      '  <input type="number" name="budget" placeholder="budget" min="0" step="any">',
      '  <input type="number" name="seats" placeholder="seats">',
      '  <label><input type="checkbox" name="newsletter"> newsletter</label>',
      '  <input name="tags[]" placeholder="tags">',
      '  <textarea name="note" placeholder="note"></textarea>',
      '  <input name="website" tabindex="-1" autocomplete="off" style="position:absolute;left:-9999px" aria-hidden="true">',
      '  <button>Send</button>',
      '</form>',
    ]);
  });

  it('multipart with a file input when the trigger takes files; names are escaped', () => {
    const html = formSnippet({ type: 'webhook', path: 'x', auth: { type: 'none' }, files: {}, payloadSchema: { properties: { 'a"b': { type: 'string' } } } }, 'https://h/hooks/x');
    expect(html).toContain('enctype="multipart/form-data"');
    expect(html).toContain('<input type="file" name="file">');
    expect(html).toContain('name="a&quot;b"');
  });
});
