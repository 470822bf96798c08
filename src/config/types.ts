/** The validated, frozen configuration (mirrors config/custos.schema.json). */
export interface CustosConfig {
  readonly dataDir: string;
  readonly server: {
    readonly host: string;
    readonly port: number;
    readonly publicUrl: string | null;
    readonly trustProxy: boolean;
    readonly bodyLimitBytes: number;
    readonly shutdownTimeoutMs: number;
    /** Per client address: requests without a valid token per second (0: no limit), and the burst allowed. */
    readonly unauthenticatedPerSecond: number;
    readonly unauthenticatedBurst: number;
    /** With Redis: how long to wait for the replicas' shared budget before the local bucket decides. */
    readonly sharedLimitTimeoutMs: number;
  };
  readonly upstream: {
    readonly url: string | null;
    readonly connectTimeoutMs: number;
    readonly responseTimeoutMs: number;
    readonly connections: number;
    readonly auth: UpstreamAuthConfig;
    readonly readOnly: boolean;
  };
  /** Further sources, each served at `/sources/{id}/fhir`. */
  readonly sources: readonly SourceConfig[];
  /** Resource types served at `/fhir` from another source (`{ DocumentReference: 'documents' }`). */
  readonly routing: { readonly types: Readonly<Record<string, string>> };
  /** The consent subject derived from one identifier system, shared across sources; null: per source. */
  readonly patientIdentity: { readonly system: string | null; readonly cacheTtlSeconds: number };
  readonly validation: { readonly mode: 'off' | 'warn' | 'enforce' };
  readonly sampleServer: {
    readonly host: string;
    readonly port: number;
    readonly patients: number;
    readonly seed: number;
  };
  readonly identity: {
    readonly issuers: ReadonlyArray<{ readonly issuer: string; readonly audience: string; readonly jwksUri?: string; readonly jwksFile?: string; readonly tokenUrl?: string; readonly authorizeUrl?: string }>;
    readonly clockSkewSeconds: number;
    readonly purposeOfUse: { readonly header: boolean; readonly default: string | null };
    readonly devIssuer: { readonly enabled: boolean };
  };
  readonly chain: {
    readonly rpcUrl: string | null;
    readonly signerKey: string | null;
    readonly deploymentFile: string | null;
    readonly confirmations: number;
    readonly pollIntervalMs: number;
    readonly maxStalenessMs: number;
  };
  readonly consent: { readonly model: 'opt-in' | 'opt-out'; readonly pseudonymKey: string | null };
  /** Shared state across replicas; a command not answered within commandTimeoutMs fails. */
  readonly redis: { readonly url: string | null; readonly commandTimeoutMs: number };
  readonly enforcement: {
    readonly operations: readonly string[];
    readonly graphql: boolean;
    readonly bulkExport: { readonly clients: readonly string[] };
    readonly breakGlass: { readonly actors: readonly string[] };
    readonly maxResponseBytes: number;
  };
  readonly audit: {
    readonly postgresUrl: string | null;
    readonly postgresSchema: string;
    readonly instanceId: string | null;
    readonly explorerTxUrl: string | null;
    readonly anchorIntervalMs: number;
    readonly sequenceIntervalMs: number;
    readonly commitDelayMs: number;
    readonly maxBatch: number;
    readonly maxPending: number;
    readonly retryAfterSeconds: number;
  };
  readonly log: { readonly level: LogLevel };
}

export interface SourceConfig {
  readonly id: string;
  /** `fhir` (default): an HTTP FHIR R4 server at `url`; `csv`: the legacy CSV adapter. */
  readonly kind?: 'fhir' | 'csv';
  readonly url?: string;
  readonly connectTimeoutMs?: number;
  readonly responseTimeoutMs?: number;
  readonly connections?: number;
  readonly auth?: UpstreamAuthConfig;
  readonly readOnly?: boolean;
  readonly csv?: { readonly patientsFile: string; readonly observationsFile: string; readonly identifierSystem?: string };
}

export type LogLevel = 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';

export type UpstreamAuthConfig =
  | { readonly type: 'none' }
  | { readonly type: 'bearer'; readonly token: string }
  | { readonly type: 'basic'; readonly username: string; readonly password: string }
  /** Mutual TLS: a client certificate presented in the TLS handshake (files read at start). */
  | {
      readonly type: 'mtls';
      readonly certFile: string;
      readonly keyFile: string;
      /** PEM CA(s) that the upstream's certificate must chain to; replaces the system CAs for this upstream (Node `tls` `ca`). */
      readonly caFile?: string;
      readonly passphrase?: string;
    }
  /** SMART Backend Services (client-credentials grant, private_key_jwt), http://hl7.org/fhir/smart-app-launch/backend-services.html */
  | {
      readonly type: 'smart-backend';
      readonly tokenUrl: string;
      readonly clientId: string;
      /** PEM (PKCS#8, PKCS#1 or SEC1) or JWK file holding the private key that signs the client assertion. */
      readonly privateKeyFile: string;
      /** `kid` of the assertion; default: the RFC 7638 thumbprint of the public key. */
      readonly keyId?: string;
      /** Default: from the key (RSA → RS384, EC P-384 → ES384). */
      readonly algorithm?: 'RS384' | 'ES384';
      /** e.g. `system/*.rs` */
      readonly scope: string;
      /** Refresh this long before the token expires; default 60. */
      readonly refreshBeforeSeconds?: number;
    };
