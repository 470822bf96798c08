/** The validated, frozen configuration (mirrors config/custos.schema.json). */
export interface CustosConfig {
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
  readonly log: { readonly level: LogLevel };
}

export type LogLevel = 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';

export type UpstreamAuthConfig =
  | { readonly type: 'none' }
  | { readonly type: 'bearer'; readonly token: string }
  | { readonly type: 'basic'; readonly username: string; readonly password: string };
