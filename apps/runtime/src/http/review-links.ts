// GET /r/:token shows what the link would decide and asks to confirm (mail scanners open links: a GET
// never decides); POST /r/:token decides. Public surface: any Host, no admin token — the signed,
// expiring token is the proof, and a review is decided once, so a link works once.
import express, { type Response, type Router } from 'express';
import type { ReviewItem } from '@flowdesk/schema';
import type { RuntimeContext } from '../context.ts';
import { ConflictError } from '../errors.ts';
import { linkKey, verifyLink, type ReviewLinkClaim } from '../reviews/links.ts';

const esc = (s: string) => s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);

function page(res: Response, status: number, title: string, body: string): void {
  res
    .status(status)
    .type('html')
    .setHeader('Cache-Control', 'no-store')
    .send(
      `<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1"><title>${esc(title)} · Flowdesk</title>` +
        `<style>body{font:16px/1.5 system-ui,sans-serif;max-width:36rem;margin:3rem auto;padding:0 1rem;color:#0f172a}button{font:inherit;padding:.6rem 1.2rem;border-radius:6px;border:0;background:#4f46e5;color:#fff;cursor:pointer}.muted{color:#64748b}pre{background:#f1f5f9;padding:.75rem;border-radius:6px;overflow:auto;font-size:13px}</style>` +
        `</head><body><h1 data-testid="link-title">${esc(title)}</h1>${body}</body></html>`,
    );
}

const refusal = (res: Response, status: number, reason: string) => page(res, status, 'This link cannot be used', `<p data-testid="link-refused">${esc(reason)}.</p>`);

function spent(item: ReviewItem): string {
  return item.status === 'cancelled' ? 'this review was cancelled' : `this review was already decided: ${item.decision ?? '?'} (${item.resolvedBy ?? 'api'}, ${item.resolvedAt ?? ''})`;
}

export function reviewLinksRouter(ctx: RuntimeContext): Router {
  const r = express.Router();
  const check = async (res: Response, token: string): Promise<{ claim: ReviewLinkClaim; item: ReviewItem } | undefined> => {
    const v = verifyLink(await linkKey(ctx.store), token, ctx.clock.now());
    if (!v.ok) {
      refusal(res, v.status, v.reason);
      return undefined;
    }
    const item = await ctx.store.getDoc('reviews', v.claim.reviewId);
    if (!item) {
      refusal(res, 410, 'this review no longer exists');
      return undefined;
    }
    if (!item.decisions.includes(v.claim.decision)) {
      refusal(res, 400, `"${v.claim.decision}" is not a decision of this review`);
      return undefined;
    }
    if (item.status !== 'open') {
      refusal(res, 410, spent(item));
      return undefined;
    }
    return { claim: v.claim, item };
  };

  r.get('/:token', async (req, res) => {
    const ok = await check(res, req.params.token);
    if (!ok) return;
    const { item, claim } = ok;
    const context = JSON.stringify((item.context as { payload?: unknown })?.payload ?? item.context, null, 2);
    page(
      res,
      200,
      `${claim.decision}: ${item.title}`,
      `<p class="muted">Flow ${esc(item.flowId)} · queue “${esc(item.queue)}” · waiting since ${esc(item.createdAt)}</p>` +
        (item.sop.length ? `<ul>${item.sop.map((s) => `<li>${esc(s)}</li>`).join('')}</ul>` : '') +
        `<form method="post" action="/r/${esc(req.params.token)}"><button type="submit" data-testid="link-confirm">Confirm: ${esc(claim.decision)}</button></form>` +
        `<details><summary class="muted">What came in</summary><pre>${esc(context)}</pre></details>`,
    );
  });

  r.post('/:token', async (req, res) => {
    const ok = await check(res, req.params.token);
    if (!ok) return;
    try {
      const run = await ctx.runner.resolveReview(ok.item.id, ok.claim.decision, 'link');
      page(res, 200, `Decided: ${ok.claim.decision}`, `<p data-testid="link-decided">${esc(ok.item.title)} — the run continues (now ${esc(run.status)}).</p>`);
    } catch (e) {
      if (e instanceof ConflictError) {
        const item = await ctx.store.getDoc('reviews', ok.item.id);
        return refusal(res, 410, item ? spent(item) : 'this review was already decided');
      }
      throw e;
    }
  });
  return r;
}
