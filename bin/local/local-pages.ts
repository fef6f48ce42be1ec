/**
 * Local-only pages: what the local registry serves after its own routes (the operator dashboard at `/`, built by the
 * `dev` command). Local mode knows only this interface and the one path its request guard treats specially.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';

/** Extra local-only pages: `serve` answers the request and returns true, or returns false to let the registry 404. */
export interface LocalPages {
  serve(req: IncomingMessage, res: ServerResponse, body: Buffer, method: string, pathname: string): Promise<boolean>;
}

/**
 * Where the dashboard's Connect buttons post (a local-only path: API Gateway has no such route). The request guard
 * lets a plain HTML form post here, where every other `/_local/` POST must be JSON.
 */
export const DASHBOARD_CONNECT_PATH = '/_local/dashboard/connect';
