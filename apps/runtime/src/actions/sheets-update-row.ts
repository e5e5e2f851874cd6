// sheets.updateRow: PUT /v4/spreadsheets/{id}/values/{range} — the same cells written again on a retry.
import { specOf } from '@flowdesk/schema';
import { defineExecutor } from './define.ts';
import { httpConnector } from '../connectors/define.ts';
import sheets, { rangeSegment } from '../connectors/sheets.ts';

export default defineExecutor(
  specOf('sheets.updateRow'),
  httpConnector(sheets, {
    request: (p) => ({
      method: 'PUT',
      path: `/v4/spreadsheets/${encodeURIComponent(p.spreadsheetId)}/values/${rangeSegment(p.range)}`,
      query: { valueInputOption: p.valueInputOption ?? 'USER_ENTERED' },
      json: { range: p.range, majorDimension: 'ROWS', values: [p.values] },
    }),
    output: (res) => {
      const b = res.json as { spreadsheetId?: unknown; updatedRange?: unknown; updatedCells?: unknown };
      return { spreadsheetId: String(b.spreadsheetId ?? ''), updatedRange: String(b.updatedRange ?? ''), updatedCells: Number(b.updatedCells ?? 0) };
    },
  }),
);
