// The framework's floor: a bare Express 5 route that parses the JSON body and answers 202.
import express from 'express';

const app = express();
app.post('/hooks/:path', express.json({ limit: '1mb' }), (req, res) => {
  res.status(202).json({ runId: String((req.body as { email?: string }).email ?? '') });
});
const server = app.listen(Number(process.env.PORT ?? 0), '127.0.0.1', () => {
  const a = server.address();
  console.log(`running at http://127.0.0.1:${typeof a === 'object' && a ? a.port : 0}`);
});
