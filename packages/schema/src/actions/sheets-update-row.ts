import { Type } from '@sinclair/typebox';
import { connectionParam, defineAction } from '../spec/index.ts';
import { SheetCell, spreadsheetIdParam, valueInputOptionField, valueInputOptionParam } from './sheets-params.ts';

export default defineAction({
  type: 'sheets.updateRow',
  params: Type.Object({
    connection: connectionParam(Type.String({ description: 'a sheets connection (Google OAuth2)' })),
    spreadsheetId: spreadsheetIdParam,
    range: Type.String({ minLength: 1, maxLength: 200, description: 'the cells to overwrite, A1 notation: "Clients!A7:C7" (or "Clients!A7" to start there)' }),
    values: Type.Array(SheetCell, { minItems: 1, maxItems: 1000, description: 'the cells, left to right; null leaves a cell as it is' }),
    valueInputOption: valueInputOptionParam,
  }),
  outside: true,
  label: 'Update a sheet row',
  help: 'Overwrites one row of cells in Google Sheets (values:update); repeating it writes the same cells, so a retry is harmless.',
  fields: [
    { key: 'connection', label: 'Connection' },
    { key: 'spreadsheetId', label: 'Spreadsheet id' },
    { key: 'range', label: 'Range', placeholder: 'Clients!A7:C7' },
    { key: 'values', label: 'Cells (JSON array)', kind: 'json' },
    valueInputOptionField,
  ],
  defaults: { connection: 'sheets', spreadsheetId: 'your-spreadsheet-id', range: 'Sheet1!A2', values: ['{{payload.email}}', 'active'] },
  output: '`{spreadsheetId, updatedRange, updatedCells}`',
  outputSchema: Type.Object({ spreadsheetId: Type.String(), updatedRange: Type.String(), updatedCells: Type.Integer() }),
  summary: 'range',
});
