// Thins a bundle's source map before it ships. Under --enable-source-maps, Node turns a map into one
// JavaScript array per mapping the first time an error's stack is formatted, and keeps it for the
// life of the process: esbuild's map of main.mjs (671k mappings, two thirds in npm dependencies) took
// 72 MiB of heap at the runtime's first formatted stack, and never gave it back. Kept: one mapping
// where Flowdesk's own code moves to another source line (a stack frame names the .ts file and line;
// its column is the line's first mapped one). A dependency's code is left unmapped (a frame there names
// the bundle's position and the function), each stretch of it marked so that it does not borrow the
// Flowdesk line before it. Source texts are dropped (the checkout has them).
import { decode, encode } from '@jridgewell/sourcemap-codec';

/** @param {string} source a source map's `sources` entry */
export const isDependency = (source) => /(^|[\\/])node_modules[\\/]/.test(source);

/**
 * @param {{ version: number, sources: string[], mappings: string, names?: string[], sourcesContent?: unknown }} map
 * @returns the thinned map (a new object) and how many mappings it had and kept
 */
export function leanSourceMap(map) {
  const dependency = map.sources.map(isDependency);
  const lines = decode(map.mappings);
  let before = 0;
  let after = 0;
  const kept = lines.map((segments) => {
    const out = [];
    let lastSource = -1;
    let lastLine = -1;
    let inDependency = false;
    for (const seg of segments) {
      before++;
      if (seg.length < 4) continue;
      if (dependency[seg[1]]) {
        // a bare [column] segment: no source from here until the next mapped one
        if (!inDependency) out.push([seg[0]]);
        inDependency = true;
        lastSource = -1;
        continue;
      }
      inDependency = false;
      if (seg[1] === lastSource && seg[2] === lastLine) continue;
      lastSource = seg[1];
      lastLine = seg[2];
      out.push([seg[0], seg[1], seg[2], seg[3]]);
    }
    after += out.length;
    return out;
  });
  const { sourcesContent: _dropped, ...rest } = map;
  return { map: { ...rest, names: [], mappings: encode(kept) }, before, after };
}
