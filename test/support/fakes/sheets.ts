// A loopback Google Sheets API v4 that answers as Google's reference documents
// (https://developers.google.com/workspace/sheets/api/reference/rest/v4/spreadsheets.values):
// - `Authorization: Bearer <access token>`; none or an unknown/expired one → 401
//   `{error: {code: 401, message: "Request had invalid authentication credentials…", status: "UNAUTHENTICATED"}}`.
// - POST /v4/spreadsheets/{id}/values/{range}:append?valueInputOption=…&insertDataOption=… with
//   `{range?, majorDimension, values}` → `{spreadsheetId, tableRange, updates: {spreadsheetId,
//   updatedRange, updatedRows, updatedColumns, updatedCells}}`; PUT /v4/spreadsheets/{id}/values/{range}
//   → `{spreadsheetId, updatedRange, updatedRows, updatedColumns, updatedCells}` (null cells left as
//   they are). GET /v4/spreadsheets/{id} → the spreadsheet or 404.
// - 400 INVALID_ARGUMENT without valueInputOption ("'valueInputOption' is required but not specified")
//   or for a range it cannot parse ("Unable to parse range: …"); 404 NOT_FOUND "Requested entity was
//   not found."; 403 PERMISSION_DENIED "The caller does not have permission" for an unshared sheet.
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import { listenLoopback, onBody } from './loopback.ts';

export interface SheetsRequest {
  at: number;
  method: string;
  path: string;
  query: Record<string, string>;
  headers: IncomingHttpHeaders;
  body: Record<string, unknown> | undefined;
}

export type SheetsScripted = { status: number; headers?: Record<string, string>; body: unknown } | 'reset';

export interface FakeSheets {
  url: string;
  requests: SheetsRequest[];
  /** access tokens it accepts */
  tokens: Set<string>;
  /** spreadsheet id → sheet name → rows */
  books: Map<string, Map<string, (string | number | boolean | null)[][]>>;
  /** spreadsheets the account may not write */
  unshared: Set<string>;
  script(answers: SheetsScripted[]): void;
  close(): Promise<void>;
}

const COLS = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ';
const col = (i: number) => COLS[i] ?? 'Z';
const error = (code: number, status: string, message: string) => ({ error: { code, message, status } });

/** "Clients", "Clients!A:F", "'My sheet'!A7:C7", "Clients!B7" → sheet, first row (1-based, if any), first column. */
function parseRange(range: string): { sheet: string; row?: number; col: number } | null {
  const m = /^(?:'((?:[^']|'')+)'|([^!']+))(?:!([A-Z]+)(\d+)?(?::[A-Z]+\d*)?)?$/.exec(range);
  if (!m) return null;
  const sheet = (m[1] ?? m[2]!).replace(/''/g, "'");
  const c = m[3] ? COLS.indexOf(m[3][0]!) : 0;
  return { sheet, row: m[4] ? Number(m[4]) : undefined, col: Math.max(0, c) };
}

