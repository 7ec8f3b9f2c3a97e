// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {AccessControl} from "@openzeppelin/contracts/access/AccessControl.sol";

/// @title ConsentLedger
/// @notice On-chain mirror of consent decisions, written in batches by the custodian's sync sender.
/// @dev Keys are `keccak256(abi.encode(patientPseudonym, grantee, purpose, category))`, all bytes32 and computed
/// off chain from pseudonyms and codes, so no identifier of a person ever reaches the chain. Every op carries a
/// per-key sequence number; an op that is not newer than the stored state is skipped, never reverted, so batches
/// may land in any order and a later revoke always beats an earlier grant.
///
/// Gas: a key's whole state is ONE storage slot (the packed `state` word below), written with one SSTORE. The
/// consent document hash is not stored: it travels in the ConsentChanged event only (the local database keeps
/// the document; the chain only needs to prove which hash was current), because a second slot per key would
/// cost another 22,100 gas on every new key. Purpose and category are small codes in the top bits of the state
/// word (four calldata words per op and three data words per event instead of six and five: ~1,500 gas less per
/// op); the key is still computed from their code hashes (keccak256 of the code text, the table below), so it is
/// the same key as before and any workstation rebuilds a change from one event without a key registry.
///
/// Packed state word (also the layout of the stored slot), least significant bits first:
///   bits   0..7    decision   (1 permit, 2 deny)
///   bits   8..15   revoked    (0 or 1)
///   bits  16..79   validFrom  (unix seconds)
///   bits  80..143  validUntil (unix seconds, 0 = open-ended)
///   bits 144..207  seq        (per-key sequence number, > 0)
///   bits 208..215  purpose    (code 1..7, see _purposeHash)
///   bits 216..223  category   (code 1..6, see _categoryHash)
///   bits 224..255  must be zero
/// Codes are append-only: a new purpose or category gets the next code in a new contract version.
contract ConsentLedger is AccessControl {
    /// @notice Role allowed to apply batches of consent operations.
    bytes32 public constant CUSTODIAN_ROLE = keccak256("CUSTODIAN_ROLE");

    /// @notice Decision value for a key that was never written.
    uint8 public constant DECISION_NONE = 0;
    /// @notice Decision value granting access within the validity window.
    uint8 public constant DECISION_PERMIT = 1;
    /// @notice Decision value refusing access.
    uint8 public constant DECISION_DENY = 2;

    uint256 private constant _U64 = 0xFFFFFFFFFFFFFFFF;
    uint256 private constant _USED_BITS = 224;

    /// @notice One consent change as sent by the custodian (four calldata words, no dynamic parts).
    /// @param patientPseudonym keyed hash of the patient identifier (never the identifier itself)
    /// @param grantee id of who is granted or denied (hashed)
    /// @param documentHash hash of the signed consent document kept off chain (emitted, not stored)
    /// @param state packed decision, revoked, validFrom, validUntil, seq, purpose and category codes (contract docs)
    struct Op {
        bytes32 patientPseudonym;
        bytes32 grantee;
        bytes32 documentHash;
        uint256 state;
    }

    /// @notice Unpacked consent state, as returned by `consentOf`.
    struct Consent {
        uint8 decision;
        bool revoked;
        uint64 validFrom;
        uint64 validUntil;
        uint64 seq;
    }

    mapping(bytes32 key => uint256 packedState) private _states;
    mapping(bytes32 batchId => bool) private _appliedBatches;

    /// @notice Emitted for every op that changed the stored state of a key; the key is
    /// keccak256(abi.encode(patientPseudonym, grantee, purposeHash, categoryHash)) with the hashes of the codes in
    /// `state` (the packed word), so the event alone rebuilds the change.
    /// @dev The batch id is in the BatchApplied event of the same transaction.
    event ConsentChanged(bytes32 indexed patientPseudonym, bytes32 grantee, bytes32 documentHash, uint256 state);
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
    /// @notice The op's packed state has bits set outside its fields, a revoked flag other than 0/1, or seq 0.
    error InvalidState(bytes32 key, uint256 state);
    /// @notice The op's purpose or category code is not in the table.
    error UnknownCode(uint8 purpose, uint8 category);
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
    /// @param batchId unique id of the batch (the outbox batch id)
    /// @param ops operations in any order; several ops for one key are fine, the highest seq wins
    function applyBatch(bytes32 batchId, Op[] calldata ops) external onlyRole(CUSTODIAN_ROLE) {
        if (_appliedBatches[batchId]) revert BatchAlreadyApplied(batchId);
        _appliedBatches[batchId] = true;

        uint256 count = ops.length;
        for (uint256 i; i < count; ++i) {
            Op calldata op = ops[i];
            uint256 state = op.state;
            bytes32 key = keccak256(
                abi.encode(op.patientPseudonym, op.grantee, purposeHash(uint8(state >> 208)), categoryHash(uint8(state >> 216)))
            );
            _check(key, state);
            uint64 seq = uint64(state >> 144);
            uint64 storedSeq = uint64(_states[key] >> 144);
            if (seq <= storedSeq) {
                emit ConsentOpSkipped(key, seq, storedSeq);
                continue;
            }
            _states[key] = state;
            emit ConsentChanged(op.patientPseudonym, op.grantee, op.documentHash, state);
        }
        emit BatchApplied(batchId, count);
    }

    /// @dev Reverts unless `state` is a well-formed packed word.
    function _check(bytes32 key, uint256 state) private pure {
        if (state >> _USED_BITS != 0 || (state >> 8) & 0xFF > 1 || (state >> 144) & _U64 == 0) {
            revert InvalidState(key, state);
        }
        uint8 decision = uint8(state);
        if (decision != DECISION_PERMIT && decision != DECISION_DENY) revert InvalidDecision(key, decision);
        uint64 validFrom = uint64(state >> 16);
        uint64 validUntil = uint64(state >> 80);
        if (validUntil != 0 && validUntil <= validFrom) revert InvalidValidity(key, validFrom, validUntil);
    }

    /// @notice The hash a purpose code stands for in keys: keccak256 of the code text (HL7 PurposeOfUse).
    /// @dev Reverts with UnknownCode for a code outside 1..7.
    /// @param code purpose code from bits 208..215 of the state word
    /// @return hash keccak256 of the purpose code text
    function purposeHash(uint8 code) public pure returns (bytes32 hash) {
        if (code == 1) return keccak256("TREAT");
        if (code == 2) return keccak256("ETREAT");
        if (code == 3) return keccak256("HPAYMT");
        if (code == 4) return keccak256("HOPERAT");
        if (code == 5) return keccak256("HRESCH");
        if (code == 6) return keccak256("PUBHLTH");
        if (code == 7) return keccak256("HMARKT");
        revert UnknownCode(code, 0);
    }

    /// @notice The hash a data category code stands for in keys: keccak256 of the category text.
    /// @dev Reverts with UnknownCode for a code outside 1..6.
    /// @param code category code from bits 216..223 of the state word
    /// @return hash keccak256 of the category text
    function categoryHash(uint8 code) public pure returns (bytes32 hash) {
        if (code == 1) return keccak256("general");
        if (code == 2) return keccak256("mental-health");
        if (code == 3) return keccak256("substance-use");
        if (code == 4) return keccak256("HIV");
        if (code == 5) return keccak256("genetic");
        if (code == 6) return keccak256("reproductive");
        revert UnknownCode(0, code);
    }

    /// @notice Whether the consent under `key` permits access at `timestamp`.
    /// @dev True only for a permit that is not revoked and whose window [validFrom, validUntil) holds `timestamp`.
    /// @param key consent key
    /// @param timestamp unix time in seconds to evaluate at
    /// @return permitted true when access is permitted
    function isPermitted(bytes32 key, uint64 timestamp) external view returns (bool permitted) {
        uint256 s = _states[key];
        uint64 validUntil = uint64(s >> 80);
        return uint8(s) == DECISION_PERMIT && (s >> 8) & 0xFF == 0 && timestamp >= uint64(s >> 16)
            && (validUntil == 0 || timestamp < validUntil);
    }

    /// @notice The stored consent state of `key` (all zero when never written).
    /// @param key consent key
    /// @return consent the stored state, unpacked
    function consentOf(bytes32 key) external view returns (Consent memory consent) {
        uint256 s = _states[key];
        return Consent({
            decision: uint8(s),
            revoked: (s >> 8) & 0xFF == 1,
            validFrom: uint64(s >> 16),
            validUntil: uint64(s >> 80),
            seq: uint64(s >> 144)
        });
    }

    /// @notice The stored packed state word of `key` (0 when never written); one SLOAD for bulk readers.
    /// @param key consent key
    /// @return state the packed word (layout in the contract docs)
    function packedStateOf(bytes32 key) external view returns (uint256 state) {
        return _states[key];
    }

    /// @notice Whether the batch `batchId` was applied.
    /// @param batchId batch id
    /// @return applied true when applied
    function batchApplied(bytes32 batchId) external view returns (bool applied) {
        return _appliedBatches[batchId];
    }
}
