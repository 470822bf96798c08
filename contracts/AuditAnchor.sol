// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.28;

import {AdminRoles} from "./AdminRoles.sol";

/// @title AuditAnchor
/// @notice Checkpoints of the Custos audit log: RFC 9162 Merkle tree heads (tree size, root hash).
/// The log's events stay off chain; anyone holding an exported report verifies its inclusion and
/// consistency proofs against a root anchored here. One transaction per anchoring interval, never
/// one per audit event.
/// @dev The tree size must strictly increase: an append-only log never shrinks, and anchoring the
/// same size twice could only ever be a replay or a fork of the log (two roots for one size).
contract AuditAnchor is AdminRoles {
    bytes32 public constant ANCHORER_ROLE = keccak256("custos.anchorer");

    /// @dev Two slots: the root, and size, block and time packed together.
    struct AnchoredCheckpoint {
        bytes32 root;
        uint64 treeSize;
        uint64 blockNumber;
        uint64 timestamp;
    }

    AnchoredCheckpoint[] private _checkpoints;

    event Checkpoint(uint64 indexed treeSize, bytes32 root, uint256 indexed index, address anchoredBy);

    error TreeSizeNotIncreasing(uint64 latestTreeSize, uint64 treeSize);
    error EmptyRoot();
    error CheckpointOutOfRange(uint256 index, uint256 count);

    function anchor(uint64 treeSize, bytes32 root) external onlyRole(ANCHORER_ROLE) returns (uint256 index) {
        if (root == bytes32(0)) revert EmptyRoot();
        index = _checkpoints.length;
        uint64 latestSize = index == 0 ? 0 : _checkpoints[index - 1].treeSize;
        if (treeSize <= latestSize) revert TreeSizeNotIncreasing(latestSize, treeSize);
        _checkpoints.push(AnchoredCheckpoint(root, treeSize, uint64(block.number), uint64(block.timestamp)));
        emit Checkpoint(treeSize, root, index, msg.sender);
    }

    function checkpointCount() external view returns (uint256) {
        return _checkpoints.length;
    }

    /// @notice The latest checkpoint, or an all-zero record (treeSize 0) before the first one.
    function latest() external view returns (AnchoredCheckpoint memory checkpoint) {
        uint256 count = _checkpoints.length;
        if (count > 0) checkpoint = _checkpoints[count - 1];
    }

    function checkpointAt(uint256 index) external view returns (AnchoredCheckpoint memory) {
        if (index >= _checkpoints.length) revert CheckpointOutOfRange(index, _checkpoints.length);
        return _checkpoints[index];
    }

    /// @notice Checkpoints with index in [from, to), clamped to what exists (one call, no events).
    function checkpointRange(uint256 from, uint256 to) external view returns (AnchoredCheckpoint[] memory range) {
        uint256 count = _checkpoints.length;
        if (to > count) to = count;
        if (from >= to) return range;
        range = new AnchoredCheckpoint[](to - from);
        for (uint256 i = from; i < to; ++i) {
            range[i - from] = _checkpoints[i];
        }
    }

    /// @notice The checkpoint anchored for exactly this tree size, by binary search (sizes increase).
    function findBySize(uint64 treeSize)
        external
        view
        returns (bool found, uint256 index, AnchoredCheckpoint memory checkpoint)
    {
        uint256 low = 0;
        uint256 high = _checkpoints.length;
        while (low < high) {
            uint256 mid = (low + high) / 2;
            uint64 size = _checkpoints[mid].treeSize;
            if (size == treeSize) return (true, mid, _checkpoints[mid]);
            if (size < treeSize) low = mid + 1;
            else high = mid;
        }
    }

    function _isKnownRole(bytes32 role) internal pure override returns (bool) {
        return role == ANCHORER_ROLE;
    }
}
