// The machine's ceiling: plain node:http parsing the JSON body and answering 202.
import { createServer } from 'node:http';

const server = createServer((req, res) => {
  const chunks: Buffer[] = [];
  req.on('data', (c: Buffer) => chunks.push(c));
  req.on('end', () => {
    const body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as { email?: string };
    res.writeHead(202, { 'content-type': 'application/json' }).end(JSON.stringify({ runId: String(body.email ?? '') }));
  });
});
server.listen(Number(process.env.PORT ?? 0), '127.0.0.1', () => {
  const a = server.address();
  console.log(`running at http://127.0.0.1:${typeof a === 'object' && a ? a.port : 0}`);
});
