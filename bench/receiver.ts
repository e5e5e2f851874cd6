// The local receiver the bench lead flow's action calls (loopback only), in its own process so that it
// does not share an event loop with the load generator. GET /count answers how many calls it took.
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';

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
  console.log(`receiver running at http://127.0.0.1:${(server.address() as AddressInfo).port}`);
});
process.on('SIGTERM', () => process.exit(0));
