// node --import tsx bench/lean-generator.ts <url> <rate> <seconds> — `paced()` (bench/lib.ts) in a process
// that does nothing else: no servers, no child processes' output to pipe, so a tail it reports is the
// server's and the machine's, not the harness's. Prints one JSON line.
import { paced } from './lib.ts';

const [url, rate, seconds] = process.argv.slice(2);
const r = await paced(url!, { rate: Number(rate), seconds: Number(seconds), tag: 'lean' });
console.log(JSON.stringify(r));
process.exit(0);
