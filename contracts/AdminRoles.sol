// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.28;

/// @title AdminRoles
/// @notice One admin (the deployer) who grants and revokes the named roles a contract declares.
/// @dev Deliberately smaller than OpenZeppelin AccessControl (no role hierarchy, no renounce, no
/// external import): the consortium's admin key is the only root of authority. Each contract lists
/// the roles it knows (`_isKnownRole`), so a role meant for another contract (e.g. the anchorer of
/// AuditAnchor) cannot be granted here by mistake.
abstract contract AdminRoles {
    address public admin;
    mapping(bytes32 role => mapping(address account => bool)) private _members;

    event AdminTransferred(address indexed previousAdmin, address indexed newAdmin);
    event RoleGranted(bytes32 indexed role, address indexed account, address indexed by);
    event RoleRevoked(bytes32 indexed role, address indexed account, address indexed by);

    error NotAdmin(address account);
    error MissingRole(bytes32 role, address account);
    error UnknownRole(bytes32 role);
    error ZeroAddress();

    constructor() {
        admin = msg.sender;
        emit AdminTransferred(address(0), msg.sender);
    }

    modifier onlyAdmin() {
        if (msg.sender != admin) revert NotAdmin(msg.sender);
        _;
    }

    modifier onlyRole(bytes32 role) {
        if (!_members[role][msg.sender]) revert MissingRole(role, msg.sender);
        _;
    }

    function hasRole(bytes32 role, address account) public view returns (bool) {
        return _members[role][account];
    }

    /// @notice Idempotent: granting a role an account already holds changes nothing and logs nothing.
    function grantRole(bytes32 role, address account) external onlyAdmin {
        if (!_isKnownRole(role)) revert UnknownRole(role);
        if (account == address(0)) revert ZeroAddress();
        if (_members[role][account]) return;
        _members[role][account] = true;
        emit RoleGranted(role, account, msg.sender);
    }

    function revokeRole(bytes32 role, address account) external onlyAdmin {
        if (!_isKnownRole(role)) revert UnknownRole(role);
        if (!_members[role][account]) return;
        _members[role][account] = false;
        emit RoleRevoked(role, account, msg.sender);
    }

    /// @notice Hands the admin key over (key rotation). One step: the caller checks the address.
    function transferAdmin(address newAdmin) external onlyAdmin {
        if (newAdmin == address(0)) revert ZeroAddress();
        emit AdminTransferred(admin, newAdmin);
        admin = newAdmin;
    }

    function _isKnownRole(bytes32 role) internal pure virtual returns (bool);
}
