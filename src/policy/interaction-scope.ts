/**
 * Which SMART scope a FHIR interaction needs (https://hl7.org/fhir/smart-app-launch/scopes-and-launch-context.html):
 * read/vread/history → r, search → s, create → c, update/patch → u, delete → d, on the resource
 * type. Shapes that reach many types at once (system search and history, batch and transaction,
 * system operations) need a wildcard scope until their per-entry decisions exist (issue 4): fail
 * closed rather than let a narrow token through a wide door.
 */
import { CustosError } from '../errors.js';
import type { FhirInteraction } from '../fhir/interaction.js';
import { scopeAllows, type ScopeInteraction, type SmartScope } from './identity/smart-scopes.js';

export interface ScopeRequirement {
  readonly resourceType: string; // '*' = a wildcard scope is needed
  readonly interactions: readonly ScopeInteraction[]; // every one of them must be allowed
}

export function scopeRequirement(interaction: FhirInteraction): ScopeRequirement | undefined {
  const type = interaction.resourceType ?? '*';
  switch (interaction.kind) {
    case 'capabilities':
      return undefined; // public: SMART discovery and clients read it before they have a token
    case 'read':
    case 'vread':
    case 'history-instance':
    case 'history-type':
      return { resourceType: type, interactions: ['r'] };
    case 'history-system':
      return { resourceType: '*', interactions: ['r'] };
    case 'search-type':
    case 'search-compartment':
      return { resourceType: type, interactions: ['s'] };
    case 'search-system':
      return { resourceType: '*', interactions: ['s'] };
    case 'create':
      return { resourceType: type, interactions: ['c'] };
    case 'update':
    case 'patch':
      return { resourceType: type, interactions: interaction.conditional ? ['u', 's'] : ['u'] };
    case 'delete':
      return { resourceType: type, interactions: interaction.conditional ? ['d', 's'] : ['d'] };
    case 'operation':
      return { resourceType: type, interactions: ['r'] };
    case 'batch':
    case 'transaction':
      return { resourceType: '*', interactions: ['c', 'r', 'u', 'd', 's'] };
  }
}

/** The scopes that allow the interaction, or INSUFFICIENT_SCOPE naming what is missing. */
export function checkScopes(scopes: readonly SmartScope[], interaction: FhirInteraction, need = scopeRequirement(interaction)): readonly SmartScope[] {
  if (!need) return [];
  return need.interactions.map((wanted) => {
    const scope = scopeAllows(scopes, undefined, need.resourceType, wanted);
    if (!scope) {
      const what = need.resourceType === '*' ? 'a wildcard scope such as user/*.cruds' : `a scope such as user/${need.resourceType}.${wanted}`;
      throw new CustosError('INSUFFICIENT_SCOPE', `the token's scopes do not allow ${interaction.kind} here: it needs ${what}`);
    }
    return scope;
  });
}
