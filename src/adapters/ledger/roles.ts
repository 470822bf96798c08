/**
 * Role ids as the contracts define them (`keccak256("custos.registrar")`, contracts/*.sol), and
 * their names for messages.
 */
import { id } from 'ethers';

/** ConsentRegistry: may record and revoke grants for any subject. */
export const REGISTRAR_ROLE = id('custos.registrar');
/** AuditAnchor: may anchor audit-log checkpoints. */
export const ANCHORER_ROLE = id('custos.anchorer');

const NAMES: Record<string, string> = { [REGISTRAR_ROLE]: 'registrar', [ANCHORER_ROLE]: 'anchorer' };

export function roleName(roleId: unknown): string {
  return NAMES[String(roleId).toLowerCase()] ?? String(roleId);
}
