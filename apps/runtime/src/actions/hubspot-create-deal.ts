// hubspot.createDeal: POST /crm/v3/objects/deals, associated with a contact (HUBSPOT_DEFINED type 3,
// deal → contact). HubSpot has no idempotency key: an answer lost after HubSpot created the deal can,
// on retry, create a second one.
import { specOf } from '@flowdesk/schema';
import { defineExecutor } from './define.ts';
import { httpConnector } from '../connectors/define.ts';
import hubspot from '../connectors/hubspot.ts';

export default defineExecutor(
  specOf('hubspot.createDeal'),
  httpConnector(hubspot, {
    request: (p) => {
      const properties: Record<string, string> = Object.fromEntries(Object.entries(p.properties ?? {}).map(([k, v]) => [k, String(v)]));
      properties.dealname = p.name;
      properties.pipeline = p.pipeline ?? 'default';
      properties.dealstage = p.stage ?? 'appointmentscheduled';
      if (p.amount !== undefined) properties.amount = String(p.amount);
      if (p.closeDate) properties.closedate = p.closeDate;
      return {
        method: 'POST',
        path: '/crm/v3/objects/deals',
        json: { properties, ...(p.contactId ? { associations: [{ to: { id: p.contactId }, types: [{ associationCategory: 'HUBSPOT_DEFINED', associationTypeId: 3 }] }] } : {}) },
      };
    },
    output: (res) => ({ id: String((res.json as { id?: unknown }).id ?? '') }),
  }),
);
