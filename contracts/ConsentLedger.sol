// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {AccessControlDefaultAdminRules} from "@openzeppelin/contracts/access/extensions/AccessControlDefaultAdminRules.sol";

/// @title ConsentLedger (v3)
/// @notice The facility signers' consent changes, recorded in chain order in batches; no per-key state.
/// @dev Ordering rule (the same in every reader, see main/sync/README.md): each change carries an order key
/// (hlc, rank, writer). `hlc` is a hybrid logical clock stamp (unix milliseconds << 16 | counter); `rank` is 1 for
/// a revoke or a deny and 0 for a permit, so a revoke or deny wins a tie; `writer` is the sending signer (msg.sender,
/// never a field of the op). The contract keeps no state per key: it records every well-formed op as a ConsentChanged
/// event, and every reader folds a key's events in chain order (block, log index): an event holds the key when its
/// order key is greater than that of every earlier event of the key, and is otherwise STALE (it never held the key).
/// The fold's result is the greatest order key recorded, whatever the landing order. The one check that needs the
/// chain is made here: a change stamped more than MAX_CLOCK_SKEW_MS after the block's time is not recorded (FUTURE,
/// ConsentOpSkipped), so no stamp can freeze a key. Nothing per key is stored, so a change costs its calldata and
/// its event (issue #12: at least 3x less gas than one transaction and one slot per record).
///
/// Scoping: governance (the default admin, under OpenZeppelin's two-step, delayed admin rules) registers facility
/// signers (holding the admin role gives no right to write: only registration does); only a registered signer may
/// apply a batch, and each event names the signer's facility (`facilityId`), the namespace readers fold it in: a
/// signer of facility B can never write facility A's keys. Batch ids are bound to their sender: the replay guard keys
/// on keccak256(abi.encode(sender, batchId)), the one slot a batch writes.
///
/// Privacy: `opKey` is a keyed commitment (keccak256 of a per-key HMAC salt and the key's fields, computed off chain
/// under the facility secret), and the terms (pseudonym, grantee, purpose, category, window, decision, document
/// hash) travel only as `sealedTerms`, AES-256-GCM ciphertext under a key derived from the facility secret. The contract
/// never reads `sealedTerms`.
///
/// Op order word (calldata), least significant bits first:
///   bits  0..7   decision (1 permit, 2 deny)
///   bits  8..15  revoked  (0 or 1)
///   bits 16..79  hlc      (> 0)
///   bits 80..255 must be zero
/// Event state word: the same low 80 bits, and bits 80..239 the writer address.
contract ConsentLedger is AccessControlDefaultAdminRules {
    /// @notice Decision value granting access within the (sealed) validity window.
    uint8 public constant DECISION_PERMIT = 1;
    /// @notice Decision value refusing access.
    uint8 public constant DECISION_DENY = 2;
    /// @notice How far (milliseconds) an op's hlc may run ahead of the block's time before it is skipped as FUTURE.
    uint256 public constant MAX_CLOCK_SKEW_MS = 10 minutes * 1000;
    /// @notice Skip reason: the op's hlc is further ahead of the block's time than MAX_CLOCK_SKEW_MS. (Reason 1, STALE,
    /// is decided by readers, never here.)
    uint8 public constant SKIP_FUTURE = 2;

    uint256 private constant _U64 = 0xFFFFFFFFFFFFFFFF;
    uint48 private constant _ADMIN_TRANSFER_DELAY = 2 days;

    /// @notice One consent change as sent by a facility signer.
    /// @param opKey keyed commitment to the consent key (off chain: keccak256(abi.encode(keySalt, fields)))
    /// @param order packed decision, revoked flag and hlc (layout in the contract docs)
    /// @param sealedTerms AES-256-GCM ciphertext of the terms (nonce || ciphertext || tag); emitted, never stored or read
    struct Op {
        bytes32 opKey;
        uint256 order;
        bytes sealedTerms;
    }

    mapping(bytes32 boundBatchId => bool) private _appliedBatches;
    mapping(address signer => bytes32 facilityId) private _facilityOf;

    /// @notice Emitted for every recorded op: `state` is the op's word (flags, hlc and writer), `facilityId` the
    /// namespace it is folded in, `sealedTerms` the terms, encrypted. Whether it holds the key is the readers' fold.
    event ConsentChanged(bytes32 indexed opKey, bytes32 facilityId, uint256 state, bytes sealedTerms);
    /// @notice Emitted for an op that was not recorded: `reason` is SKIP_FUTURE. `boundBatchId` is
    /// keccak256(abi.encode(sender, batchId)), as in BatchApplied.
    event ConsentOpSkipped(bytes32 indexed boundBatchId, uint256 opIndex, bytes32 opKey, uint8 reason);
    /// @notice Emitted once per applied batch; `opCount` counts all ops, recorded or skipped.
    event BatchApplied(bytes32 indexed boundBatchId, address indexed sender, bytes32 batchId, uint256 opCount);
    /// @notice Governance registered `signer` for `facilityId` (zero: removed).
    event FacilitySignerSet(address indexed signer, bytes32 facilityId);

    /// @notice This sender applied this batch id before.
    error BatchAlreadyApplied(address sender, bytes32 batchId);
    /// @notice The sender is not a registered facility signer.
    error NotFacilitySigner(address sender);
    /// @notice The op's decision is neither permit nor deny.
    error InvalidDecision(bytes32 opKey, uint8 decision);
    /// @notice The op's order word has bits set outside its fields, a revoked flag other than 0/1, or hlc 0.
    error InvalidOrder(bytes32 opKey, uint256 order);
    /// @notice A zero address where an account is required.
    error ZeroAddress();

    /// @notice Makes `governance` the default admin (transfers are two-step with a two-day delay).
    /// @param governance the governance account: registers facility signers, never applies batches
    constructor(address governance) AccessControlDefaultAdminRules(_ADMIN_TRANSFER_DELAY, governance) {}

    /// @notice Registers `signer` as an operating key of `facilityId`, or removes it with facilityId zero.
    /// @param signer the workstation's signing address
    /// @param facilityId the facility's id (zero to remove)
    function setFacilitySigner(address signer, bytes32 facilityId) external onlyRole(DEFAULT_ADMIN_ROLE) {
        if (signer == address(0)) revert ZeroAddress();
        _facilityOf[signer] = facilityId;
        emit FacilitySignerSet(signer, facilityId);
    }

    /// @notice The facility `signer` writes for (zero when not registered).
    /// @param signer account
    /// @return facilityId the facility id
    function facilityOf(address signer) external view returns (bytes32 facilityId) {
        return _facilityOf[signer];
    }

    /// @notice Records a batch of consent ops in the sender's facility namespace; future-stamped ops are skipped.
    /// @dev Reverts the whole batch on an unregistered sender, a replayed (sender, batchId) or a malformed op.
    /// @param batchId the sender's batch id (the outbox batch id)
    /// @param ops operations in any order; several ops for one key are fine, readers fold them by the ordering rule
    function applyBatch(bytes32 batchId, Op[] calldata ops) external {
        bytes32 facilityId = _facilityOf[msg.sender];
        if (facilityId == bytes32(0)) revert NotFacilitySigner(msg.sender);
        bytes32 bound = keccak256(abi.encode(msg.sender, batchId));
        if (_appliedBatches[bound]) revert BatchAlreadyApplied(msg.sender, batchId);
        _appliedBatches[bound] = true;

        uint256 writerBits = uint256(uint160(msg.sender)) << 80;
        uint256 horizon = block.timestamp * 1000 + MAX_CLOCK_SKEW_MS;
        uint256 count = ops.length;
        for (uint256 i; i < count; ++i) {
            Op calldata op = ops[i];
            uint256 order = op.order;
            _check(op.opKey, order);
            if ((order >> 32) & 0xFFFFFFFFFFFF > horizon) {
                emit ConsentOpSkipped(bound, i, op.opKey, SKIP_FUTURE);
                continue;
            }
            emit ConsentChanged(op.opKey, facilityId, order | writerBits, op.sealedTerms);
        }
        emit BatchApplied(bound, msg.sender, batchId, count);
    }

    /// @dev Reverts unless `order` is a well-formed order word.
    function _check(bytes32 opKey, uint256 order) private pure {
        if (order >> 80 != 0 || (order >> 8) & 0xFF > 1 || (order >> 16) & _U64 == 0) revert InvalidOrder(opKey, order);
        uint8 decision = uint8(order);
        if (decision != DECISION_PERMIT && decision != DECISION_DENY) revert InvalidDecision(opKey, decision);
    }

    /// @notice Whether `sender` applied the batch `batchId`.
    /// @param sender the signer that sent it
    /// @param batchId its batch id
    /// @return applied true when applied
    function batchApplied(address sender, bytes32 batchId) external view returns (bool applied) {
        return _appliedBatches[keccak256(abi.encode(sender, batchId))];
    }
}
