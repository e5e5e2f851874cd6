import { defineApp } from '../spec/app.ts';

export default defineApp({
  id: 'sheets',
  label: 'Google Sheets',
  help: 'OAuth2: a Google Cloud OAuth client (Web application) with the Sheets API enabled; "Connect" signs you in with Google (access_type=offline asks Google for a refresh token). Service account: paste its JSON key file, and share the sheet with the account\'s e-mail.',
  baseUrl: 'https://sheets.googleapis.com',
  auth: ['oauth2', 'serviceAccount'],
  oauth2: {
    authorizeUrl: 'https://accounts.google.com/o/oauth2/v2/auth?access_type=offline&prompt=consent',
    tokenUrl: 'https://oauth2.googleapis.com/token',
    scopes: ['https://www.googleapis.com/auth/spreadsheets'],
  },
});
