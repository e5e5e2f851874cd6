// The runtime half of every app (its test call, verdict and drill failure modes), keyed by app id: an
// app spec in packages/schema/src/apps/ without its entry here does not compile.
import type { AppId } from '@flowdesk/schema';
import type { ConnectorApp } from './define.ts';
import airtable from './airtable.ts';
import http from './http.ts';
import hubspot from './hubspot.ts';
import notion from './notion.ts';
import sheets from './sheets.ts';
import slack from './slack.ts';
import slackWebhook from './slack-webhook.ts';
import stripe from './stripe.ts';
import telegram from './telegram.ts';
import twilio from './twilio.ts';

export const CONNECTOR_APPS: { readonly [A in AppId]: ConnectorApp<A> } = {
  airtable,
  http,
  hubspot,
  notion,
  sheets,
  slack,
  'slack-webhook': slackWebhook,
  stripe,
  telegram,
  twilio,
};

export const connectorApp = (id: string): ConnectorApp | undefined => (CONNECTOR_APPS as Record<string, ConnectorApp>)[id];
