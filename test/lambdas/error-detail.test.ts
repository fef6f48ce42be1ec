/**
 * The error model's two texts: the public description (RFC 6749 §5.2 characters, 400 at most) goes in the body; the
 * log-only `detail` goes to the log line and never in a body, on both halves.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { errorBody, providerUnavailable } from '../../lambdas/connections/errors';
import { InvalidGrantError, OAuthError, ServerError, TemporarilyUnavailableError, errorResponse } from '../../lambdas/shared/errors';
import { MAX_LOGGED_DETAIL_CHARS, createJsonLogger, errorDetail } from '../../lambdas/shared/log';
import { ERROR_DESCRIPTION_MAX_CHARS } from '../../lambdas/shared/oauth-syntax';
import { jsonBody, structured } from '../../testing/events';

const DETAIL = 'connect ECONNREFUSED 10.0.0.7:443 "upstream said"\nno';

function capture() {
  const lines: Record<string, unknown>[] = [];
  return { lines, log: createJsonLogger((line) => lines.push(JSON.parse(line) as Record<string, unknown>)) };
}

describe('error detail: public description apart from the log', () => {
  it('a refusal answers its description only; the detail is kept as is, for the log', () => {
    const err = new InvalidGrantError(`the grant is "bad"\n${'x'.repeat(500)}`, { detail: DETAIL });
    assert.equal(err.detail, DETAIL);
    const { lines, log } = capture();
    const result = errorResponse(err, log);
    assert.equal(structured(result).statusCode, 400);
    const body = jsonBody<Record<string, string>>(result);
    assert.deepEqual(Object.keys(body).sort(), ['error', 'error_description']);
    assert.match(body.error_description, /^the grant is 'bad'\?x+\.\.\.$/);
    assert.equal(body.error_description.length, ERROR_DESCRIPTION_MAX_CHARS);
    assert.doesNotMatch(structured(result).body!, /ECONNREFUSED|10\.0\.0\.7|upstream said/);
    assert.deepEqual(lines, [], 'a refusal is logged by its endpoint (the denial line), not here');
  });

  it('a server error logs its detail with the error; the body says nothing of it', () => {
    const { lines, log } = capture();
    const result = errorResponse(new ServerError(undefined, { detail: DETAIL }), log);
    assert.deepEqual(jsonBody(result), { error: 'server_error', error_description: 'the server could not complete the request' });
    assert.deepEqual(lines[0].error, { name: 'OAuthError', message: 'the server could not complete the request', detail: DETAIL });
  });

  it('a 503 logs its detail on the temporarily_unavailable line', () => {
    const { lines, log } = capture();
    const result = errorResponse(new TemporarilyUnavailableError('no signing key yet', 5, { detail: DETAIL }), log);
    assert.deepEqual(jsonBody(result), { error: 'temporarily_unavailable', error_description: 'no signing key yet' });
    assert.equal(structured(result).headers?.['Retry-After'], '5');
    assert.deepEqual(lines, [{ level: 'warn', msg: 'temporarily_unavailable', error: 'no signing key yet', detail: DETAIL }]);
  });

  it('errorDetail: the detail of an error, capped; nothing for an error without one or a non-error', () => {
    assert.deepEqual(errorDetail(new OAuthError(400, 'invalid_request', 'x')), {});
    assert.deepEqual(errorDetail({ detail: 'not an error' }), {});
    assert.deepEqual(errorDetail(undefined), {});
    const long = errorDetail(new InvalidGrantError('x', { detail: 'd'.repeat(5000) }));
    assert.equal(String(long.detail).length, MAX_LOGGED_DETAIL_CHARS);
  });

  it('a connection error sends its code and description, never its detail', () => {
    const err = providerUnavailable('the API could not be reached', { detail: DETAIL });
    assert.equal(err.detail, DETAIL);
    assert.deepEqual(errorBody(err), { error: 'provider_unavailable', error_description: 'the API could not be reached' });
  });
});
