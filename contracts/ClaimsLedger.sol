// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {AccessControlDefaultAdminRules} from "@openzeppelin/contracts/access/extensions/AccessControlDefaultAdminRules.sol";

/// @title ClaimsLedger
/// @notice On-chain record of insurance claims that passed the custodian's pre-checks, and the payer's answer.
/// @dev A claim is known only by its content hash (SHA-256 over the RFC 8785 canonical JSON of the claim, with the
/// patient as a keyed pseudonym) and the hash of its payer id: no identifier of a person reaches the chain.
///
/// Rules:
/// - CUSTODIAN_ROLE records batches of claims. A batch id is applied once per sender (BatchAlreadyApplied).
///   A claim hash that is already recorded is SKIPPED with ClaimRecordSkipped, never reverted: two workstations
///   may record the same claim, and one duplicate must not sink the rest of a batch. Malformed entries (zero
///   hash, zero payer, zero service day) revert the whole batch.
/// - Governance (DEFAULT_ADMIN_ROLE) registers each payer: payer hash => the payer's address. Only the payer a claim
///   is addressed to decides it (NotClaimPayer otherwise): payer B cannot accept or deny payer A's claims.
/// - The addressed payer decides a recorded claim ONCE: accepted or denied, with an 8-byte ASCII reason code (a CARC such
///   as "CO-16"); a denial needs a non-zero code. Deciding an unrecorded claim reverts ClaimNotRecorded; deciding
///   twice reverts ClaimAlreadyDecided. A corrected claim is a new claim (new content, new hash).
///
/// Packed state word, one storage slot per claim, least significant bits first:
///   bits   0..7    status      (0 none, 1 recorded, 2 accepted, 3 denied)
///   bits   8..39   serviceDay  (days since 1970-01-01, UTC)
///   bits  40..103  reasonCode  (bytes8, ASCII, left-aligned as Solidity stores bytes8)
///   bits 104..167  recordedAt  (block timestamp)
///   bits 168..231  decidedAt   (block timestamp, 0 until decided)
/// Governance is OpenZeppelin AccessControlDefaultAdminRules: one admin, changed only by a two-step transfer that
/// waits GOVERNANCE_DELAY, and the admin role cannot be granted alongside (so an operating key cannot quietly
/// become a second admin).
contract ClaimsLedger is AccessControlDefaultAdminRules {
    /// @notice Delay of an admin transfer or of a change to that delay.
    uint48 public constant GOVERNANCE_DELAY = 2 days;

    /// @notice Role allowed to record batches of claims (the custodian's sync sender).
    bytes32 public constant CUSTODIAN_ROLE = keccak256("CUSTODIAN_ROLE");

    /// @notice Status of a claim hash never recorded.
    uint8 public constant STATUS_NONE = 0;
    /// @notice Status of a recorded claim awaiting the payer.
    uint8 public constant STATUS_RECORDED = 1;
    /// @notice Status of a claim the payer accepted.
    uint8 public constant STATUS_ACCEPTED = 2;
    /// @notice Status of a claim the payer denied.
    uint8 public constant STATUS_DENIED = 3;

    uint256 private constant _U32 = 0xFFFFFFFF;
    uint256 private constant _U64 = 0xFFFFFFFFFFFFFFFF;

    /// @notice One claim as sent by the custodian (three calldata words, no dynamic parts).
    /// @param claimHash content hash of the claim (SHA-256 of its canonical JSON)
    /// @param payerHash keccak256 of "payer:<payer id>"
    /// @param serviceDay day of service, days since 1970-01-01 (UTC)
    struct ClaimRecord {
        bytes32 claimHash;
        bytes32 payerHash;
        uint32 serviceDay;
    }

    /// @notice Unpacked claim state, as returned by `claimOf`.
    struct Claim {
        uint8 status;
        uint32 serviceDay;
        bytes8 reasonCode;
        uint64 recordedAt;
        uint64 decidedAt;
    }

    mapping(bytes32 claimHash => uint256 packedState) private _claims;
    mapping(bytes32 claimHash => bytes32 payerHash) private _claimPayer;
    mapping(bytes32 payerHash => address account) private _payers;
    /// Applied batches by keccak256(abi.encode(sender, batchId)): an id is bound to the account that sent it, so
    /// nobody can spend another sender's batch id (front-running `batchId` with an empty batch lands under their key).
    mapping(bytes32 senderBatch => bool) private _appliedBatches;

    /// @notice Emitted for every claim newly recorded.
    event ClaimRecorded(bytes32 indexed claimHash, bytes32 indexed payerHash, uint32 serviceDay);
    /// @notice Emitted for a claim hash that was already recorded (left unchanged).
    event ClaimRecordSkipped(bytes32 indexed claimHash);
    /// @notice Emitted when a payer accepts or denies a recorded claim.
    event ClaimStatusChanged(bytes32 indexed claimHash, uint8 status, bytes8 reasonCode, address indexed payer);
    /// @notice Emitted when governance registers (or moves) a payer's address.
    event PayerRegistered(bytes32 indexed payerHash, address indexed account);
    /// @notice Emitted once per applied batch; `opCount` counts all entries, recorded or skipped.
    event BatchApplied(bytes32 indexed batchId, uint256 opCount);

    /// @notice The caller applied this batch id before.
    error BatchAlreadyApplied(bytes32 batchId);
    /// @notice A batch entry has a zero claim hash, payer hash or service day.
    error InvalidClaimRecord(uint256 index);
    /// @notice The claim hash was never recorded.
    error ClaimNotRecorded(bytes32 claimHash);
    /// @notice The claim was already accepted or denied.
    error ClaimAlreadyDecided(bytes32 claimHash, uint8 status);
    /// @notice The status is neither accepted nor denied.
    error InvalidStatus(uint8 status);
    /// @notice A denial needs a reason code.
    error MissingReasonCode(bytes32 claimHash);
    /// @notice The caller is not the registered payer the claim is addressed to.
    error NotClaimPayer(bytes32 claimHash, address caller);
    /// @notice A payer registration with a zero hash or address.
    error InvalidPayer(bytes32 payerHash, address account);

    /// @notice Grants the admin role and the custodian role to `admin`; payers are registered by the admin.
    /// @param admin account that administers roles and records batches at first
    constructor(address admin) AccessControlDefaultAdminRules(GOVERNANCE_DELAY, admin) {
        _grantRole(CUSTODIAN_ROLE, admin);
    }

    /// @notice Records a batch of claims; a claim hash already recorded is skipped with ClaimRecordSkipped.
    /// @dev Reverts the whole batch on a replayed batch id or a malformed entry, so a batch is all or nothing.
    /// @param batchId unique id of the batch (the outbox batch id)
    /// @param records claims to record, in any order
    function recordBatch(bytes32 batchId, ClaimRecord[] calldata records) external onlyRole(CUSTODIAN_ROLE) {
        bytes32 key = keccak256(abi.encode(msg.sender, batchId));
        if (_appliedBatches[key]) revert BatchAlreadyApplied(batchId);
        _appliedBatches[key] = true;
        uint256 count = records.length;
        uint256 recordedAt = (block.timestamp & _U64) << 104;
        for (uint256 i; i < count; ++i) {
            ClaimRecord calldata r = records[i];
            if (r.claimHash == bytes32(0) || r.payerHash == bytes32(0) || r.serviceDay == 0) revert InvalidClaimRecord(i);
            if (_claims[r.claimHash] != 0) {
                emit ClaimRecordSkipped(r.claimHash);
                continue;
            }
            _claims[r.claimHash] = uint256(STATUS_RECORDED) | (uint256(r.serviceDay) << 8) | recordedAt;
            _claimPayer[r.claimHash] = r.payerHash;
            emit ClaimRecorded(r.claimHash, r.payerHash, r.serviceDay);
        }
        emit BatchApplied(batchId, count);
    }

    /// @notice Registers the address that answers for `payerHash` (governance; a new address replaces the old).
    /// @param payerHash the payer's hash as claims carry it
    /// @param account the payer's signing address
    function registerPayer(bytes32 payerHash, address account) external onlyRole(DEFAULT_ADMIN_ROLE) {
        if (payerHash == bytes32(0) || account == address(0)) revert InvalidPayer(payerHash, account);
        _payers[payerHash] = account;
        emit PayerRegistered(payerHash, account);
    }

    /// @notice The registered address of a payer (zero when none).
    /// @param payerHash the payer's hash
    /// @return account the payer's address
    function payerAccountOf(bytes32 payerHash) external view returns (address account) {
        return _payers[payerHash];
    }

    /// @notice Accepts or denies a recorded claim, once; only the registered payer the claim is addressed to.
    /// @param claimHash the claim's content hash
    /// @param status STATUS_ACCEPTED or STATUS_DENIED
    /// @param reasonCode ASCII reason code (e.g. "CO-16"); required for a denial, optional for an acceptance
    function setStatus(bytes32 claimHash, uint8 status, bytes8 reasonCode) external {
        if (status != STATUS_ACCEPTED && status != STATUS_DENIED) revert InvalidStatus(status);
        uint256 s = _claims[claimHash];
        uint8 current = uint8(s);
        if (current == STATUS_NONE) revert ClaimNotRecorded(claimHash);
        address payer = _payers[_claimPayer[claimHash]];
        if (payer == address(0) || payer != msg.sender) revert NotClaimPayer(claimHash, msg.sender);
        if (current != STATUS_RECORDED) revert ClaimAlreadyDecided(claimHash, current);
        if (status == STATUS_DENIED && reasonCode == bytes8(0)) revert MissingReasonCode(claimHash);
        // Keep serviceDay and recordedAt; set status, reason and decidedAt.
        uint256 kept = s & (((_U32) << 8) | (_U64 << 104));
        _claims[claimHash] = kept | uint256(status) | (uint256(uint64(reasonCode)) << 40)
            | ((block.timestamp & _U64) << 168);
        emit ClaimStatusChanged(claimHash, status, reasonCode, msg.sender);
    }

    /// @notice The stored state of a claim (all zero when never recorded).
    /// @param claimHash the claim's content hash
    /// @return claim the stored state, unpacked
    function claimOf(bytes32 claimHash) external view returns (Claim memory claim) {
        uint256 s = _claims[claimHash];
        return Claim({
            status: uint8(s),
            serviceDay: uint32(s >> 8),
            reasonCode: bytes8(uint64(s >> 40)),
            recordedAt: uint64(s >> 104),
            decidedAt: uint64(s >> 168)
        });
    }

    /// @notice The stored packed state word of a claim (0 when never recorded); one SLOAD for bulk readers.
    /// @param claimHash the claim's content hash
    /// @return state the packed word (layout in the contract docs)
    function packedStateOf(bytes32 claimHash) external view returns (uint256 state) {
        return _claims[claimHash];
    }

    /// @notice Whether `sender` applied the batch `batchId` (ids are per sender).
    /// @param sender the account that sent the batch
    /// @param batchId batch id
    /// @return applied true when applied
    function batchApplied(address sender, bytes32 batchId) external view returns (bool applied) {
        return _appliedBatches[keccak256(abi.encode(sender, batchId))];
    }
}
