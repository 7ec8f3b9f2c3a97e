// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {AccessControlDefaultAdminRules} from "@openzeppelin/contracts/access/extensions/AccessControlDefaultAdminRules.sol";

/// @title ClaimsLedger
/// @notice On-chain record of insurance claims that passed the custodian's pre-checks, and the payer's answer.
/// @dev Nothing here yields to a dictionary. A claim is known only by its salted commitment
/// keccak256(abi.encode(domain, salt, contentHash)) with a random 128-bit salt per claim that the facility hands to the
/// payer off chain. The payer a claim is addressed to is a per-claim commitment keccak256(abi.encode(payer address,
/// payerNonce)), where payerNonce is derived from that same salt: before the decision nobody without the salt can
/// tell which payer a claim went to, and the service day is not on chain at all (the content commitment covers it).
///
/// Rules:
/// - CUSTODIAN_ROLE records batches of claims. A batch id is applied once per sender (BatchAlreadyApplied).
///   A claim hash that is already recorded is SKIPPED with ClaimRecordSkipped, never reverted: two workstations
///   may record the same claim, and one duplicate must not sink the rest of a batch. Malformed entries (zero
///   claim hash or payer commitment) revert the whole batch. The very record already stored (same payer commitment)
///   and not yet decided is announced again with ClaimRecorded and changes nothing: a record whose event a torn node
///   state lost is repaired this way.
/// - Governance (DEFAULT_ADMIN_ROLE) registers payer accounts (a payer's signing address is public and names an
///   organisation, not a person). Only a registered payer that opens the claim's payer commitment with its own
///   address decides it (NotClaimPayer otherwise): payer B cannot accept or deny payer A's claims, and copying the
///   nonce from payer A's pending transaction does not help (the commitment binds A's address).
/// - The addressed payer decides a recorded claim ONCE: accepted or denied, with an 8-byte reason code (a CARC such
///   as "CO-16") masked by a pad derived from the claim's salt, so only the facility and the payer can read it; a
///   denial needs a non-zero code. Deciding an unrecorded claim reverts ClaimNotRecorded; deciding twice reverts
///   ClaimAlreadyDecided. A corrected claim is a new claim (new content, new salt, new hash).
///
/// Packed state word, one storage slot per claim, least significant bits first:
///   bits   0..7    status      (0 none, 1 recorded, 2 accepted, 3 denied)
///   bits   8..71   sealedReason (bytes8 as the payer sent it, masked)
///   bits  72..135  recordedAt  (block timestamp)
///   bits 136..199  decidedAt   (block timestamp, 0 until decided)
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

    uint256 private constant _U64 = 0xFFFFFFFFFFFFFFFF;

    /// @notice One claim as sent by the custodian (two calldata words, no dynamic parts).
    /// @param claimHash salted commitment of the claim's content
    /// @param payerCommitment keccak256(abi.encode(payer address, payerNonce)), payerNonce derived from the claim's salt
    struct ClaimRecord {
        bytes32 claimHash;
        bytes32 payerCommitment;
    }

    /// @notice Unpacked claim state, as returned by `claimOf`.
    struct Claim {
        uint8 status;
        bytes8 sealedReason;
        uint64 recordedAt;
        uint64 decidedAt;
    }

    mapping(bytes32 claimHash => uint256 packedState) private _claims;
    mapping(bytes32 claimHash => bytes32 payerCommitment) private _claimPayer;
    mapping(address account => bool registered) private _payers;
    /// Applied batches by keccak256(abi.encode(sender, batchId)): an id is bound to the account that sent it, so
    /// nobody can spend another sender's batch id (front-running `batchId` with an empty batch lands under their key).
    mapping(bytes32 senderBatch => bool) private _appliedBatches;

    /// @notice Emitted for every claim newly recorded (the commitment only: no payer, no day).
    event ClaimRecorded(bytes32 indexed claimHash);
    /// @notice Emitted for a claim hash that was already recorded (left unchanged).
    event ClaimRecordSkipped(bytes32 indexed claimHash);
    /// @notice Emitted when a payer accepts or denies a recorded claim; the reason is masked (see the contract docs).
    event ClaimStatusChanged(bytes32 indexed claimHash, uint8 status, bytes8 sealedReason, address indexed payer);
    /// @notice Emitted when governance registers or removes a payer account.
    event PayerRegistered(address indexed account, bool registered);
    /// @notice Emitted once per applied batch; `opCount` counts all entries, recorded or skipped.
    event BatchApplied(bytes32 indexed batchId, uint256 opCount);

    /// @notice The caller applied this batch id before.
    error BatchAlreadyApplied(bytes32 batchId);
    /// @notice A batch entry has a zero claim hash or payer commitment.
    error InvalidClaimRecord(uint256 index);
    /// @notice The claim hash was never recorded.
    error ClaimNotRecorded(bytes32 claimHash);
    /// @notice The claim was already accepted or denied.
    error ClaimAlreadyDecided(bytes32 claimHash, uint8 status);
    /// @notice The status is neither accepted nor denied.
    error InvalidStatus(uint8 status);
    /// @notice A denial needs a reason code.
    error MissingReasonCode(bytes32 claimHash);
    /// @notice The caller is not a registered payer, or its address and nonce do not open the claim's payer commitment.
    error NotClaimPayer(bytes32 claimHash, address caller);
    /// @notice A payer registration with a zero address.
    error InvalidPayer(address account);

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
        uint256 recordedAt = (block.timestamp & _U64) << 72;
        for (uint256 i; i < count; ++i) {
            ClaimRecord calldata r = records[i];
            if (r.claimHash == bytes32(0) || r.payerCommitment == bytes32(0)) revert InvalidClaimRecord(i);
            uint256 state = _claims[r.claimHash];
            if (state != 0) {
                // The very record stored (same payer commitment), still awaiting its payer: announced again, nothing
                // changes (a record whose event was lost in a torn node state is sent again this way). Any other
                // record of a taken hash, or one already decided, is skipped.
                if (state & 0xFF == STATUS_RECORDED && _claimPayer[r.claimHash] == r.payerCommitment) {
                    emit ClaimRecorded(r.claimHash);
                } else {
                    emit ClaimRecordSkipped(r.claimHash);
                }
                continue;
            }
            _claims[r.claimHash] = uint256(STATUS_RECORDED) | recordedAt;
            _claimPayer[r.claimHash] = r.payerCommitment;
            emit ClaimRecorded(r.claimHash);
        }
        emit BatchApplied(batchId, count);
    }

    /// @notice Registers (or removes) a payer account (governance).
    /// @param account the payer's signing address
    /// @param registered true to register, false to remove
    function registerPayer(address account, bool registered) external onlyRole(DEFAULT_ADMIN_ROLE) {
        if (account == address(0)) revert InvalidPayer(account);
        _payers[account] = registered;
        emit PayerRegistered(account, registered);
    }

    /// @notice Whether `account` is a registered payer.
    /// @param account the address to check
    /// @return registered true when registered
    function isPayer(address account) external view returns (bool registered) {
        return _payers[account];
    }

    /// @notice The payer commitment a claim addressed to `account` carries, for the facility and tests.
    /// @param account the payer's address
    /// @param payerNonce the claim's payer nonce (derived from its salt off chain)
    /// @return commitment keccak256(abi.encode(account, payerNonce))
    function payerCommitmentOf(address account, bytes32 payerNonce) public pure returns (bytes32 commitment) {
        return keccak256(abi.encode(account, payerNonce));
    }

    /// @notice Accepts or denies a recorded claim, once; only the registered payer the claim is addressed to.
    /// @param claimHash the claim's commitment
    /// @param status STATUS_ACCEPTED or STATUS_DENIED
    /// @param sealedReason the reason code masked with the claim's reason pad; required for a denial
    /// @param payerNonce opens the claim's payer commitment together with the caller's address
    function setStatus(bytes32 claimHash, uint8 status, bytes8 sealedReason, bytes32 payerNonce) external {
        if (status != STATUS_ACCEPTED && status != STATUS_DENIED) revert InvalidStatus(status);
        uint256 s = _claims[claimHash];
        uint8 current = uint8(s);
        if (current == STATUS_NONE) revert ClaimNotRecorded(claimHash);
        if (!_payers[msg.sender] || payerCommitmentOf(msg.sender, payerNonce) != _claimPayer[claimHash]) {
            revert NotClaimPayer(claimHash, msg.sender);
        }
        if (current != STATUS_RECORDED) revert ClaimAlreadyDecided(claimHash, current);
        if (status == STATUS_DENIED && sealedReason == bytes8(0)) revert MissingReasonCode(claimHash);
        // Keep recordedAt; set status, reason and decidedAt.
        uint256 kept = s & (_U64 << 72);
        _claims[claimHash] = kept | uint256(status) | (uint256(uint64(sealedReason)) << 8)
            | ((block.timestamp & _U64) << 136);
        emit ClaimStatusChanged(claimHash, status, sealedReason, msg.sender);
    }

    /// @notice The stored state of a claim (all zero when never recorded).
    /// @param claimHash the claim's commitment
    /// @return claim the stored state, unpacked
    function claimOf(bytes32 claimHash) external view returns (Claim memory claim) {
        uint256 s = _claims[claimHash];
        return Claim({
            status: uint8(s),
            sealedReason: bytes8(uint64(s >> 8)),
            recordedAt: uint64(s >> 72),
            decidedAt: uint64(s >> 136)
        });
    }

    /// @notice The stored packed state word of a claim (0 when never recorded); one SLOAD for bulk readers.
    /// @param claimHash the claim's commitment
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
