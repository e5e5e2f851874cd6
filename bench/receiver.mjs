// @ts-check
// The local receiver the bench lead flow's action calls (loopback only), in its own process so that it
// does not share an event loop with the load generator. GET /count answers how many calls it took.
// It stands in for a remote service, so it takes as little of the two cores as it can: plain JavaScript
// (no tsx loader) and started with --single-threaded-gc (see RECEIVER_NODE_FLAGS in lib.ts), so that its
// collector has no helper threads to preempt the runtime's loop thread (perf sched, stop 41).
import { createServer } from 'node:http';

let n = 0;
const server = createServer((req, res) => {
  if (req.method === 'GET' && req.url === '/count') {
    res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ count: n }));
    return;
  }
  req.resume();
  req.on('end', () => {
    n++;
    res.writeHead(200, { 'content-type': 'application/json' }).end('{"ok":true}');
  });
});
server.keepAliveTimeout = 30_000;
server.listen(Number(process.env.PORT ?? 0), '127.0.0.1', () => {
  const address = /** @type {import('node:net').AddressInfo} */ (server.address());
  console.log(`receiver running at http://127.0.0.1:${address.port}`);
});
process.on('SIGTERM', () => process.exit(0));
