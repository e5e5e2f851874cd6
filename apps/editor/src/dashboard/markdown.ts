// A parser for the Markdown subset the weekly review is written in (packages/engine/src/report.ts:
// `#`/`##` headings, paragraphs, `- ` lists, pipe tables, with `\` escapes). It returns plain data;
// the page renders it as React elements, so no text ever becomes HTML.
export type MdBlock =
  | { kind: 'h1' | 'h2' | 'p'; text: string }
  | { kind: 'ul'; items: string[] }
  | { kind: 'table'; head: string[]; right: boolean[]; rows: string[][] };

const unescape = (s: string): string => s.replace(/\\(.)/g, '$1');

/** Splits a table line on the pipes that are not escaped. */
function cells(line: string): string[] {
  const out: string[] = [];
  let cur = '';
  const body = line.trim().replace(/^\|/, '').replace(/(?<!\\)\|$/, '');
  for (let i = 0; i < body.length; i += 1) {
    const c = body[i]!;
    if (c === '\\' && i + 1 < body.length) {
      cur += c + body[i + 1];
      i += 1;
    } else if (c === '|') {
      out.push(cur);
      cur = '';
    } else cur += c;
  }
  out.push(cur);
  return out.map((x) => unescape(x.trim()));
}

export function parseMarkdown(md: string): MdBlock[] {
  const blocks: MdBlock[] = [];
  for (const chunk of md.replace(/\r\n?/g, '\n').split(/\n{2,}/)) {
    const lines = chunk.split('\n').filter((l) => l.trim() !== '');
    if (lines.length === 0) continue;
    const first = lines[0]!;
    if (first.startsWith('## ')) blocks.push({ kind: 'h2', text: unescape(first.slice(3)) });
    else if (first.startsWith('# ')) blocks.push({ kind: 'h1', text: unescape(first.slice(2)) });
    else if (lines.every((l) => l.startsWith('- '))) blocks.push({ kind: 'ul', items: lines.map((l) => unescape(l.slice(2))) });
    else if (lines.length >= 2 && first.startsWith('|') && /^\|[\s:|-]+\|$/.test(lines[1]!.trim())) {
      const seps = cells(lines[1]!);
      blocks.push({ kind: 'table', head: cells(first), right: seps.map((s) => s.endsWith(':')), rows: lines.slice(2).map(cells) });
    } else blocks.push({ kind: 'p', text: unescape(lines.join(' ')) });
  }
  return blocks;
}
