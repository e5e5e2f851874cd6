import { Type } from '@sinclair/typebox';
import { connectionParam, defineAction } from '../spec/index.ts';
import { SheetCell, spreadsheetIdParam, valueInputOptionField, valueInputOptionParam } from './sheets-params.ts';

export default defineAction({
  type: 'sheets.appendRow',
  params: Type.Object({
    connection: connectionParam(Type.String({ description: 'a sheets connection (Google OAuth2)' })),
    spreadsheetId: spreadsheetIdParam,
    range: Type.String({ minLength: 1, maxLength: 200, description: 'the table to append to, A1 notation: a sheet name ("Clients") or "Clients!A:F"' }),
    values: Type.Array(SheetCell, { minItems: 1, maxItems: 1000, description: 'the row\'s cells, left to right' }),
    valueInputOption: valueInputOptionParam,
  }),
  outside: true,
  label: 'Append a sheet row',
  help: 'Appends a row to a Google Sheets table (values:append, INSERT_ROWS).',
  fields: [
    { key: 'connection', label: 'Connection' },
    { key: 'spreadsheetId', label: 'Spreadsheet id' },
    { key: 'range', label: 'Sheet or range', placeholder: 'Clients' },
    { key: 'values', label: 'Cells (JSON array)', kind: 'json' },
    valueInputOptionField,
  ],
  defaults: { connection: 'sheets', spreadsheetId: 'your-spreadsheet-id', range: 'Sheet1', values: ['{{payload.email}}', '{{payload.name}}'] },
  output: '`{spreadsheetId, updatedRange, updatedRows}`: where the row went (e.g. `Clients!A7:C7`)',
  outputSchema: Type.Object({ spreadsheetId: Type.String(), updatedRange: Type.String(), updatedRows: Type.Integer() }),
  summary: 'range',
});
