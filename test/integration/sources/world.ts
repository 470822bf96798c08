/**
 * A gateway in front of several real sources at once, as an integrator would configure it:
 *
 * - `default` (/fhir): the sample FHIR server, no credentials;
 * - `clinic` (/sources/clinic/fhir): a second sample server holding the same people under other
 *   ids (`b-pat-001` is `pat-001`: same MRN), which demands SMART Backend Services tokens from a
 *   real OAuth server (ours, test/support/oauth-server.ts);
 * - `documents`: a third sample server (same ids as the default one, one MPI) from which
 *   `DocumentReference` is served at /fhir (routing by type), read-only;
 * - `legacy` (/sources/legacy/fhir): the CSV adapter over examples/legacy (MRN-100001 is pat-001).
 *
 * Patient identity: the MRN system, so one grant for `Patient/pat-001` covers the person in every
 * source. Real chain (anvil), real dev-issuer tokens, real on-chain grants through the admin API.
 */
import { generateKeyPairSync } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { calculateJwkThumbprint, exportJWK } from 'jose';
import { startSampleServer, type RunningSampleServer } from '../../../src/sample-server/server.js';
import { MRN_SYSTEM } from '../../../src/sample-server/sample-ids.js';
import { startTestGateway, type TestGateway } from '../../support/gateway.js';
import { startOAuthServer, type TestOAuthServer } from '../../support/oauth-server.js';
import { callerFor, granterFor, type Caller } from '../../support/gateway-calls.js';

export interface SourcesWorld {
  readonly gateway: TestGateway;
  readonly oauth: TestOAuthServer;
  readonly clinic: RunningSampleServer;
  readonly documents: RunningSampleServer;
  readonly main: RunningSampleServer;
  readonly prac01: string;
  readonly registrar: string;
  readonly call: Caller;
  grant(grant: Record<string, unknown>): Promise<string>;
  close(): Promise<void>;
}

export async function startSourcesWorld(extraYaml = ''): Promise<SourcesWorld> {
  const dir = mkdtempSync(join(tmpdir(), 'custos-sources-'));
  const key = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const keyFile = join(dir, 'gateway-key.pem');
  writeFileSync(keyFile, key.privateKey.export({ type: 'pkcs8', format: 'pem' }).toString());
  const jwk = await exportJWK(key.publicKey);
  const oauth = await startOAuthServer({ clients: [{ clientId: 'custos-gateway', jwks: [{ ...jwk, kid: await calculateJwkThumbprint(jwk) }], scopes: ['system/*.rs'] }] });

  const main = await startSampleServer({ patients: 4 });
  const clinic = await startSampleServer({
    patients: 4,
    idPrefix: 'b-',
    authorize: async (authorization) => (await oauth.verify(/^Bearer (.+)$/.exec(authorization ?? '')?.[1])) !== undefined,
  });
  const documents = await startSampleServer({ patients: 4 });
  const configFile = join(dir, 'custos.yaml');
  writeFileSync(configFile, `
sources:
  - id: clinic
    url: ${clinic.url}
    auth:
      type: smart-backend
      tokenUrl: ${oauth.tokenUrl}
      clientId: custos-gateway
      privateKeyFile: ${keyFile}
      scope: system/*.rs
  - id: documents
    url: ${documents.url}
    readOnly: true
  - id: legacy
    kind: csv
    csv:
      patientsFile: examples/legacy/patients.csv
      observationsFile: examples/legacy/observations.csv
routing:
  types:
    DocumentReference: documents
patientIdentity:
  system: ${MRN_SYSTEM}
  cacheTtlSeconds: 300
${extraYaml}`);
  const gateway = await startTestGateway(main.url, { CUSTOS_CONFIG: configFile, CUSTOS_CHAIN_POLL_INTERVAL_MS: '100' });
  const prac01 = gateway.token;
  const registrar = await gateway.mint({ fhirUser: 'Practitioner/registrar-1', scope: 'custos/registrar' });

  const call = callerFor(gateway.origin);
  const grant = granterFor(gateway.origin, registrar);
  return {
    gateway, oauth, clinic, documents, main, prac01, registrar, call, grant,
    async close() {
      await gateway.close();
      await Promise.all([main.close(), clinic.close(), documents.close(), oauth.close()]);
    },
  };
}
