/** Synth of per-client rate limits: `tokensPerMinute` reaches the registration, validated. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { fixture } from './helpers';

describe('tokensPerMinute', () => {
  it('is carried in the client registration, and absent without a limit', () => {
    const { registry } = fixture({ namePrefix: 'reg' });
    registry.addExternalClient('Limited', { scopes: ['a'], tokensPerMinute: 120 });
    registry.addExternalClient('Free', { scopes: ['a'] });
    const [limited, free] = registry.manifest().clients;
    assert.equal(limited.tokensPerMinute, 120);
    assert.equal('tokensPerMinute' in free, false);
  });

  it('refuses a limit outside 1 to 30000, naming the client and the value', () => {
    for (const bad of [0, 1.5, 30_001]) {
      const { registry } = fixture({ namePrefix: 'reg' });
      assert.throws(
        () => registry.addExternalClient('Limited', { scopes: ['a'], tokensPerMinute: bad }),
        new RegExp(`external client "Limited": tokensPerMinute must be an integer between 1 and 30000, got ${bad}`),
      );
    }
  });
});
