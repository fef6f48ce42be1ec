// oidc-provider ships no type declarations; the benchmark and tests use it untyped, as a peer.
declare module 'oidc-provider';
