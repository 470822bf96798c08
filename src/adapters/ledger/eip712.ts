/**
 * The EIP-712 typed data a patient signs to grant or revoke consent herself
 * (https://eips.ethereum.org/EIPS/eip-712), relayed by the gateway to ConsentRegistry's
 * `grantBySignature` / `revokeBySignature`. Types, field order and domain must match
 * contracts/ConsentRegistry.sol and contracts/Eip712Signatures.sol exactly.
 *
 * The builders return the JSON a wallet's `eth_signTypedData_v4` takes: `types` includes
 * `EIP712Domain`, numbers that can exceed 2^53 are decimal strings.
 */
import { type Signer, type TypedDataField, verifyTypedData } from 'ethers';
import type { Bytes32, GrantInput } from '../../policy/consent-model.js';

export const REGISTRY_DOMAIN_NAME = 'Custos ConsentRegistry';
export const REGISTRY_DOMAIN_VERSION = '1';

export interface Eip712Domain {
  readonly name: string;
  readonly version: string;
  readonly chainId: number;
  readonly verifyingContract: string;
}

const DOMAIN_FIELDS: TypedDataField[] = [
  { name: 'name', type: 'string' },
  { name: 'version', type: 'string' },
  { name: 'chainId', type: 'uint256' },
  { name: 'verifyingContract', type: 'address' },
];

export const GRANT_TYPES: Record<'Grant', TypedDataField[]> = {
  Grant: [
    { name: 'subject', type: 'bytes32' },
    { name: 'grantee', type: 'bytes32' },
    { name: 'effect', type: 'uint8' },
    { name: 'resourceTypes', type: 'uint256' },
    { name: 'actions', type: 'uint256' },
    { name: 'purposes', type: 'uint256' },
    { name: 'notBefore', type: 'uint64' },
    { name: 'notAfter', type: 'uint64' },
    { name: 'policyHash', type: 'bytes32' },
    { name: 'nonce', type: 'uint256' },
    { name: 'deadline', type: 'uint256' },
  ],
};

export const REVOKE_TYPES: Record<'Revoke', TypedDataField[]> = {
  Revoke: [
    { name: 'grantId', type: 'uint256' },
    { name: 'nonce', type: 'uint256' },
    { name: 'deadline', type: 'uint256' },
  ],
};

export interface GrantMessage {
  readonly subject: Bytes32;
  readonly grantee: Bytes32;
  /** 0 = permit, 1 = deny. */
  readonly effect: number;
  readonly resourceTypes: string;
  readonly actions: string;
  readonly purposes: string;
  readonly notBefore: number;
  readonly notAfter: number;
  readonly policyHash: Bytes32;
  readonly nonce: string;
  readonly deadline: number;
}

export interface RevokeMessage {
  readonly grantId: string;
  readonly nonce: string;
  readonly deadline: number;
}

export interface TypedData<P extends 'Grant' | 'Revoke', M> {
  readonly domain: Eip712Domain;
  readonly types: Record<'EIP712Domain' | P, TypedDataField[]>;
  readonly primaryType: P;
  readonly message: M;
}

export type GrantTypedData = TypedData<'Grant', GrantMessage>;
export type RevokeTypedData = TypedData<'Revoke', RevokeMessage>;

export function registryDomain(chainId: number, registryAddress: string): Eip712Domain {
  return { name: REGISTRY_DOMAIN_NAME, version: REGISTRY_DOMAIN_VERSION, chainId, verifyingContract: registryAddress };
}

export function buildGrantTypedData(domain: Eip712Domain, grant: GrantInput, nonce: bigint, deadline: number): GrantTypedData {
  return {
    domain,
    types: { EIP712Domain: DOMAIN_FIELDS, ...GRANT_TYPES },
    primaryType: 'Grant',
    message: {
      subject: grant.subject,
      grantee: grant.grantee,
      effect: grant.effect === 'deny' ? 1 : 0,
      resourceTypes: grant.resourceTypes.toString(),
      actions: grant.actions.toString(),
      purposes: grant.purposes.toString(),
      notBefore: grant.notBefore,
      notAfter: grant.notAfter,
      policyHash: grant.policyHash,
      nonce: nonce.toString(),
      deadline,
    },
  };
}

export function buildRevokeTypedData(domain: Eip712Domain, grantId: string, nonce: bigint, deadline: number): RevokeTypedData {
  return {
    domain,
    types: { EIP712Domain: DOMAIN_FIELDS, ...REVOKE_TYPES },
    primaryType: 'Revoke',
    message: { grantId, nonce: nonce.toString(), deadline },
  };
}

/** ethers wants the types without `EIP712Domain` (it derives that from the domain itself). */
function withoutDomain(typed: GrantTypedData | RevokeTypedData): Record<string, TypedDataField[]> {
  const { EIP712Domain: _domain, ...types } = typed.types as Record<string, TypedDataField[]>;
  return types;
}

/** Signs with a local key, as a patient's wallet would (tests, dev tools, the CLI). */
export function signTypedData(signer: Pick<Signer, 'signTypedData'>, typed: GrantTypedData | RevokeTypedData): Promise<string> {
  return signer.signTypedData(typed.domain, withoutDomain(typed), typed.message);
}

/** The account that made `signature` over `typed` (lets the API refuse a bad signature before paying gas). */
export function recoverTypedDataSigner(typed: GrantTypedData | RevokeTypedData, signature: string): string {
  return verifyTypedData(typed.domain, withoutDomain(typed), typed.message, signature);
}
