// GET /api/files/:id — a file that came in with an event (a form upload), on the admin surface only
// and only ever as a download: whatever a public form uploaded (HTML, SVG, a script) must never render
// as a page on the editor's origin. Hence octet-stream, attachment, nosniff and a sandboxing CSP.
import express, { type Router } from 'express';
import { pipeline } from 'node:stream/promises';
import type { RuntimeContext } from '../context.ts';
import { sendError } from './errors.ts';

/** `attachment` with an ASCII fallback name and the exact UTF-8 one (RFC 6266 / 5987). */
export function attachmentHeader(name: string): string {
  const ascii = name.replace(/[^\x20-\x7e]/g, '_').replace(/["\\]/g, '_');
  const encoded = encodeURIComponent(name).replace(/['()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
  return `attachment; filename="${ascii}"; filename*=UTF-8''${encoded}`;
}

export const DOWNLOAD_HEADERS = {
  'content-type': 'application/octet-stream',
  'x-content-type-options': 'nosniff',
  'content-security-policy': "sandbox; default-src 'none'",
  'cache-control': 'private, no-store',
  'cross-origin-resource-policy': 'same-origin',
} as const;

export function filesRouter(ctx: RuntimeContext): Router {
  const r = express.Router();
  r.get('/files/:id', async (req, res) => {
    const found = await ctx.files.open(req.params.id);
    if (!found) return sendError(res, 404, `file ${req.params.id} not found`);
    res.set({ ...DOWNLOAD_HEADERS, 'content-disposition': attachmentHeader(found.file.name), 'content-length': String(found.file.size) });
    await pipeline(found.stream, res);
  });
  return r;
}
