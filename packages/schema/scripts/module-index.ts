// Generates a folder's index of spec modules: every `.ts` file in `dir` (tests and the index aside)
// that calls `<marker>(` and has a default export (what the call made) is imported and listed, in file-name order. Adding an
// action is writing its files and running `npm run schema:build`; a test fails while an index is stale.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

export interface ModuleIndexOptions {
  dir: string;
  /** the call a listed module's default export is made with, e.g. `defineAction` */
  marker: string;
  /** comment lines heading the file (without `//`) */
  header: string[];
  /** lines after the imports; `LIST` is replaced by the imported names, comma-separated, and a line
   * that is exactly `ENTRIES` by one line per module (`entry(name)`) */
  body: string[];
  entry?: (name: string) => string;
  /** extra import lines */
  imports?: string[];
}

const camel = (file: string): string => file.replace(/\.ts$/, '').replace(/[-.]([a-z0-9])/g, (_, c: string) => c.toUpperCase());

export function moduleFiles(dir: string, marker: string): string[] {
  return readdirSync(dir)
    .filter((f) => f.endsWith('.ts') && !f.endsWith('.test.ts') && f !== 'index.ts')
    .filter((f) => {
      const text = readFileSync(join(dir, f), 'utf8');
      return new RegExp(`\\b${marker}\\(`).test(text) && /^export default /m.test(text);
    })
    .sort();
}

export function moduleIndexText(o: ModuleIndexOptions): string {
  const files = moduleFiles(o.dir, o.marker);
  const names = files.map(camel);
  return [
    ...o.header.map((l) => `// ${l}`.trimEnd()),
    ...(o.imports ?? []),
    ...files.map((f, i) => `import ${names[i]} from './${f}';`),
    '',
    ...o.body.flatMap((l) => (l === 'ENTRIES' ? names.map((n) => o.entry?.(n) ?? n) : [l.replace('LIST', names.join(', '))])),
    '',
  ].join('\n');
}
