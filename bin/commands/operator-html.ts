/**
 * The operator report as one server-rendered HTML page: the local dashboard (`GET /` on `npm start`) and
 * `status --html <file>`. No framework and no script; every value is escaped; nothing secret is in the report.
 * Live (the local server), each consent-based connection gets a Connect button: a same-origin form POST to
 * `DASHBOARD_CONNECT_PATH`, which answers with a fresh single-use consent link (303).
 */
import { escapeHtml } from '../../lambdas/shared/pages';
import { serverUrl } from '../../lambdas/shared/routes';
import { DASHBOARD_CONNECT_PATH } from '../local/local-pages';
import { cliCommand, cliInvocation } from './invocation';
import { isoSecs, relativeTo, type ConnectionHealthRow, type OperatorReport } from './operator-report';

export interface DashboardOptions {
  /** Served by the local registry: Connect buttons, and links to its endpoints. */
  readonly live: boolean;
  /** A notice at the top (e.g. why a Connect failed), plain text. */
  readonly notice?: string;
}

const HEALTH_CLASS: Readonly<Record<string, string>> = {
  connected: 'ok',
  refreshing: 'info',
  needs_consent: 'warn',
  needs_trust: 'warn',
  error: 'bad',
  not_connected: 'off',
};

const STYLE = `
:root{--ok:#1a7f37;--warn:#9a6700;--bad:#cf222e;--info:#0969da;--off:#6e7781;--line:#d0d7de;--bg:#f6f8fa}
*{box-sizing:border-box}body{font:14px/1.45 system-ui,-apple-system,"Segoe UI",sans-serif;margin:0;color:#1f2328;background:#fff}
header{background:#24292f;color:#fff;padding:14px 24px}header h1{font-size:18px;margin:0}header p{margin:4px 0 0;color:#c9d1d9}
main{padding:8px 24px 32px;max-width:1200px}h2{font-size:15px;margin:22px 0 8px;border-bottom:1px solid var(--line);padding-bottom:4px}
table{border-collapse:collapse;width:100%;background:#fff}
th,td{text-align:left;padding:5px 8px;border-bottom:1px solid var(--line);vertical-align:top}
th{background:var(--bg);font-weight:600;font-size:12px;text-transform:uppercase;color:#57606a}code{font:12px ui-monospace,Menlo,monospace}
.badge{display:inline-block;padding:1px 8px;border-radius:10px;font-size:12px;font-weight:600;color:#fff}
.ok{background:var(--ok)}.warn{background:var(--warn)}.bad{background:var(--bad)}.info{background:var(--info)}.off{background:var(--off)}
.muted{color:#57606a}.notice{background:#fff8c5;border:1px solid #d4a72c;padding:8px 12px;margin-top:14px;border-radius:6px}
.conn{border:1px solid var(--line);border-radius:6px;padding:10px 12px;margin:10px 0}.conn h3{margin:0 0 6px;font-size:14px}
form{display:inline-flex;gap:6px;align-items:center;margin-top:8px}input{font:inherit;padding:3px 6px}
button{font:inherit;font-weight:600;padding:4px 14px;border-radius:6px;border:1px solid #1f883d;background:#1f883d;color:#fff;
cursor:pointer}
dl{display:grid;grid-template-columns:max-content 1fr;gap:2px 14px;margin:0}dt{color:#57606a}dd{margin:0}`;

const e = (value: unknown): string => escapeHtml(String(value));
const badge = (text: string, cls: string): string => `<span class="badge ${cls}">${e(text)}</span>`;

/** The whole page. */
export function renderDashboard(report: OperatorReport, options: DashboardOptions): string {
  const now = report.generatedAt;
  const when = (secs: number | undefined): string =>
    secs === undefined ? '<span class="muted">-</span>' : `${e(isoSecs(secs))} <span class="muted">(${e(relativeTo(secs, now))})</span>`;
  const source = report.source === 'local' ? 'local mode' : `table ${report.source}`;
  const body = [
    `<header><h1>oauth-registry · ${e(report.namePrefix)}</h1><p>registry ${e(report.registry)} · ${e(source)} · ` +
      `as of ${e(isoSecs(now))}</p></header><main>`,
    options.notice ? `<p class="notice" role="alert">${e(options.notice)}</p>` : '',
    endpoints(report),
    clients(report, when),
    signingKeys(report, when),
    routes(report),
    mcpServers(report),
    dynamicRegistrations(report, when),
    dataRoutes(report),
    connections(report, when, options.live),
    `<p class="muted">Secrets are not shown here: <code>${e(cliCommand('credentials show <client>'))}</code> prints a hand-off.</p>`,
    '</main>',
  ].join('');
  return (
    '<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width">' +
    `<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'">` +
    `<title>oauth-registry · ${e(report.namePrefix)}</title><style>${STYLE}</style></head><body>${body}</body></html>`
  );
}

