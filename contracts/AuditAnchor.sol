// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {AccessControl} from "@openzeppelin/contracts/access/AccessControl.sol";

/// @title AuditAnchor (v2)
/// @notice Anchors signed tree heads of workstation audit logs (RFC 6962 Merkle logs kept off chain). A trail is the
/// anchoring account itself: each ANCHOR_ROLE holder appends only to its own trail, so no other holder can write into
/// it or block its next anchor. Heads in a trail grow strictly (tree size increases); a head's id is (trail, size).
/// @dev Consistency between two heads (the later log extends the earlier one) is checked off chain with RFC 9162
/// consistency proofs against the roots kept here. The contract is only as trustworthy as the chain it runs on: on
/// a development node anyone can rewrite its storage (anvil_setStorageAt), so a devnet anchor proves nothing
/// against a local process.
contract AuditAnchor is AccessControl {
    /// @notice Role allowed to anchor heads (each holder into its own trail only).
    bytes32 public constant ANCHOR_ROLE = keccak256("ANCHOR_ROLE");

    /// @notice One anchored head; `treeSize`, `blockNumber` and `timestamp` share one slot.
    struct Head {
        bytes32 rootHash;
        uint64 treeSize;
        uint64 blockNumber;
        uint64 timestamp;
    }

    mapping(address trail => Head[]) private _heads;

    /// @notice Emitted for every anchored head; `index` is its 0-based position in the trail.
    event HeadAnchored(address indexed trail, uint64 indexed treeSize, bytes32 indexed rootHash, uint256 index);

    /// @notice A head of this size is already anchored in the caller's trail (with `anchoredRoot`).
    error HeadAlreadyAnchored(address trail, uint64 treeSize, bytes32 anchoredRoot, bytes32 givenRoot);
    /// @notice The tree size is not larger than the trail's latest head: a log only grows.
    error TreeSizeNotGrowing(address trail, uint64 latestSize, uint64 givenSize);
    /// @notice A head needs at least one entry and a non-zero root.
    error EmptyHead();
    /// @notice The admin address is zero.
    error ZeroAdmin();

    /// @notice Grants the admin role and the anchor role to `admin`.
    /// @param admin account that administers roles and anchors at first
    constructor(address admin) {
        if (admin == address(0)) revert ZeroAdmin();
        _grantRole(DEFAULT_ADMIN_ROLE, admin);
        _grantRole(ANCHOR_ROLE, admin);
    }

    /// @notice Anchors a signed tree head in the caller's own trail.
    /// @param treeSize number of log entries the root covers; larger than the trail's latest head
    /// @param rootHash RFC 6962 root of the first `treeSize` entries
    function anchorHead(uint64 treeSize, bytes32 rootHash) external onlyRole(ANCHOR_ROLE) {
        if (treeSize == 0 || rootHash == bytes32(0)) revert EmptyHead();
        Head[] storage heads = _heads[msg.sender];
        uint256 n = heads.length;
        if (n > 0) {
            uint64 latest = heads[n - 1].treeSize;
            if (treeSize <= latest) {
                (bool found, uint256 at) = _find(heads, treeSize);
                if (found) revert HeadAlreadyAnchored(msg.sender, treeSize, heads[at].rootHash, rootHash);
                revert TreeSizeNotGrowing(msg.sender, latest, treeSize);
            }
        }
        heads.push(
            Head({
                rootHash: rootHash,
                treeSize: treeSize,
                blockNumber: uint64(block.number),
                timestamp: uint64(block.timestamp)
            })
        );
        emit HeadAnchored(msg.sender, treeSize, rootHash, n);
    }

    /// @notice Number of heads anchored in `trail`.
    /// @param trail the anchoring account
    /// @return count heads so far
    function headCount(address trail) external view returns (uint256 count) {
        return _heads[trail].length;
    }

    /// @notice The head at `index` of `trail` (0 = first); reverts when out of range.
    /// @param trail the anchoring account
    /// @param index position in the trail
    /// @return treeSize entries covered
    /// @return rootHash RFC 6962 root
    /// @return blockNumber block of the anchor
    /// @return timestamp block time of the anchor
    function headAt(address trail, uint256 index)
        external
        view
        returns (uint64 treeSize, bytes32 rootHash, uint64 blockNumber, uint64 timestamp)
    {
        Head storage h = _heads[trail][index];
        return (h.treeSize, h.rootHash, h.blockNumber, h.timestamp);
    }

    /// @notice The root anchored in `trail` for exactly `treeSize` entries; zero when there is none.
    /// @param trail the anchoring account
    /// @param treeSize entries covered
    /// @return rootHash the anchored root, or bytes32(0)
    /// @return blockNumber block of the anchor, or 0
    function rootOf(address trail, uint64 treeSize) external view returns (bytes32 rootHash, uint64 blockNumber) {
        Head[] storage heads = _heads[trail];
        (bool found, uint256 at) = _find(heads, treeSize);
        if (!found) return (bytes32(0), 0);
        return (heads[at].rootHash, heads[at].blockNumber);
    }

    /// @dev Binary search by tree size (sizes strictly increase along a trail).
    function _find(Head[] storage heads, uint64 treeSize) private view returns (bool found, uint256 at) {
        uint256 lo = 0;
        uint256 hi = heads.length;
        while (lo < hi) {
            uint256 mid = (lo + hi) / 2;
            uint64 s = heads[mid].treeSize;
            if (s == treeSize) return (true, mid);
            if (s < treeSize) lo = mid + 1;
            else hi = mid;
        }
        return (false, 0);
    }
}
