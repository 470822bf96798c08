// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.28;

import {AdminRoles} from "./AdminRoles.sol";
import {Eip712Signatures} from "./Eip712Signatures.sol";

/// @title ConsentRegistry
/// @notice Patients' consent grants for the Custos FHIR gateway. No personal data: subjects and
/// grantees are keyed pseudonyms (HMAC-SHA256), scopes are bitmasks over fixed, append-only lists
/// (src/policy/consent-codes.ts), and a policy document appears only as its SHA-256.
/// @dev Grants are recorded by a registrar (the gateway's key) or by the patient herself through an
/// EIP-712 signature relayed by anyone. Revocation changes a grant's status; nothing is ever deleted,
/// so the history of who consented to what stays verifiable. Gateways rebuild their in-memory index
/// from the events; the storage below lets anyone check a single grant without replaying them.
contract ConsentRegistry is AdminRoles, Eip712Signatures {
    bytes32 public constant REGISTRAR_ROLE = keccak256("custos.registrar");
    bytes32 public constant GRANT_TYPEHASH = keccak256(
        "Grant(bytes32 subject,bytes32 grantee,uint8 effect,uint256 resourceTypes,uint256 actions,uint256 purposes,uint64 notBefore,uint64 notAfter,bytes32 policyHash,uint256 nonce,uint256 deadline)"
    );
    bytes32 public constant REVOKE_TYPEHASH = keccak256("Revoke(uint256 grantId,uint256 nonce,uint256 deadline)");

    /// @notice Opt-in: nothing is shared without a permit. Opt-out: shared unless denied.
    enum Model {
        OptIn,
        OptOut
    }

    enum Status {
        None,
        Active,
        Revoked
    }

    enum Via {
        Registrar,
        PatientSignature
    }

    uint8 public constant EFFECT_PERMIT = 0;
    uint8 public constant EFFECT_DENY = 1;

    /// @notice What a registrar or a patient asks to record; the field order is the EIP-712 `Grant`
    /// type's (without nonce and deadline), which lets `abi.encode` produce its encodeData directly.
    struct GrantRequest {
        bytes32 subject;
        bytes32 grantee;
        uint8 effect;
        uint256 resourceTypes;
        uint256 actions;
        uint256 purposes;
        uint64 notBefore;
        uint64 notAfter;
        bytes32 policyHash;
    }

    /// @dev Packed into 7 slots; status and revokedAt share one slot so a revocation writes one word.
    struct Grant {
        bytes32 subject;
        bytes32 grantee;
        uint256 resourceTypes;
        uint256 purposes;
        bytes32 policyHash;
        address recordedBy;
        uint64 revokedAt;
        uint8 actions;
        uint8 effect;
        Status status;
        Via via;
        uint64 notBefore;
        uint64 notAfter;
    }

    Model public immutable model;
    /// @notice Ids are sequential from 1; the id of the latest grant.
    uint256 public grantCount;
    /// @notice The patient account each subject is bound to by its first signed grant.
    mapping(bytes32 subject => address account) public patientOf;
    mapping(uint256 id => Grant) private _grants;

    event ConsentGranted(
        uint256 indexed id,
        bytes32 indexed subject,
        bytes32 indexed grantee,
        uint8 effect,
        uint256 resourceTypes,
        uint256 actions,
        uint256 purposes,
        uint64 notBefore,
        uint64 notAfter,
        bytes32 policyHash,
        address recordedBy,
        Via via
    );
    event ConsentRevoked(uint256 indexed id, bytes32 indexed subject, address by);
    event SubjectBound(bytes32 indexed subject, address indexed account);

    error InvalidPseudonym();
    error InvalidEffect(uint8 effect);
    error EmptyScope();
    error ActionsOutOfRange(uint256 actions);
    error InvalidWindow(uint64 notBefore, uint64 notAfter);
    error WindowInPast(uint64 notAfter, uint256 nowSeconds);
    error SubjectBoundToOtherAccount(bytes32 subject, address boundTo);
    error BindingNeedsRegistrar(address relayer);
    error NotSubjectAccount(uint256 id, address signer);
    error UnknownGrant(uint256 id);
    error AlreadyRevoked(uint256 id, uint64 revokedAt);

    constructor(Model model_) Eip712Signatures("Custos ConsentRegistry", "1") {
        model = model_;
    }

    /// @notice Records a grant on a subject's behalf (e.g. after a signed paper form).
    function grant(GrantRequest calldata request) external onlyRole(REGISTRAR_ROLE) returns (uint256) {
        return _record(request, msg.sender, Via.Registrar);
    }

    /// @notice Records a grant the patient signed herself. The first such grant binds the subject to
    /// her account; from then on only that account can sign for the subject, and anyone may relay.
    /// @dev The binding itself must be relayed by a registrar: subjects are public on chain (every
    /// event names one), so were anyone allowed to bind, a stranger could sign the first grant for a
    /// patient's subject, bind it to his own key and consent in her name. The registrar (the gateway)
    /// relays a binding only after authenticating the patient off chain.
    function grantBySignature(
        GrantRequest calldata request,
        address signer,
        uint256 nonce,
        uint256 deadline,
        bytes calldata signature
    ) external returns (uint256) {
        // A static struct ABI-encodes inline, so this is exactly EIP-712 encodeData of `Grant`.
        _useSignature(keccak256(abi.encode(GRANT_TYPEHASH, request, nonce, deadline)), signer, nonce, deadline, signature);
        address bound = patientOf[request.subject];
        if (bound == address(0)) {
            if (!hasRole(REGISTRAR_ROLE, msg.sender)) revert BindingNeedsRegistrar(msg.sender);
            patientOf[request.subject] = signer;
            emit SubjectBound(request.subject, signer);
        } else if (bound != signer) {
            revert SubjectBoundToOtherAccount(request.subject, bound);
        }
        // The recorder is the patient, not the relayer who paid for the gas.
        return _record(request, signer, Via.PatientSignature);
    }

    function revoke(uint256 id) external onlyRole(REGISTRAR_ROLE) {
        _revoke(id, msg.sender);
    }

    /// @notice A patient revokes any grant about a subject bound to her account, including grants a
    /// registrar recorded for her: it is her consent either way.
    function revokeBySignature(uint256 id, address signer, uint256 nonce, uint256 deadline, bytes calldata signature)
        external
    {
        _useSignature(keccak256(abi.encode(REVOKE_TYPEHASH, id, nonce, deadline)), signer, nonce, deadline, signature);
        bytes32 subject = _grants[id].subject;
        if (_grants[id].status == Status.None) revert UnknownGrant(id);
        if (patientOf[subject] != signer) revert NotSubjectAccount(id, signer);
        _revoke(id, signer);
    }

    function getGrant(uint256 id) external view returns (Grant memory) {
        if (_grants[id].status == Status.None) revert UnknownGrant(id);
        return _grants[id];
    }

    function _record(GrantRequest calldata r, address recordedBy, Via via) private returns (uint256 id) {
        if (r.subject == bytes32(0) || r.grantee == bytes32(0)) revert InvalidPseudonym();
        if (r.effect > EFFECT_DENY) revert InvalidEffect(r.effect);
        if (r.resourceTypes == 0 || r.actions == 0 || r.purposes == 0) revert EmptyScope();
        if (r.actions > type(uint8).max) revert ActionsOutOfRange(r.actions);
        if (r.notBefore != 0 && r.notAfter != 0 && r.notAfter <= r.notBefore) {
            revert InvalidWindow(r.notBefore, r.notAfter);
        }
        if (r.notAfter != 0 && r.notAfter <= block.timestamp) revert WindowInPast(r.notAfter, block.timestamp);

        id = ++grantCount;
        Grant storage g = _grants[id];
        g.subject = r.subject;
        g.grantee = r.grantee;
        g.resourceTypes = r.resourceTypes;
        g.purposes = r.purposes;
        g.policyHash = r.policyHash;
        g.recordedBy = recordedBy;
        g.actions = uint8(r.actions);
        g.effect = r.effect;
        g.status = Status.Active;
        g.via = via;
        g.notBefore = r.notBefore;
        g.notAfter = r.notAfter;
        _emitGranted(id, r, recordedBy, via);
    }

    function _emitGranted(uint256 id, GrantRequest calldata r, address recordedBy, Via via) private {
        emit ConsentGranted(
            id,
            r.subject,
            r.grantee,
            r.effect,
            r.resourceTypes,
            r.actions,
            r.purposes,
            r.notBefore,
            r.notAfter,
            r.policyHash,
            recordedBy,
            via
        );
    }

    function _revoke(uint256 id, address by) private {
        Grant storage g = _grants[id];
        if (g.status == Status.None) revert UnknownGrant(id);
        if (g.status == Status.Revoked) revert AlreadyRevoked(id, g.revokedAt);
        g.status = Status.Revoked;
        g.revokedAt = uint64(block.timestamp);
        emit ConsentRevoked(id, g.subject, by);
    }

    function _isKnownRole(bytes32 role) internal pure override returns (bool) {
        return role == REGISTRAR_ROLE;
    }
}