function endpoints(report: OperatorReport): string {
  if (!report.issuer && !report.userAuthentication) return '';
  const rows: [string, string][] = [];
  if (report.issuer) {
    const i = report.issuer;
    rows.push(['issuer', i], ['discovery', serverUrl(i, 'openidConfiguration')], ['token', `POST ${serverUrl(i, 'token')}`]);
    rows.push(['JWKS', serverUrl(i, 'jwks')]);
    if (report.userAuthentication) rows.push(['authorize', `${i}/oauth2/authorize`]);
  }
  const ua = report.userAuthentication;
  const upstream = ua
    ? `<dt>user sign-in</dt><dd>${e(ua.issuer)} as client <code>${e(ua.clientId)}</code>` +
      (report.issuer ? `; register <code>${e(`${report.issuer}/oauth2/callback`)}</code> there` : '') +
      ` · upstream secret ${ua.secretSet ? badge('set', 'ok') : badge('not set', 'bad')}</dd>`
    : '';
  return `<h2>Endpoints</h2><dl>${rows.map(([k, v]) => `<dt>${e(k)}</dt><dd><code>${e(v)}</code></dd>`).join('')}${upstream}</dl>`;
}

function clients(report: OperatorReport, when: (secs: number | undefined) => string): string {
  const head = '<tr><th>Client</th><th>Client id</th><th>Auth</th><th>Grants</th><th>Scopes</th><th>Secret</th><th>Next rotation</th>';
  const rows = report.clients.map((c) => {
    const state = c.active ? '' : ` ${badge('inactive', 'bad')}`;
    const description = c.description ? `<br><span class="muted">${e(c.description)}</span>` : '';
    let secret = '<span class="muted">no secret</span>';
    if (c.secret && !c.secret.hasValue) secret = badge('no value yet', 'warn');
    else if (c.secret) {
      const overlap = c.secret.previousValidUntil !== undefined ? `<br>previous works until ${when(c.secret.previousValidUntil)}` : '';
      secret = `${c.secret.rotated ? 'rotated' : 'created'} ${when(c.secret.currentSince)}${overlap}`;
    }
    return (
      `<tr><td><strong>${e(c.name)}</strong>${state}${description}</td><td><code>${e(c.clientId)}</code></td>` +
      `<td>${e(c.authMethod)}</td><td>${e(c.grantTypes.join(', '))}</td><td>${e(c.scopes.join(' '))}</td>` +
      `<td>${secret}</td><td>${c.secret ? when(c.secret.nextRotationAt) : '<span class="muted">-</span>'}</td></tr>`
    );
  });
  const none = '<tr><td colspan="7" class="muted">no external clients</td></tr>';
  return `<h2>Clients (${report.clients.length})</h2><table>${head}</tr>${rows.join('') || none}</table>`;
}

function signingKeys(report: OperatorReport, when: (secs: number | undefined) => string): string {
  const keys = report.signingKeys;
  if (keys.problem) return `<h2>Signing keys</h2><p>${badge('unreadable', 'bad')} ${e(keys.problem)}</p>`;
  if (!keys.hasValue)
    return `<h2>Signing keys</h2><p>${badge('none yet', 'warn')} the first apply (or ${e(cliInvocation().dev)}) creates them</p>`;
  const cls = { signing: 'ok', next: 'info', retired: 'off' } as const;
  const rows = keys.keys.map(
    (k) =>
      `<tr><td><code>${e(k.kid)}</code></td><td>${badge(k.state, cls[k.state])}</td>` +
      `<td>${e(relativeTo(k.createdAt, report.generatedAt).replace(' ago', ''))}</td><td>${when(k.activatesAt)}</td>` +
      `<td>${when(k.stopsSigningAt)}</td></tr>`,
  );
  return (
    `<h2>Signing keys</h2><table><tr><th>kid</th><th>State</th><th>Age</th><th>Signs from</th><th>Signs until</th></tr>` +
    `${rows.join('')}</table><p class="muted">next rotation ${when(keys.nextRotationAt)}; the key it adds signs from ` +
    `${when(keys.nextKeyActivatesAt)}</p>`
  );
}

function routes(report: OperatorReport): string {
  const rows = report.routes.map(
    (r) =>
      `<tr><td><code>${e(r.routeKey)}</code></td><td>${e(r.scopes.join(' '))}</td>` +
      `<td>${r.audiences ? e(r.audiences.join(' ')) : '<span class="muted">the registry&#39;s own</span>'}</td></tr>`,
  );
  const none = '<tr><td colspan="3" class="muted">no protected routes</td></tr>';
  return (
    `<h2>Protected routes (${report.routes.length})</h2>` +
    `<table><tr><th>Route</th><th>Scopes (any of)</th><th>Audiences</th></tr>${rows.join('') || none}</table>`
  );
}

