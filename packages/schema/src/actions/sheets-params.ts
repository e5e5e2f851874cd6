// Parameters both Google Sheets actions take, written once.
import { Type } from '@sinclair/typebox';

export const SheetCell = Type.Union([Type.String(), Type.Number(), Type.Boolean(), Type.Null()]);

export const spreadsheetIdParam = Type.String({
  pattern: '^[A-Za-z0-9_-]{10,100}$',
  description: "the id in the sheet's URL: docs.google.com/spreadsheets/d/<id>/edit",
});

export const valueInputOptionParam = Type.Optional(
  Type.Union([Type.Literal('USER_ENTERED'), Type.Literal('RAW')], {
    description: 'USER_ENTERED (default): parsed as if typed (dates, numbers, formulas); RAW: stored as given',
  }),
);

export const valueInputOptionField = { key: 'valueInputOption' as const, label: 'Values are', options: ['USER_ENTERED', 'RAW'] };
