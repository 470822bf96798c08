/**
 * The consent model shared by the contracts, the ledger adapter, the consent index and the
 * decision function. Everything on chain is pseudonymous: subjects and grantees are keyed HMACs
 * (see pseudonym.ts), scopes are bitmasks over the fixed lists in consent-codes.ts, and the full
 * policy document (e.g. a FHIR Consent resource) is represented only by its hash.
 */

/** 0x-prefixed, 64 lower-case hex digits. */
export type Bytes32 = string;

/** `permit` grants access (opt-in model); `deny` records a refusal (opt-out model, and overrides). */
export type ConsentEffect = 'permit' | 'deny';
export type ConsentStatus = 'active' | 'revoked';

/** Which consent model a deployment runs (a deployment setting, also recorded in the contract). */
export type ConsentModel = 'opt-in' | 'opt-out';

export interface ConsentScope {
  /** Bitmask over CONSENT_RESOURCE_TYPES; allBits = every type in the Patient compartment. */
  readonly resourceTypes: bigint;
  /** Bitmask over CONSENT_ACTIONS (read = 1, write = 2). */
  readonly actions: bigint;
  /** Bitmask over CONSENT_PURPOSES; allBits = any purpose. */
  readonly purposes: bigint;
  /** Unix seconds; 0 = no lower bound. */
  readonly notBefore: number;
  /** Unix seconds; 0 = no upper bound. */
  readonly notAfter: number;
}

export interface GrantInput extends ConsentScope {
  readonly subject: Bytes32;
  readonly grantee: Bytes32;
  readonly effect: ConsentEffect;
  /** SHA-256 of the canonical policy document, or 0x00…00 when there is none. */
  readonly policyHash: Bytes32;
}

/** Where a grant or revocation was recorded on chain. */
export interface ChainPosition {
  readonly blockNumber: number;
  readonly blockHash: Bytes32;
  readonly transactionHash: Bytes32;
  readonly logIndex: number;
}

export interface ConsentGrant extends GrantInput {
  /** The contract's grant id (uint256, as a decimal string). */
  readonly id: string;
  readonly status: ConsentStatus;
  /** The account that recorded it: the patient's own key (signed grant) or a registrar. */
  readonly recordedBy: string;
  readonly via: 'patient-signature' | 'registrar';
  readonly granted: ChainPosition;
  readonly revoked?: ChainPosition;
}

/** A contract event, as the index consumes them (in chain order). */
export type ConsentEvent =
  | { readonly kind: 'granted'; readonly grant: Omit<ConsentGrant, 'status' | 'revoked'>; readonly position: ChainPosition }
  | { readonly kind: 'revoked'; readonly grantId: string; readonly subject: Bytes32; readonly position: ChainPosition };

/** A question for the index: may this actor do this to this patient, for this purpose, now? */
export interface ConsentQuery {
  readonly subject: Bytes32;
  /** The actor's pseudonym and, when known, its organization's: a grant to either applies. */
  readonly grantees: readonly Bytes32[];
  /** Bit position in CONSENT_RESOURCE_TYPES (the caller resolves names once). */
  readonly resourceTypeBit: number;
  /** Bit position in CONSENT_ACTIONS. */
  readonly actionBit: number;
  /** Bit position in CONSENT_PURPOSES. */
  readonly purposeBit: number;
  /** Unix seconds. */
  readonly now: number;
}

/** The answer names what decided it, so the audit event can record it. */
export type ConsentAnswer =
  | { readonly permitted: true; readonly grantId: string | null; readonly rule: 'grant' | 'opt-out-default' }
  | { readonly permitted: false; readonly grantId: string | null; readonly rule: 'denial' | 'no-grant' | 'index-stale' };
