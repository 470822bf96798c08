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
  };
  readonly upstream: {
    readonly url: string | null;
    readonly connectTimeoutMs: number;
    readonly responseTimeoutMs: number;
    readonly connections: number;
    readonly auth: UpstreamAuthConfig;
  };
  readonly sampleServer: {
    readonly host: string;
    readonly port: number;
    readonly patients: number;
    readonly seed: number;
  };
  readonly identity: {
    readonly issuers: ReadonlyArray<{ readonly issuer: string; readonly audience: string; readonly jwksUri?: string; readonly jwksFile?: string }>;
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
  readonly redis: { readonly url: string | null };
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

export type LogLevel = 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';

export type UpstreamAuthConfig =
  | { readonly type: 'none' }
  | { readonly type: 'bearer'; readonly token: string }
  | { readonly type: 'basic'; readonly username: string; readonly password: string };