export async function startFakeSheets(clock: { now(): number } = Date): Promise<FakeSheets> {
  const requests: SheetsRequest[] = [];
  const tokens = new Set<string>();
  const books = new Map<string, Map<string, (string | number | boolean | null)[][]>>();
  const unshared = new Set<string>();
  let queue: SheetsScripted[] = [];

  const server: Server = createServer((req, res) => {
    onBody(req, (_raw, body) => {
      const u = new URL(req.url ?? '/', 'http://x');
      requests.push({ at: clock.now(), method: req.method ?? '', path: u.pathname, query: Object.fromEntries(u.searchParams), headers: req.headers, body });
      const json = (status: number, b: unknown, headers: Record<string, string> = {}) => res.writeHead(status, { 'content-type': 'application/json; charset=UTF-8', ...headers }).end(JSON.stringify(b));

      const scripted = queue.shift();
      if (scripted === 'reset') return req.socket.destroy();
      if (scripted) return json(scripted.status, scripted.body, scripted.headers);

      const auth = String(req.headers.authorization ?? '');
      if (!auth.startsWith('Bearer ') || !tokens.has(auth.slice(7))) {
        return json(401, error(401, 'UNAUTHENTICATED', 'Request had invalid authentication credentials. Expected OAuth 2 access token, login cookie or other valid authentication credential. See https://developers.google.com/identity/sign-in/web/devconsole-project.'), { 'www-authenticate': 'Bearer realm="https://accounts.google.com/", error="invalid_token"' });
      }
      const m = /^\/v4\/spreadsheets\/([^/]+)(?:\/values\/([^/]+?)(:append)?)?$/.exec(u.pathname);
      if (!m) return json(404, error(404, 'NOT_FOUND', 'Requested entity was not found.'));
      const id = decodeURIComponent(m[1]!);
      const book = books.get(id);
      if (!book) return json(404, error(404, 'NOT_FOUND', 'Requested entity was not found.'));
      if (!m[2]) {
        if (req.method !== 'GET') return json(404, error(404, 'NOT_FOUND', 'Requested entity was not found.'));
        return json(200, { spreadsheetId: id, sheets: [...book.keys()].map((title) => ({ properties: { title } })) });
      }
      if (unshared.has(id)) return json(403, error(403, 'PERMISSION_DENIED', 'The caller does not have permission'));
      const range = decodeURIComponent(m[2]);
      const vio = u.searchParams.get('valueInputOption');
      if (!vio) return json(400, error(400, 'INVALID_ARGUMENT', "'valueInputOption' is required but not specified"));
      if (vio !== 'USER_ENTERED' && vio !== 'RAW') return json(400, error(400, 'INVALID_ARGUMENT', `Invalid value at 'value_input_option' (type.googleapis.com/google.apps.sheets.v4.ValueInputOption), "${vio}"`));
      const r = parseRange(range);
      const rows = r ? book.get(r.sheet) : undefined;
      if (!r || !rows) return json(400, error(400, 'INVALID_ARGUMENT', `Unable to parse range: ${range}`));
      const values = body?.values;
      if (!Array.isArray(values) || !values.every(Array.isArray)) return json(400, error(400, 'INVALID_ARGUMENT', 'Invalid JSON payload received. Unknown name "values"'));
      if (body?.range !== undefined && body.range !== range) return json(400, error(400, 'INVALID_ARGUMENT', `Requested writing within range [${range}], but tried writing to [${String(body.range)}]`));
      const data = values as (string | number | boolean | null)[][];
      const width = Math.max(...data.map((v) => v.length));
      const cells = data.reduce((n, v) => n + v.length, 0);
      if (m[3]) {
        if (req.method !== 'POST') return json(404, error(404, 'NOT_FOUND', 'Requested entity was not found.'));
        const before = rows.length;
        rows.push(...data.map((v) => [...v]));
        const first = before + 1;
        const updatedRange = `${r.sheet}!${col(r.col)}${first}:${col(r.col + width - 1)}${first + data.length - 1}`;
        return json(200, {
          spreadsheetId: id,
          ...(before ? { tableRange: `${r.sheet}!A1:${col(Math.max(...rows.slice(0, before).map((x) => x.length)) - 1)}${before}` } : {}),
          updates: { spreadsheetId: id, updatedRange, updatedRows: data.length, updatedColumns: width, updatedCells: cells },
        });
      }
      if (req.method !== 'PUT') return json(404, error(404, 'NOT_FOUND', 'Requested entity was not found.'));
      const start = r.row ?? 1;
      data.forEach((v, i) => {
        while (rows.length < start + i) rows.push([]);
        const row = rows[start + i - 1]!;
        v.forEach((cell, j) => {
          if (cell !== null) row[r.col + j] = cell;
        });
      });
      return json(200, { spreadsheetId: id, updatedRange: `${r.sheet}!${col(r.col)}${start}:${col(r.col + width - 1)}${start + data.length - 1}`, updatedRows: data.length, updatedColumns: width, updatedCells: cells });
    });
  });
  const { url, close } = await listenLoopback(server);
  return {
    url,
    requests,
    tokens,
    books,
    unshared,
    script: (answers) => {
      queue = [...answers];
    },
    close,
  };
}
