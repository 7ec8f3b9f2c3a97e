// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {AccessControl} from "@openzeppelin/contracts/access/AccessControl.sol";

/// @title ConsentLedger
/// @notice On-chain mirror of consent decisions, written in batches by the custodian's sync sender.
/// @dev Keys are `keccak256(abi.encode(patientPseudonym, grantee, purpose, category))`, all bytes32 and computed
/// off chain, so no identifier of a person ever reaches the chain. Every op carries a per-key sequence number;
/// an op that is not newer than the stored state is skipped, never reverted, so batches may land in any order
/// and a later revoke always beats an earlier grant.
contract ConsentLedger is AccessControl {
    /// @notice Role allowed to apply batches of consent operations.
    bytes32 public constant CUSTODIAN_ROLE = keccak256("CUSTODIAN_ROLE");

    /// @notice Decision value for a key that was never written.
    uint8 public constant DECISION_NONE = 0;
    /// @notice Decision value granting access within the validity window.
    uint8 public constant DECISION_PERMIT = 1;
    /// @notice Decision value refusing access.
    uint8 public constant DECISION_DENY = 2;

    /// @notice One consent change as sent by the custodian.
    /// @param key consent key (see contract docs)
    /// @param seq per-key sequence number; must be greater than the stored one to apply
    /// @param decision DECISION_PERMIT or DECISION_DENY
    /// @param validFrom first second (unix time) at which the consent applies
    /// @param validUntil first second at which it no longer applies; 0 means open-ended
    /// @param revoked true when the consent was withdrawn
    /// @param documentHash hash of the signed consent document kept off chain
    struct Op {
        bytes32 key;
        uint64 seq;
        uint8 decision;
        uint64 validFrom;
        uint64 validUntil;
        bool revoked;
        bytes32 documentHash;
    }

    /// @notice Stored consent state; the first five fields share one storage slot.
    struct Consent {
        uint8 decision;
        bool revoked;
        uint64 validFrom;
        uint64 validUntil;
        uint64 seq;
        bytes32 documentHash;
    }

    mapping(bytes32 key => Consent) private _consents;
    mapping(bytes32 batchId => bool) private _appliedBatches;

    /// @notice Emitted for every op that changed the stored state of a key.
    event ConsentChanged(
        bytes32 indexed key,
        bytes32 indexed batchId,
        uint64 seq,
        uint8 decision,
        uint64 validFrom,
        uint64 validUntil,
        bool revoked,
        bytes32 documentHash
    );
    /// @notice Emitted for an op whose sequence number is not newer than the stored one.
    event ConsentOpSkipped(bytes32 indexed key, uint64 seq, uint64 storedSeq);
    /// @notice Emitted once per applied batch; `opCount` counts all ops, applied or skipped.
    event BatchApplied(bytes32 indexed batchId, uint256 opCount);

    /// @notice The batch id was applied before.
    error BatchAlreadyApplied(bytes32 batchId);
    /// @notice The op's decision is neither permit nor deny.
    error InvalidDecision(bytes32 key, uint8 decision);
    /// @notice The op's window ends before it starts.
    error InvalidValidity(bytes32 key, uint64 validFrom, uint64 validUntil);
    /// @notice The admin address is zero.
    error ZeroAdmin();

    /// @notice Grants the admin role and the custodian role to `admin`.
    /// @param admin account that administers roles and applies batches at first
    constructor(address admin) {
        if (admin == address(0)) revert ZeroAdmin();
        _grantRole(DEFAULT_ADMIN_ROLE, admin);
        _grantRole(CUSTODIAN_ROLE, admin);
    }

    /// @notice Applies a batch of consent operations; stale ops (seq not newer than stored) are skipped.
    /// @dev Reverts the whole batch on a replayed batch id or a malformed op, so a batch is all or nothing.
    /// @param batchId unique id of the batch (the outbox batch id, hashed)
    /// @param ops operations in any order; several ops for one key are fine, the highest seq wins
    function applyBatch(bytes32 batchId, Op[] calldata ops) external onlyRole(CUSTODIAN_ROLE) {
        if (_appliedBatches[batchId]) revert BatchAlreadyApplied(batchId);
        _appliedBatches[batchId] = true;

        uint256 count = ops.length;
        for (uint256 i; i < count; ++i) {
            Op calldata op = ops[i];
            if (op.decision != DECISION_PERMIT && op.decision != DECISION_DENY) {
                revert InvalidDecision(op.key, op.decision);
            }
            if (op.validUntil != 0 && op.validUntil <= op.validFrom) {
                revert InvalidValidity(op.key, op.validFrom, op.validUntil);
            }
            Consent storage stored = _consents[op.key];
            uint64 storedSeq = stored.seq;
            if (op.seq <= storedSeq) {
                emit ConsentOpSkipped(op.key, op.seq, storedSeq);
                continue;
            }
            stored.decision = op.decision;
            stored.revoked = op.revoked;
            stored.validFrom = op.validFrom;
            stored.validUntil = op.validUntil;
            stored.seq = op.seq;
            if (stored.documentHash != op.documentHash) stored.documentHash = op.documentHash;
            emit ConsentChanged(
                op.key, batchId, op.seq, op.decision, op.validFrom, op.validUntil, op.revoked, op.documentHash
            );
        }
        emit BatchApplied(batchId, count);
    }

    /// @notice Whether the consent under `key` permits access at `timestamp`.
    /// @dev True only for a permit that is not revoked and whose window [validFrom, validUntil) holds `timestamp`.
    /// @param key consent key
    /// @param timestamp unix time in seconds to evaluate at
    /// @return permitted true when access is permitted
    function isPermitted(bytes32 key, uint64 timestamp) external view returns (bool permitted) {
        Consent storage c = _consents[key];
        return c.decision == DECISION_PERMIT && !c.revoked && timestamp >= c.validFrom
            && (c.validUntil == 0 || timestamp < c.validUntil);
    }

    /// @notice The stored consent state of `key` (all zero when never written).
    /// @param key consent key
    /// @return consent the stored state
    function consentOf(bytes32 key) external view returns (Consent memory consent) {
        return _consents[key];
    }

    /// @notice Whether the batch `batchId` was applied.
    /// @param batchId batch id
    /// @return applied true when applied
    function batchApplied(bytes32 batchId) external view returns (bool applied) {
        return _appliedBatches[batchId];
    }
}
