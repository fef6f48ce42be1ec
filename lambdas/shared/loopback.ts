/** Plain `http:` is accepted only for a provider on this machine's loopback interface (local mode, tests). */
export function isLoopbackHttp(url: URL | string): boolean {
  const { protocol, hostname } = typeof url === 'string' ? new URL(url) : url;
  return protocol === 'http:' && ['127.0.0.1', '[::1]', 'localhost'].includes(hostname);
}
