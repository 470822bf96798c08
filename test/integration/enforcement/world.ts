/**
 * The world the enforcement suites run in: the real sample FHIR server, a real gateway on its
 * embedded chain (anvil + ConsentRegistry) under the default opt-in model, real dev-issuer tokens,
 * and real on-chain grants recorded through the admin API:
 *
 *   pat-001 → Practitioner/prac-01: read, every type, any purpose
 *   pat-003 → Practitioner/prac-01: read and write, every type, any purpose
 *   pat-002 → nobody. pat-002 is the denied patient: none of its ids, its MRN, its given name or version
 *   may appear anywhere in an answer to prac-01 (body and headers). `obs-cross-01` has subject
 *   pat-001 and performer pat-002, so it is denied too (deny overrides).
 */
import assert from 'node:assert/strict';
import { startSampleServer, type RunningSampleServer } from '../../../src/sample-server/server.js';
import { callerFor, granterFor, type Answer, type Caller } from '../../support/gateway-calls.js';
import { startTestGateway, type TestGateway } from '../../support/gateway.js';

export type { Answer };

export interface World {
  readonly sample: RunningSampleServer;
  readonly gateway: TestGateway;
  readonly base: string;
  /** prac-01's token (user/*.cruds). */
  readonly prac01: string;
  /** A practitioner nobody has granted anything (user/*.cruds). */
  readonly stranger: string;
  readonly registrar: string;
  /** Markers of the denied patient pat-002: ids, MRN, family name. */
  readonly deniedMarkers: readonly string[];
  readonly call: Caller;
  /** GET straight from the sample server (what exists, regardless of consent). */
  direct(path: string): Promise<Record<string, any>>; // eslint-disable-line @typescript-eslint/no-explicit-any
  grant(grant: Record<string, unknown>): Promise<string>;
  close(): Promise<void>;
}

export function assertNothingOf(answer: Answer, markers: readonly string[], what = 'the denied patient'): void {
  for (const marker of markers) {
    assert.ok(!answer.text.includes(marker), `the body holds ${marker} of ${what}`);
    assert.ok(!answer.headers.includes(marker), `a header holds ${marker} of ${what}`);
  }
}

export async function startWorld(env: Record<string, string> = {}): Promise<World> {
  const sample = await startSampleServer({ patients: 8 });
  // The sample server runs in the test's process: a long synchronous answer of its own (GraphQL
  // over every Observation takes seconds on a slow VM) holds the event loop the consent follower
  // polls from, and the gateway would rightly fail closed on a stale index (503). The staleness
  // bound is therefore wider than the default here; staleness itself is tested elsewhere.
  const gateway = await startTestGateway(sample.url, { CUSTOS_CHAIN_POLL_INTERVAL_MS: '100', CUSTOS_CHAIN_MAX_STALENESS_MS: '60000', ...env });
  const base = gateway.fhirBaseUrl;
  const prac01 = gateway.token;
  const stranger = await gateway.mint({ fhirUser: 'Practitioner/prac-07', scope: 'user/*.cruds' });
  const registrar = await gateway.mint({ fhirUser: 'Practitioner/registrar-1', scope: 'custos/registrar' });

  const call = callerFor(base);
  const direct = async (path: string) => (await (await fetch(`${sample.url}${path}`)).json()) as Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any
  const grant = granterFor(gateway.origin, registrar);

  await grant({ patient: 'Patient/pat-001', grantee: 'Practitioner/prac-01', actions: ['read'] });
  await grant({ patient: 'Patient/pat-003', grantee: 'Practitioner/prac-01', actions: ['read', 'write'] });
  const denied = await direct('/Patient/pat-002');
  // pat-001 shares pat-002's family name in the sample data, so the given name marks pat-002.
  const given = String(denied['name'][0]['given'][0]);
  const deniedMarkers = ['pat-002', 'MRN-100002', `"given":["${given}"`, `${given} `, String(denied['meta']['versionId']), '-002-', 'obs-cross-01'];

  return {
    sample, gateway, base, prac01, stranger, registrar, deniedMarkers, call, direct, grant,
    async close() {
      await gateway.close();
      await sample.close();
    },
  };
}
