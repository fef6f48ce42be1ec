/**
 * The local dashboard: `GET /` on the local registry renders the operator report (`status`'s, as HTML), and its
 * Connect buttons post to `DASHBOARD_CONNECT_PATH`, which answers 303 with a fresh single-use consent link. The `dev`
 * command composes it from the operator report and hands it to local mode as `LocalPages`, so local mode never
 * imports a command.
 *
 * The Connect action is a same-origin POST, never a GET: a request whose `Origin` is not this server's (or that has
 * none) is refused with 403, so another site cannot start a consent flow in the operator's browser. `GET /` is
 * refused cross-site by the request guard (an `<img>` on any page could otherwise make it work).
 *
 * The report reads local state asynchronously, and requests that arrive while one is being read share it: a burst of
 * `GET /` costs one read of the state files and never holds up the OAuth endpoints (JWKS, token) in between.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { checkSubject } from '../../lambdas/connections/registrations';
import type { RegistryManifest } from '../../lambdas/shared/manifest';
import { htmlPage } from '../../lambdas/shared/pages';
import { DASHBOARD_CONNECT_PATH, type LocalPages } from '../local/local-pages';
import type { LocalRegistry } from '../local/local-registry';
import { renderDashboard } from './operator-html';
import { collectOperatorReport } from './operator-report';
import { collectStatus } from './status';

// The consent page's headers (no framing, no script, no caching), except the referrer policy: `same-origin`, so the
// browser sends this page's Origin with the Connect form (under `no-referrer` it sends `Origin: null`).
const PAGE_HEADERS = { ...(htmlPage(200, '', '').headers as Record<string, string>), 'Referrer-Policy': 'same-origin' };

export interface DashboardDeps {
  readonly manifest: RegistryManifest;
  /** The running registry (undefined while it starts). */
  readonly registry: () => LocalRegistry | undefined;
  readonly clock?: () => number;
}

export function createDashboard(deps: DashboardDeps): LocalPages {
  async function page(registry: LocalRegistry, status: number, notice?: string): Promise<[number, string]> {
    const nowMs = (deps.clock ?? Date.now)();
    // The running registry's own stores: each reads its files as they are now, so nothing is stale or read twice.
    const report = await collectOperatorReport(deps.manifest, {
      secrets: registry.secrets,
      connections: await collectStatus(deps.manifest, registry.state, nowMs),
      state: registry.state,
      source: 'local',
      issuer: registry.issuer,
      nowMs,
      dataDir: registry.dataDir,
    });
    return [status, renderDashboard(report, { live: true, notice })];
  }

  // The plain page being rendered, shared by the GET / requests that arrive meanwhile.
  let rendering: Promise<[number, string]> | undefined;
  const sharedPage = (registry: LocalRegistry): Promise<[number, string]> => {
    rendering ??= page(registry, 200).finally(() => (rendering = undefined));
    return rendering;
  };

  const send = (res: ServerResponse, [status, html]: [number, string]) => {
    res.writeHead(status, { ...PAGE_HEADERS, 'content-length': Buffer.byteLength(html) });
    res.end(html);
  };

  return {
    async serve(req: IncomingMessage, res: ServerResponse, body: Buffer, method: string, pathname: string): Promise<boolean> {
      const registry = deps.registry();
      if (!registry) return false;
      if (pathname === '/' && (method === 'GET' || method === 'HEAD')) {
        send(res, await sharedPage(registry));
        return true;
      }
      if (pathname !== DASHBOARD_CONNECT_PATH) return false;
      if (method !== 'POST') {
        res.writeHead(405, { ...PAGE_HEADERS, allow: 'POST' });
        res.end('Method Not Allowed');
        return true;
      }
      if (req.headers.origin !== new URL(registry.issuer).origin) {
        send(res, await page(registry, 403, 'Connect refused: the request did not come from this dashboard (Origin check).'));
        return true;
      }
      const form = new URLSearchParams(body.toString('utf8'));
      const name = form.get('connection') ?? '';
      const subject = form.get('subject')?.trim() || undefined;
      const connection = deps.manifest.connections?.find((c) => c.name === name);
      if (!connection || !registry.connections) {
        send(res, await page(registry, 400, `Connect: no connection named ${JSON.stringify(name)}.`));
        return true;
      }
      let link: string;
      try {
        link = await registry.connections.consentLink(connection.name, checkSubject(connection, subject));
      } catch (err) {
        send(res, await page(registry, 400, `Connect ${connection.name}: ${(err as Error).message}`));
        return true;
      }
      res.writeHead(303, { location: link, 'cache-control': 'no-store', 'referrer-policy': 'no-referrer' });
      res.end();
      return true;
    },
  };
}
