/**
 * Admin API for consent (`/admin/consents`): grant, revoke, search by patient, show one with its
 * on-chain position, record a FHIR Consent, and relay a patient-signed (EIP-712) grant.
 *
 * Who may do what: recording and revoking need a registrar (`custos/registrar`) or admin
 * (`custos/admin`) scope; a patient may relay a grant she signed for herself. Nobody can grant
 * themselves access: a grant whose grantee is the caller (or the caller's organization) is refused.
 * Patient identifiers travel in bodies, never in URLs.
 */
import express, { type Request, type Response, type Router } from 'express';
import { CustosError } from '../../errors.js';
import { CONSENT_ACTIONS, CONSENT_PURPOSES, CONSENT_RESOURCE_TYPES, allBits, fromMask, toMask } from '../../policy/consent-codes.js';
import type { Bytes32, ConsentGrant, GrantInput } from '../../policy/consent-model.js';
import type { SubjectOfReference } from '../../policy/patient-reference-subject.js';
import type { ConsentLedger } from '../../policy/consents.js';
import type { Pseudonymizer } from '../../policy/pseudonym.js';
import { grantRequestSchema, searchRequestSchema, signedGrantRequestSchema, typedDataRequestSchema } from './consent-request-schemas.js';
import { validateBody } from './json-body-validator.js';
import { REGISTRAR_SCOPES, isRegistrar, recordConsentResource, refuseSelfGrant, type ConsentCaller } from '../consent-intake.js';

export type AdminCaller = ConsentCaller;

/** What the routes read from the consent index. */
export interface ConsentReader {
  grantsOf(subject: string): readonly ConsentGrant[];
  grant(id: string): ConsentGrant | undefined;
}

export interface ConsentRouteDeps {
  authenticate(authorization: string | undefined): Promise<AdminCaller>;
  /** The subject a patient reference names; absent: the pseudonym of the reference itself. */
  readonly subjectOf?: SubjectOfReference;
  readonly ledger: ConsentLedger;
  readonly reader: ConsentReader;
  readonly pseudonyms: Pseudonymizer;
  /** EIP-712 typed data a patient signs for this grant (domain bound to the chain and registry). */
  typedData(grant: GrantInput, signer: string, nonce: bigint, deadline: number): Promise<unknown>;
  nowSeconds(): number;
}

interface GrantRequest {
  patient: string; grantee: string; effect?: 'permit' | 'deny';
  resourceTypes?: '*' | string[]; actions?: string[]; purposes?: '*' | string[];
  notBefore?: number; notAfter?: number;
}

export function createConsentRouter(deps: ConsentRouteDeps): Router {
  const router = express.Router();
  router.use(express.json({ limit: '256kb', type: ['application/json', 'application/fhir+json'] }));

  const caller = (req: Request) => deps.authenticate(req.headers.authorization);
  const requireRegistrar = async (req: Request) => {
    const who = await caller(req);
    if (!isRegistrar(who)) {
      throw new CustosError('INSUFFICIENT_SCOPE', `recording consent needs the scope ${REGISTRAR_SCOPES.join(' or ')}`);
    }
    return who;
  };

  router.post('/', async (req: Request, res: Response) => {
    const who = await requireRegistrar(req);
    const body = validateBody<GrantRequest>(grantRequestSchema, req.body);
    refuseSelfGrant(who, [body.grantee]);
    const input = toGrantInput(body, await subjectFor(deps, body.patient), deps, deps.nowSeconds());
    const receipt = await deps.ledger.grant(input);
    res.status(201).json({ id: receipt.grantId, transactionHash: receipt.transactionHash, blockNumber: receipt.blockNumber, subject: input.subject, grantee: input.grantee });
  });

  router.post('/fhir', async (req: Request, res: Response) => {
    const who = await requireRegistrar(req);
    res.status(201).json(await recordConsentResource(deps, who, req.body));
  });

  router.post('/search', async (req: Request, res: Response) => {
    await requireRegistrar(req);
    const { patient } = validateBody<{ patient: string }>(searchRequestSchema, req.body);
    res.json({ patient, grants: deps.reader.grantsOf(await subjectFor(deps, patient)).map(describeGrant) });
  });

  router.get('/:id', async (req: Request, res: Response) => {
    await requireRegistrar(req);
    const id = String(req.params['id'] ?? '');
    const grant = /^\d{1,78}$/.test(id) ? deps.reader.grant(id) : undefined;
    if (!grant) throw new CustosError('NOT_FOUND', 'no grant with this id is known to the consent index (yet)');
    res.json(describeGrant(grant));
  });

  router.post('/:id/revoke', async (req: Request, res: Response) => {
    await requireRegistrar(req);
    const id = String(req.params['id'] ?? '');
    if (!/^\d{1,78}$/.test(id)) throw new CustosError('INVALID_REQUEST', 'a grant id is a decimal number');
    const receipt = await deps.ledger.revoke(id);
    res.json({ id, status: 'revoked', transactionHash: receipt.transactionHash, blockNumber: receipt.blockNumber });
  });

  router.post('/patient-signed/typed-data', async (req: Request, res: Response) => {
    const who = await caller(req);
    const body = validateBody<{ grant: GrantRequest; signer: string; deadline?: number }>(typedDataRequestSchema, req.body);
    requirePatientSelfOrRegistrar(who, body.grant.patient);
    const input = toGrantInput(body.grant, await subjectFor(deps, body.grant.patient), deps, deps.nowSeconds());
    const nonce = await deps.ledger.nonceOf(body.signer);
    const deadline = body.deadline ?? deps.nowSeconds() + 3600;
    res.json({ nonce: nonce.toString(), deadline, typedData: await deps.typedData(input, body.signer, nonce, deadline) });
  });

  router.post('/patient-signed', async (req: Request, res: Response) => {
    const who = await caller(req);
    const body = validateBody<{ grant: GrantRequest; signer: string; nonce: string; deadline: number; signature: string }>(signedGrantRequestSchema, req.body);
    requirePatientSelfOrRegistrar(who, body.grant.patient);
    const grant = toGrantInput(body.grant, await subjectFor(deps, body.grant.patient), deps, deps.nowSeconds());
    const receipt = await deps.ledger.grantBySignature({ grant, signer: body.signer, nonce: BigInt(body.nonce), deadline: body.deadline, signature: body.signature });
    res.status(201).json({ id: receipt.grantId, transactionHash: receipt.transactionHash, blockNumber: receipt.blockNumber });
  });

  return router;
}

