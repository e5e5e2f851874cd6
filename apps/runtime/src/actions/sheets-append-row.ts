// sheets.appendRow: POST /v4/spreadsheets/{id}/values/{range}:append (INSERT_ROWS). Google has no
// idempotency key: an answer lost after Google appended can, on retry, add the row twice — use
// sheets.updateRow where a duplicate row would hurt.
import { specOf } from '@flowdesk/schema';
import { defineExecutor } from './define.ts';
import { httpConnector } from '../connectors/define.ts';
import sheets, { rangeSegment } from '../connectors/sheets.ts';

export default defineExecutor(
  specOf('sheets.appendRow'),
  httpConnector(sheets, {
    request: (p) => ({
      method: 'POST',
      path: `/v4/spreadsheets/${encodeURIComponent(p.spreadsheetId)}/values/${rangeSegment(p.range)}:append`,
      query: { valueInputOption: p.valueInputOption ?? 'USER_ENTERED', insertDataOption: 'INSERT_ROWS' },
      json: { range: p.range, majorDimension: 'ROWS', values: [p.values] },
    }),
    output: (res) => {
      const b = res.json as { spreadsheetId?: unknown; updates?: { updatedRange?: unknown; updatedRows?: unknown } };
      return { spreadsheetId: String(b.spreadsheetId ?? ''), updatedRange: String(b.updates?.updatedRange ?? ''), updatedRows: Number(b.updates?.updatedRows ?? 0) };
    },
  }),
);
