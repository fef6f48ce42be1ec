/** What every endpoint of the connections function shares, built once per cold start by `server.ts`. */
import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import type { Logger } from '../shared/log';
import type { ConnectionRegistration } from '../shared/manifest';
import type { Clock, StateStore } from '../shared/ports';
import { connectionPath } from '../shared/routes';
import { unknownConnection } from './errors';
import type { ConsentLinks } from './links';
import type { Providers } from './providers';
import { decodeLenient } from './proxy-client';
import type { ConnectionRegistrations } from './registrations';
import type { TokenSets } from './token-sets';

export interface ConnectionsContext {
  /** Base URL of the registry's API (the issuer), no trailing slash. */
  readonly baseUrl: string;
  readonly registrations: ConnectionRegistrations;
  readonly providers: Providers;
  readonly tokenSets: TokenSets;
  readonly links: ConsentLinks;
  readonly state: StateStore;
  readonly clock: Clock;
  readonly log: Logger;
}

/** The connection a request names in its path (`/connections/{name}/…`), or a 404 error. */
export async function connectionOf(ctx: ConnectionsContext, event: APIGatewayProxyEventV2): Promise<ConnectionRegistration> {
  // API Gateway hands path parameters decoded: decode only the raw path's segment, and never let bad encoding throw.
  const name = event.pathParameters?.name ?? decodeLenient(/^\/connections\/([^/]+)\//.exec(event.rawPath ?? '')?.[1] ?? '');
  const connection = await ctx.registrations.get(name);
  if (!connection) throw unknownConnection(name);
  return connection;
}

export const callbackUrl = (ctx: ConnectionsContext, connection: string): string =>
  `${ctx.baseUrl}${connectionPath(connection, 'callback')}`;