/** The subject a patient reference names (resolved through its source when identity spans sources). */
function subjectFor(deps: ConsentRouteDeps, patient: string): Promise<Bytes32> {
  return deps.subjectOf ? deps.subjectOf(patient) : Promise.resolve(deps.pseudonyms.of('subject', patient));
}

function toGrantInput(body: GrantRequest, subject: Bytes32, deps: ConsentRouteDeps, now: number): GrantInput {
  if (body.notAfter !== undefined && body.notAfter <= now) throw new CustosError('INVALID_REQUEST', 'notAfter is in the past');
  if (body.notAfter !== undefined && body.notBefore !== undefined && body.notAfter <= body.notBefore) {
    throw new CustosError('INVALID_REQUEST', 'notAfter must be later than notBefore');
  }
  const typeMask = !body.resourceTypes || body.resourceTypes === '*' ? allBits(CONSENT_RESOURCE_TYPES) : toMask(CONSENT_RESOURCE_TYPES, body.resourceTypes, 'resource type');
  const purposeMask = !body.purposes || body.purposes === '*' ? allBits(CONSENT_PURPOSES) : toMask(CONSENT_PURPOSES, body.purposes, 'purpose');
  return {
    subject,
    grantee: deps.pseudonyms.grantee(body.grantee),
    effect: body.effect ?? 'permit',
    resourceTypes: typeMask,
    actions: toMask(CONSENT_ACTIONS, body.actions ?? ['read'], 'action'),
    purposes: purposeMask,
    notBefore: body.notBefore ?? 0,
    notAfter: body.notAfter ?? 0,
    policyHash: '0x' + '0'.repeat(64),
  };
}

function requirePatientSelfOrRegistrar(who: AdminCaller, patient: string): void {
  if (who.fhirUser === patient || isRegistrar(who)) return;
  throw new CustosError('FORBIDDEN', 'only the patient herself (or a registrar) can relay a patient-signed grant');
}

/** A grant as the API shows it: masks decoded to names, "*" for everything. */
export function describeGrant(grant: ConsentGrant): Record<string, unknown> {
  const names = (list: readonly string[], mask: bigint) => (mask === allBits(list) ? '*' : fromMask(list, mask));
  return {
    id: grant.id,
    status: grant.status,
    effect: grant.effect,
    subject: grant.subject,
    grantee: grant.grantee,
    resourceTypes: names(CONSENT_RESOURCE_TYPES, grant.resourceTypes),
    actions: fromMask(CONSENT_ACTIONS, grant.actions),
    purposes: names(CONSENT_PURPOSES, grant.purposes),
    notBefore: grant.notBefore || null,
    notAfter: grant.notAfter || null,
    policyHash: grant.policyHash,
    via: grant.via,
    recordedBy: grant.recordedBy,
    granted: grant.granted,
    ...(grant.revoked ? { revoked: grant.revoked } : {}),
  };
}
