/**
 * Side-effect module: gives Node 20 the `globalThis.WebSocket` that @medplum/core 5.x expects
 * when it is evaluated (Node 22 has it built in). It must run BEFORE @medplum/core or
 * @medplum/fhir-router is imported, which is why `medplum.ts` imports it first and every other
 * module of the sample server takes medplum's values from `medplum.ts` only.
 */
import { WebSocket } from 'ws';

const scope = globalThis as { WebSocket?: unknown };
scope.WebSocket ??= WebSocket;
