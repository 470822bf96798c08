/**
 * JSON Schemas of the admin consent API's request bodies (validated with ajv; one problem
 * document listing every bad field).
 */
import { PATIENT_REFERENCE_PATTERN } from '../../policy/patient-reference-subject.js';
import { CONSENT_ACTIONS, CONSENT_PURPOSES, CONSENT_RESOURCE_TYPES } from '../../policy/consent-codes.js';

const reference = (types: string) => ({ type: 'string', pattern: `^(${types})/[A-Za-z0-9\\-.]{1,64}$` });
const patientReference = { type: 'string', pattern: PATIENT_REFERENCE_PATTERN };
const unixSeconds = { type: 'integer', minimum: 0, maximum: 2 ** 40 };

export const grantRequestSchema = {
  type: 'object',
  additionalProperties: false,
  required: ['patient', 'grantee'],
  properties: {
    patient: patientReference,
    grantee: reference('Practitioner|PractitionerRole|Organization|RelatedPerson|Patient|Device|CareTeam'),
    effect: { enum: ['permit', 'deny'] },
    resourceTypes: { oneOf: [{ const: '*' }, { type: 'array', minItems: 1, uniqueItems: true, items: { enum: [...CONSENT_RESOURCE_TYPES] } }] },
    actions: { type: 'array', minItems: 1, uniqueItems: true, items: { enum: [...CONSENT_ACTIONS] } },
    purposes: { oneOf: [{ const: '*' }, { type: 'array', minItems: 1, uniqueItems: true, items: { enum: [...CONSENT_PURPOSES] } }] },
    notBefore: unixSeconds,
    notAfter: unixSeconds,
  },
} as const;

export const searchRequestSchema = {
  type: 'object',
  additionalProperties: false,
  required: ['patient'],
  properties: { patient: patientReference },
} as const;

export const signedGrantRequestSchema = {
  type: 'object',
  additionalProperties: false,
  required: ['grant', 'signer', 'nonce', 'deadline', 'signature'],
  properties: {
    grant: grantRequestSchema,
    signer: { type: 'string', pattern: '^0x[0-9a-fA-F]{40}$' },
    nonce: { type: 'string', pattern: '^[0-9]{1,78}$' },
    deadline: unixSeconds,
    signature: { type: 'string', pattern: '^0x[0-9a-fA-F]{130}$' },
  },
} as const;

export const typedDataRequestSchema = {
  type: 'object',
  additionalProperties: false,
  required: ['grant', 'signer'],
  properties: {
    grant: grantRequestSchema,
    signer: { type: 'string', pattern: '^0x[0-9a-fA-F]{40}$' },
    deadline: unixSeconds,
  },
} as const;
