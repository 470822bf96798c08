/**
 * Composition root: reads nothing by itself (config comes in), picks adapters, wires the ports,
 * starts the servers. The only module that knows every other one.
 */
import type { Logger } from 'pino';
import { EthersAuditAnchor } from './adapters/ledger/ethers-audit-anchor.js';
import { composeAudit } from './compose/audit.js';
import { composeConsent } from './compose/consent.js';
import { composeIdentity } from './compose/identity.js';
import { createAuditRouter } from './http/admin/audit-routes.js';
import { fhirNameResolver } from './http/admin/fhir-names.js';
import { createReportRouter } from './http/admin/report-routes.js';
import { adminAccessRecorder } from './http/admin/admin-access-audit.js';
import { reportRenderers } from './http/admin/report-renderers.js';
import { createConsentRouter } from './http/admin/consent-routes.js';
import { createConsoleRouter } from './http/admin/console-routes.js';
import { callerOf } from './http/consent-intake.js';
import type { CustosConfig } from './config/types.js';
import { loadPatientCompartment } from './fhir/patient-compartment.js';
import { composeFhirMounts, FHIR_BASE, gatewayBaseUrl } from './compose/fhir-mounts.js';
import { composeSources } from './compose/sources.js';
import { startGatewayServer } from './http/gateway-server.js';
import { createOpsApp } from './http/ops-app.js';

export const FHIR_MOUNT_PATH = FHIR_BASE;

export interface RunningCustos {
  /** e.g. http://127.0.0.1:8080 */
  readonly origin: string;
  /** e.g. http://127.0.0.1:8080/fhir */
  readonly fhirBaseUrl: string;
  readonly upstreamUrl: string;
  /** True when the bundled sample FHIR server was started because no upstream was configured. */
  readonly sampleServer: boolean;
  /** Graceful stop: in-flight requests finish (bounded by server.shutdownTimeoutMs), then everything closes. */
  close(): Promise<void>;
}

export async function startCustos(config: CustosConfig, logger: Logger): Promise<RunningCustos> {
  const closers: Array<() => Promise<void>> = [];
  try {
    const sources = await composeSources(config, logger);
    closers.unshift(() => sources.close());
    const source = sources.defaultSource.source;

    const identity = await composeIdentity(config);
    const consent = await composeConsent(config, logger);
    closers.unshift(() => consent.close());
    const audit = await composeAudit(config, new EthersAuditAnchor({ connection: consent.connection, anchorAddress: consent.deployment.auditAnchor }), logger);
    closers.unshift(() => audit.close());
    const mounts = composeFhirMounts({
      config, logger, sources, compartment: loadPatientCompartment(), consents: consent.indexer, pseudonyms: consent.pseudonyms,
      authenticator: identity.authenticator, recorder: audit.recorder, instanceId: audit.instanceId,
      consentIntake: { ledger: consent.ledger, pseudonyms: consent.pseudonyms, nowSeconds: () => Math.floor(Date.now() / 1000) },
      ...(consent.redis ? { redis: consent.redis } : {}),
    });
    closers.unshift(() => mounts.close());
    const consentRouter = createConsentRouter({
      subjectOf: mounts.subjectOf,
      authenticate: async (authorization) => callerOf(await identity.authenticator.authenticate(authorization, {})),
      ledger: consent.ledger,
      reader: consent.indexer,
      pseudonyms: consent.pseudonyms,
      typedData: async (grant, _signer, nonce, deadline) => consent.ledger.grantTypedData(grant, nonce, deadline),
      nowSeconds: () => Math.floor(Date.now() / 1000),
    });

    // Admin routes that record the caller's access in the audit log need the identity, not just scopes.
    const authenticateAdmin = async (authorization: string | undefined) => {
      const actor = await identity.authenticator.authenticate(authorization, {});
      return { ...callerOf(actor), actor };
    };
    const gatewayIdentity = { id: audit.instanceId, baseUrl: gatewayBaseUrl(config, FHIR_MOUNT_PATH) };
    let shuttingDown = false;
    const server = await startGatewayServer({
      host: config.server.host,
      port: config.server.port,
      mountPath: FHIR_MOUNT_PATH,
      fhir: mounts.main,
      sources: mounts.bySource,
      other: createOpsApp({
        readiness: [
          { name: 'upstream', check: (signal) => source.ping(signal) },
          { name: 'audit-store', check: async () => ({ ok: audit.log.healthy, ...(audit.log.healthy ? {} : { reason: 'the audit store is unreachable: FHIR requests get 503' }) }) },
          {
            name: 'consent-index',
            check: async () => {
              const status = consent.indexer.status();
              return { ok: !status.stale, ...(status.reason ? { reason: status.reason } : {}) };
            },
          },
        ],
        routers: [
          ['/admin/consents', consentRouter],
          ['/admin/reports', createReportRouter({
            ...(mounts.samePerson ? { samePerson: mounts.samePerson } : {}),
            authenticate: authenticateAdmin,
            recordAccess: adminAccessRecorder(audit.recorder, gatewayIdentity),
            store: audit.store,
            tree: () => audit.log.tree,
            chain: { chainId: consent.deployment.chainId, contract: consent.deployment.auditAnchor },
            resolveNames: fhirNameResolver(source),
            pseudonym: (reference) => 'P-' + consent.pseudonyms.of('subject', `report:${reference}`).slice(2, 14),
            renderers: reportRenderers,
          })],
          ['/admin/audit', createAuditRouter({
            authenticate: authenticateAdmin,
            recordAccess: adminAccessRecorder(audit.recorder, gatewayIdentity),
            store: audit.store,
            log: audit.log,
            anchoring: audit.anchoring,
            chain: { chainId: consent.deployment.chainId, contract: consent.deployment.auditAnchor },
            explorerTxUrl: config.audit.explorerTxUrl,
          })],
          ['/console', createConsoleRouter({
            authenticate: authenticateAdmin,
            store: audit.store,
            devIssuer: config.identity.devIssuer.enabled ? identity.devIssuer : undefined,
          })],
        ],
        isShuttingDown: () => shuttingDown,
      }),
    });
    const host = config.server.host === '0.0.0.0' || config.server.host === '::' ? '127.0.0.1' : config.server.host;
    const origin = `http://${host.includes(':') ? `[${host}]` : host}:${server.port}`;
    logger.info({ fhirBase: origin + FHIR_MOUNT_PATH }, 'custos is listening');
    return {
      origin,
      fhirBaseUrl: origin + FHIR_MOUNT_PATH,
      upstreamUrl: sources.upstreamUrl,
      sampleServer: sources.sampleServer,
      async close() {
        shuttingDown = true;
        await server.close(config.server.shutdownTimeoutMs);
        for (const close of closers) await close().catch(() => undefined);
      },
    };
  } catch (error) {
    for (const close of closers) await close().catch(() => undefined);
    throw error;
  }
}
