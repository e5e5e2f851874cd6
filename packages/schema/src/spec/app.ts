// defineApp: what Flowdesk knows about an outside service a connection is for — where its API lives,
// which hosts its credential may go to, which auth shapes it takes and the OAuth2 endpoints the
// Connections page pre-fills. Pure data, shared by the runtime (egress binding, validation) and the
// editor (the Connections page). The runtime half of a connector (its test call, vendor error mapping,
// the drill's failure modes) lives in apps/runtime/src/connectors/.
import type { ConnectionAuthType } from '../connections.ts';

export interface AppSpecInput<T extends string> {
  /** the `<app>` of its actions' `<app>.<verb>` and of a connection's `app` */
  id: T;
  label: string;
  help: string;
  /** the API's base URL when a connection sets no `baseUrl`; none: every connection must set one */
  baseUrl?: string;
  /** more host names its credential may be sent to (https, port 443), besides its base URL's */
  hosts?: readonly string[];
  /** the auth shapes a connection of this app may use, the first being the form's default */
  auth: readonly ConnectionAuthType[];
  /** OAuth2 endpoints and scopes the form pre-fills */
  oauth2?: {
    authorizeUrl?: string;
    tokenUrl: string;
    scopes?: readonly string[];
    /** how the client authenticates at the token endpoint: HTTP Basic (RFC 6749's default) or form fields */
    clientAuth?: 'basic' | 'post';
  };
  /** the credential field's hint in the form (e.g. "xoxb-…") */
  credentialHint?: string;
  /**
   * A credential that is a URL's secret tail (Slack incoming webhooks): a bearer token given as a whole
   * URL is split into `baseUrl` (its origin) and the token (the path after this prefix).
   */
  credentialUrlPrefix?: string;
}

export type AppSpec<T extends string = string> = Readonly<AppSpecInput<T>>;

export function defineApp<const T extends string>(input: AppSpecInput<T>): AppSpec<T> {
  if (!input.baseUrl && input.hosts?.length) throw new Error(`app ${input.id}: hosts need a default baseUrl`);
  return Object.freeze({ ...input });
}
