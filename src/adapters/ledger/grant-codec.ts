/**
 * Between the consent model (src/policy/consent-model.ts) and ConsentRegistry's ABI: the request
 * tuple a grant is sent as, and the ConsentEvent a log decodes to.
 */
import type { Interface, Log } from 'ethers';
import type { ChainPosition, ConsentEffect, ConsentEvent, GrantInput } from '../../policy/consent-model.js';

/** ConsentRegistry.GrantRequest, field for field. */
export interface GrantRequestTuple {
  readonly subject: string;
  readonly grantee: string;
  readonly effect: number;
  readonly resourceTypes: bigint;
  readonly actions: bigint;
  readonly purposes: bigint;
  readonly notBefore: number;
  readonly notAfter: number;
  readonly policyHash: string;
}

const EFFECTS: readonly ConsentEffect[] = ['permit', 'deny'];
/** ConsentRegistry.Via, by ordinal. */
const VIAS = ['registrar', 'patient-signature'] as const;

export function toGrantRequest(input: GrantInput): GrantRequestTuple {
  return {
    subject: input.subject,
    grantee: input.grantee,
    effect: EFFECTS.indexOf(input.effect),
    resourceTypes: input.resourceTypes,
    actions: input.actions,
    purposes: input.purposes,
    notBefore: input.notBefore,
    notAfter: input.notAfter,
    policyHash: input.policyHash,
  };
}

export function positionOf(log: Log): ChainPosition {
  return { blockNumber: log.blockNumber, blockHash: log.blockHash, transactionHash: log.transactionHash, logIndex: log.index };
}

/** The registry's ConsentGranted / ConsentRevoked log as a ConsentEvent; null for any other log. */
export function decodeConsentLog(iface: Interface, log: Log): ConsentEvent | null {
  const parsed = iface.parseLog({ topics: [...log.topics], data: log.data });
  if (!parsed) return null;
  const position = positionOf(log);
  const a = parsed.args;
  if (parsed.name === 'ConsentGranted') {
    return {
      kind: 'granted',
      position,
      grant: {
        id: (a['id'] as bigint).toString(),
        subject: a['subject'] as string,
        grantee: a['grantee'] as string,
        // The contract only stores 0 or 1; were a newer one to add effects, reading one as a
        // denial fails closed.
        effect: EFFECTS[Number(a['effect'])] ?? 'deny',
        resourceTypes: a['resourceTypes'] as bigint,
        actions: a['actions'] as bigint,
        purposes: a['purposes'] as bigint,
        notBefore: Number(a['notBefore']),
        notAfter: Number(a['notAfter']),
        policyHash: a['policyHash'] as string,
        recordedBy: a['recordedBy'] as string,
        via: VIAS[Number(a['via'])] ?? 'registrar',
        granted: position,
      },
    };
  }
  if (parsed.name === 'ConsentRevoked') {
    return { kind: 'revoked', position, grantId: (a['id'] as bigint).toString(), subject: a['subject'] as string };
  }
  return null;
}
