// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {AccessControl} from "@openzeppelin/contracts/access/AccessControl.sol";
import {MerkleProof} from "@openzeppelin/contracts/utils/cryptography/MerkleProof.sol";

/// @title AuditAnchor
/// @notice Anchors Merkle roots of audit-trail batches. Every trail (one per workstation database, named by a random
/// 32-byte trail id) has its own root chain: each root names the one anchored before it in the same trail.
/// @dev Trees are built off chain with `@openzeppelin/merkle-tree` (StandardMerkleTree, double-hashed leaves) and
/// verified here with OpenZeppelin `MerkleProof`, so the two sides come from one library and cannot drift. Batch ids
/// and roots are unique across all trails, so a batch or root can never be replayed into another trail.
contract AuditAnchor is AccessControl {
    /// @notice Role allowed to anchor roots.
    bytes32 public constant ANCHOR_ROLE = keccak256("ANCHOR_ROLE");

    /// @notice One anchored batch; `leafCount`, `blockNumber` and `timestamp` share one slot.
    struct Anchor {
        bytes32 trailId;
        bytes32 merkleRoot;
        uint64 leafCount;
        uint64 blockNumber;
        uint64 timestamp;
    }

    /// @notice The head of one trail's root chain.
    struct Trail {
        bytes32 latestRoot;
        uint256 anchorCount;
    }

    mapping(bytes32 batchId => Anchor) private _anchors;
    mapping(bytes32 root => bool) private _anchoredRoots;
    mapping(bytes32 trailId => Trail) private _trails;

    /// @notice Emitted for every anchored root; `index` is its 0-based position in its trail's root chain.
    event RootAnchored(
        bytes32 indexed trailId,
        bytes32 indexed batchId,
        bytes32 indexed merkleRoot,
        uint64 leafCount,
        bytes32 previousRoot,
        uint256 index
    );

    /// @notice `previousRoot` is not the latest root anchored in trail `trailId`.
    error RootChainBroken(bytes32 trailId, bytes32 expected, bytes32 given);
    /// @notice The batch id was anchored before (in any trail).
    error BatchAlreadyAnchored(bytes32 batchId);
    /// @notice The root was anchored before (under another batch id, in any trail).
    error RootAlreadyAnchored(bytes32 merkleRoot);
    /// @notice The root is zero or the batch has no leaves.
    error EmptyBatch(bytes32 batchId);
    /// @notice The trail id is zero.
    error ZeroTrailId();
    /// @notice The admin address is zero.
    error ZeroAdmin();

    /// @notice Grants the admin role and the anchor role to `admin`.
    /// @param admin account that administers roles and anchors at first
    constructor(address admin) {
        if (admin == address(0)) revert ZeroAdmin();
        _grantRole(DEFAULT_ADMIN_ROLE, admin);
        _grantRole(ANCHOR_ROLE, admin);
    }

    /// @notice Anchors the Merkle root of an audit batch at the head of its trail's root chain.
    /// @param trailId random id of the audit trail (one per database); never derived from a person or host
    /// @param batchId unique id of the audit batch, across all trails
    /// @param merkleRoot root of the batch's StandardMerkleTree
    /// @param leafCount number of leaves (audit entries) in the tree
    /// @param previousRoot the latest root anchored in this trail, or bytes32(0) for the trail's first anchor
    function anchor(bytes32 trailId, bytes32 batchId, bytes32 merkleRoot, uint64 leafCount, bytes32 previousRoot)
        external
        onlyRole(ANCHOR_ROLE)
    {
        if (trailId == bytes32(0)) revert ZeroTrailId();
        if (_anchors[batchId].merkleRoot != bytes32(0)) revert BatchAlreadyAnchored(batchId);
        if (merkleRoot == bytes32(0) || leafCount == 0) revert EmptyBatch(batchId);
        Trail storage trail = _trails[trailId];
        bytes32 expected = trail.latestRoot;
        if (previousRoot != expected) revert RootChainBroken(trailId, expected, previousRoot);
        if (_anchoredRoots[merkleRoot]) revert RootAlreadyAnchored(merkleRoot);

        _anchors[batchId] = Anchor({
            trailId: trailId,
            merkleRoot: merkleRoot,
            leafCount: leafCount,
            blockNumber: uint64(block.number),
            timestamp: uint64(block.timestamp)
        });
        _anchoredRoots[merkleRoot] = true;
        trail.latestRoot = merkleRoot;
        uint256 index = trail.anchorCount;
        trail.anchorCount = index + 1;
        emit RootAnchored(trailId, batchId, merkleRoot, leafCount, previousRoot, index);
    }

    /// @notice The most recently anchored root of trail `trailId`, or bytes32(0) before its first anchor.
    /// @param trailId audit trail id
    /// @return root the head of the trail's root chain
    function latestRootOf(bytes32 trailId) external view returns (bytes32 root) {
        return _trails[trailId].latestRoot;
    }

    /// @notice Number of roots anchored in trail `trailId`.
    /// @param trailId audit trail id
    /// @return count anchors of the trail so far
    function anchorCount(bytes32 trailId) external view returns (uint256 count) {
        return _trails[trailId].anchorCount;
    }

    /// @notice The anchor recorded for `batchId`; all zero when the batch was never anchored.
    /// @param batchId audit batch id
    /// @return trailId trail the batch was anchored in
    /// @return merkleRoot anchored root
    /// @return leafCount number of leaves
    /// @return blockNumber block in which it was anchored
    /// @return timestamp block timestamp at anchoring
    function anchorOf(bytes32 batchId)
        external
        view
        returns (bytes32 trailId, bytes32 merkleRoot, uint64 leafCount, uint64 blockNumber, uint64 timestamp)
    {
        Anchor storage a = _anchors[batchId];
        return (a.trailId, a.merkleRoot, a.leafCount, a.blockNumber, a.timestamp);
    }

    /// @notice Whether `root` was anchored (in any trail).
    /// @param root a Merkle root
    /// @return anchored true when anchored
    function isAnchored(bytes32 root) external view returns (bool anchored) {
        return _anchoredRoots[root];
    }

    /// @notice Verifies that `leaf` belongs to the tree with `root` (pure proof check; see `isAnchored`).
    /// @param root Merkle root
    /// @param leaf leaf hash as produced by StandardMerkleTree.leafHash
    /// @param proof sibling hashes from StandardMerkleTree.getProof
    /// @return valid true when the proof is valid
    function verifyLeaf(bytes32 root, bytes32 leaf, bytes32[] calldata proof) external pure returns (bool valid) {
        return MerkleProof.verifyCalldata(proof, root, leaf);
    }

    /// @notice Verifies `leaf` against `root` and requires `root` to be anchored.
    /// @param root Merkle root
    /// @param leaf leaf hash as produced by StandardMerkleTree.leafHash
    /// @param proof sibling hashes from StandardMerkleTree.getProof
    /// @return valid true when the root is anchored and the proof is valid
    function verifyAnchoredLeaf(bytes32 root, bytes32 leaf, bytes32[] calldata proof)
        external
        view
        returns (bool valid)
    {
        return _anchoredRoots[root] && MerkleProof.verifyCalldata(proof, root, leaf);
    }
}