function mcpServers(report: OperatorReport): string {
  if (report.mcpServers.length === 0) return '';
  const rows = report.mcpServers.map(
    (s) =>
      `<tr><td>${e(s.name)}</td><td><code>${e(s.url ?? s.path)}</code></td><td>${e(s.scopes.join(' '))}</td>` +
      `<td>${s.metadataUrl ? `<code>${e(s.metadataUrl)}</code>` : '<span class="muted">-</span>'}</td></tr>`,
  );
  return (
    `<h2>MCP servers (${report.mcpServers.length})</h2><table><tr><th>Name</th><th>URL (the only audience)</th>` +
    `<th>Scopes (any of)</th><th>RFC 9728 metadata</th></tr>${rows.join('')}</table>`
  );
}

function dynamicRegistrations(report: OperatorReport, when: (secs: number | undefined) => string): string {
  if (!report.dynamicRegistrations) return '';
  const { perHour, clients } = report.dynamicRegistrations;
  const rows = clients.map((c) => `<tr><td>${e(c.name)}</td><td><code>${e(c.clientId)}</code></td><td>${when(c.createdAt)}</td></tr>`);
  const none = '<tr><td colspan="3" class="muted">none in the last 24 hours</td></tr>';
  return (
    `<h2>Dynamic registrations (at most ${perHour} per hour)</h2><table><tr><th>Client</th><th>Client id</th>` +
    `<th>Registered</th></tr>${rows.join('') || none}</table>`
  );
}

function dataRoutes(report: OperatorReport): string {
  if (report.dataRoutes.length === 0) return '';
  const rows = report.dataRoutes.map(
    (r) =>
      `<tr><td><code>${e(r.routeKey)}</code></td><td>${e(r.scopes.join(' '))}</td><td>${e(r.target)}</td>` +
      `<td>${r.records === undefined ? '<span class="muted">in the target</span>' : r.records}</td></tr>`,
  );
  return (
    `<h2>Data routes (${report.dataRoutes.length})</h2><table><tr><th>Route</th><th>Scopes (any of)</th><th>Delivers to</th>` +
    `<th>Records</th></tr>${rows.join('')}</table>`
  );
}

function connections(report: OperatorReport, when: (secs: number | undefined) => string, live: boolean): string {
  const byName = new Map<string, ConnectionHealthRow[]>();
  for (const row of report.connections) byName.set(row.connection, [...(byName.get(row.connection) ?? []), row]);
  if (byName.size === 0) return '<h2>Connections</h2><p class="muted">no third-party connections declared</p>';
  const blocks = [...byName].map(([name, rows]) => {
    const { grant, mode } = rows[0];
    const credentials = report.connectionCredentials[name] ? badge('credentials set', 'ok') : badge('credentials missing', 'bad');
    const noSubject = `<span class="muted">${mode === 'shared' ? '(shared)' : 'no subject yet'}</span>`;
    const lines = rows.map(
      (r) =>
        `<tr><td>${r.subject !== undefined ? e(r.subject) : noSubject}</td>` +
        `<td>${badge(r.health, HEALTH_CLASS[r.health] ?? 'off')}</td><td>${when(r.expiresAt)}</td>` +
        `<td>${r.lastError ? e(r.lastError) : '<span class="muted">-</span>'}</td></tr>`,
    );
    const form =
      live && grant === 'authorization_code'
        ? `<form method="post" action="${DASHBOARD_CONNECT_PATH}"><input type="hidden" name="connection" value="${e(name)}">` +
          (mode === 'perUser' ? `<input name="subject" placeholder="subject (user id)" required aria-label="subject of ${e(name)}">` : '') +
          `<button type="submit">Connect ${e(name)}</button></form>`
        : '';
    const redirectUri = report.connectionRedirectUris[name];
    const registration = redirectUri
      ? `<p>Redirect URI to register at the provider: <code class="redirect-uri">${e(redirectUri)}</code></p>`
      : '';
    return (
      `<div class="conn"><h3>${e(name)} <span class="muted">${e(grant)} · ${e(mode)}</span> ${credentials}</h3>${registration}` +
      `<table><tr><th>Subject</th><th>Health</th><th>Access token expires</th><th>Last error</th></tr>${lines.join('')}</table>` +
      `${form}</div>`
    );
  });
  return `<h2>Connections (${byName.size})</h2>${blocks.join('')}`;
}
