/**
 * What every AWS SDK client of the adapters is built with, so that one AWS call never outlasts `AWS_CALL_ALLOWANCE_MS`
 * (the functions' timeouts are computed from it): each attempt is cut at `AWS_REQUEST_TIMEOUT_MS` (smithy's node HTTP
 * handler only warns unless `throwOnRequestTimeout`), at most `AWS_MAX_ATTEMPTS` attempts, `AWS_RETRY_DELAY_MS` apart.
 */
import { AWS_CONNECTION_TIMEOUT_MS, AWS_MAX_ATTEMPTS, AWS_REQUEST_TIMEOUT_MS, AWS_RETRY_DELAY_MS } from '../defaults';

interface RetryToken {
  getRetryCount(): number;
  getRetryDelay(): number;
}

const retryToken = (count: number): RetryToken => ({ getRetryCount: () => count, getRetryDelay: () => AWS_RETRY_DELAY_MS });

/**
 * The SDK's retry contract (RetryStrategyV2) with a fixed delay: a client error (bad request, access denied, a failed
 * condition) is not retried; a transient, throttling or server error, or a timeout, is retried up to the attempts.
 */
export const boundedRetryStrategy = {
  mode: 'standard',
  acquireInitialRetryToken: async (): Promise<RetryToken> => retryToken(0),
  refreshRetryTokenForRetry: async (token: RetryToken, info: { readonly errorType?: string }): Promise<RetryToken> => {
    const next = token.getRetryCount() + 1;
    if (info.errorType === 'CLIENT_ERROR' || next >= AWS_MAX_ATTEMPTS) throw new Error('not retried');
    return retryToken(next);
  },
  recordSuccess: (): void => {},
};

/** `config` (a region, an endpoint, test credentials) over the bounded request settings. */
export function boundedClientConfig<C extends object>(config: C | undefined) {
  return {
    requestHandler: {
      connectionTimeout: AWS_CONNECTION_TIMEOUT_MS,
      requestTimeout: AWS_REQUEST_TIMEOUT_MS,
      throwOnRequestTimeout: true,
    },
    maxAttempts: AWS_MAX_ATTEMPTS,
    retryStrategy: boundedRetryStrategy,
    ...config,
  };
}

/**
 * The CLI's settings over the functions' (`boundedClientConfig`): an operator's machine may be far from the region, so
 * its calls get the SDK's own retries and generous deadlines, still enforced.
 */
export const OPERATOR_CLIENT_CONFIG = {
  requestHandler: { connectionTimeout: 5_000, requestTimeout: 30_000, throwOnRequestTimeout: true },
  maxAttempts: 3,
  retryStrategy: undefined,
};
