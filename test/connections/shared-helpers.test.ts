/** The helpers both functions share (one copy each): loopback check, required environment variables. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { requiredEnv } from '../../lambdas/shared/env-fields';
import { isLoopbackHttp } from '../../lambdas/shared/oauth-syntax';

describe('shared helpers', () => {
  it('isLoopbackHttp accepts plain http on the loopback interface only', () => {
    for (const url of ['http://127.0.0.1:8080/x', 'http://localhost/', 'http://[::1]:1/']) assert.equal(isLoopbackHttp(url), true, url);
    for (const url of ['https://127.0.0.1/', 'http://127.0.0.2/', 'http://localhost.evil.example/', 'http://example.com/']) {
      assert.equal(isLoopbackHttp(new URL(url)), false, url);
    }
  });

  it('requiredEnv names the missing variable', () => {
    assert.equal(requiredEnv('A', { A: 'x' }), 'x');
    assert.throws(
      () => requiredEnv('OAUTH_TABLE_NAME', { OAUTH_TABLE_NAME: '' }),
      /^Error: environment variable OAUTH_TABLE_NAME is not set$/,
    );
  });
});
