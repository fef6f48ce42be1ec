/**
 * What clients the registry learns of at run time may do: dynamically registered ones (RFC 7591) and those known by a
 * Client ID Metadata Document. Types only, with no imports: the manifest (public API) and the handlers' configuration
 * both read them.
 */

/** Bounds of dynamic client registration, and what its clients may be granted. */
export interface DynamicClientRegistrationSettings {
  /** Registrations accepted per clock hour, registry-wide. */
  readonly registrationsPerHour: number;
  /** Seconds a registered client lives without being used at the authorization endpoint. */
  readonly unusedExpirySecs: number;
  readonly scopes: readonly string[];
  readonly accessTokenTtlSecs: number;
}

/** What clients known by a metadata document URL may do, and where their documents may come from. */
export interface ClientIdMetadataDocumentsSettings {
  /** Hosts documents may be fetched from (exact host names). @default any public host */
  readonly allowedHosts?: readonly string[];
  /** Documents (and their `jwks_uri`) may be on loopback, private or link-local addresses. @default false */
  readonly allowPrivateNetwork?: boolean;
  /** Scopes such a client may be granted: the MCP servers' by default. */
  readonly scopes: readonly string[];
  readonly accessTokenTtlSecs: number;
}
