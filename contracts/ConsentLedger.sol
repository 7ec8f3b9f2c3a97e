// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {AccessControlDefaultAdminRules} from "@openzeppelin/contracts/access/extensions/AccessControlDefaultAdminRules.sol";

/// @title ConsentLedger (v2)
/// @notice On-chain order of consent decisions, written in batches by the registered signers of each facility.
/// @dev Ordering rule (the same in every workstation, see main/sync/README.md): each change carries an order key
/// (hlc, rank, writer). `hlc` is a hybrid logical clock stamp (unix milliseconds << 16 | counter); `rank` is 1 for
/// a revoke or a deny and 0 for a permit, so a revoke or deny wins a tie; `writer` is the sending signer (msg.sender,
/// never a field of the op). The change with the greatest (hlc, rank, writer) wins. A change that is not newer
/// than the stored one is skipped (STALE); a change stamped more than MAX_CLOCK_SKEW_MS after the block's time is
/// skipped (FUTURE), so no stamp can freeze a key. Skips never revert: batches land in any order.
///
/// Scoping: governance (the default admin, under OpenZeppelin's two-step, delayed admin rules) registers facility
/// signers (holding the admin role gives no right to write: only registration does); only a registered signer may apply a batch, and its keys are namespaced by its facility:
/// storage key = keccak256(abi.encode(facilityId, opKey)). A signer of facility B can never touch facility A's keys.
/// Batch ids are bound to their sender: the replay guard keys on keccak256(abi.encode(sender, batchId)).
///
/// Privacy: `opKey` is a keyed commitment (keccak256 of a per-key HMAC salt and the key's fields, computed off chain
/// under the facility secret), and the terms (pseudonym, grantee, purpose, category, window, decision, document
/// hash) travel only as `sealedTerms`, AES-256-GCM ciphertext under a key derived from the facility secret. The contract
/// never reads `sealedTerms`; it stores only the packed order and the decision/revoked flags per key (ONE slot).
///
/// Op order word (calldata), least significant bits first:
///   bits  0..7   decision (1 permit, 2 deny)
///   bits  8..15  revoked  (0 or 1)
///   bits 16..79  hlc      (> 0)
///   bits 80..255 must be zero
/// Stored state word: the same low 80 bits, and bits 80..239 the writer address.
contract ConsentLedger is AccessControlDefaultAdminRules {
    /// @notice Decision value granting access within the (sealed) validity window.
    uint8 public constant DECISION_PERMIT = 1;
    /// @notice Decision value refusing access.
    uint8 public constant DECISION_DENY = 2;
    /// @notice How far (milliseconds) an op's hlc may run ahead of the block's time before it is skipped as FUTURE.
    uint256 public constant MAX_CLOCK_SKEW_MS = 10 minutes * 1000;
    /// @notice Skip reason: the op is not newer than the stored state under the ordering rule.
    uint8 public constant SKIP_STALE = 1;
    /// @notice Skip reason: the op's hlc is further ahead of the block's time than MAX_CLOCK_SKEW_MS.
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

    mapping(bytes32 storageKey => uint256 packedState) private _states;
    mapping(bytes32 boundBatchId => bool) private _appliedBatches;
    mapping(address signer => bytes32 facilityId) private _facilityOf;
    /// @dev What ConsentOpSkipped said, kept in storage: `reason << 248 | storedState`, zero for an op that applied.
    /// A node stopped while mining can keep a transaction's storage and lose its events (a torn state); the sender can
    /// then still read which of its ops the ledger skipped and under which word, as its receipt would have said.
    mapping(bytes32 boundBatchId => mapping(uint256 opIndex => uint256 skip)) private _skips;

    /// @notice Emitted for every op that changed the stored state of a key. `state` is the new stored word
    /// (flags, hlc and writer); `facilityId` names the namespace; `sealedTerms` carries the terms, encrypted.
    event ConsentChanged(bytes32 indexed opKey, bytes32 facilityId, uint256 state, bytes sealedTerms);
    /// @notice Emitted for an op that was not applied: `reason` is SKIP_STALE or SKIP_FUTURE, `storedState` the
    /// word that stays. `boundBatchId` is keccak256(abi.encode(sender, batchId)), as in BatchApplied.
    event ConsentOpSkipped(bytes32 indexed boundBatchId, uint256 opIndex, bytes32 opKey, uint8 reason, uint256 storedState);
    /// @notice Emitted once per applied batch; `opCount` counts all ops, applied or skipped.
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

    /// @notice Applies a batch of consent ops in the sender's facility namespace; stale and future ops are skipped.
    /// @dev Reverts the whole batch on an unregistered sender, a replayed (sender, batchId) or a malformed op.
    /// @param batchId the sender's batch id (the outbox batch id)
    /// @param ops operations in any order; several ops for one key are fine, the greatest order key wins
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
            bytes32 key = keccak256(abi.encode(facilityId, op.opKey));
            uint256 stored = _states[key];
            uint256 state = order | writerBits;
            if ((order >> 32) & 0xFFFFFFFFFFFF > horizon) {
                _skips[bound][i] = (uint256(SKIP_FUTURE) << 248) | stored;
                emit ConsentOpSkipped(bound, i, op.opKey, SKIP_FUTURE, stored);
                continue;
            }
            if (_rankKey(state) <= _rankKey(stored)) {
                _skips[bound][i] = (uint256(SKIP_STALE) << 248) | stored;
                emit ConsentOpSkipped(bound, i, op.opKey, SKIP_STALE, stored);
                continue;
            }
            _states[key] = state;
            emit ConsentChanged(op.opKey, facilityId, state, op.sealedTerms);
        }
        emit BatchApplied(bound, msg.sender, batchId, count);
    }

    /// @dev The ordering key of a state word: hlc (bits 161..224), rank (bit 160), writer (bits 0..159).
    /// Zero for a never-written key, so any valid op beats it.
    function _rankKey(uint256 s) private pure returns (uint256) {
        if (s == 0) return 0;
        uint256 rank = (uint8(s) == DECISION_DENY || (s >> 8) & 0xFF == 1) ? 1 : 0;
        return (((s >> 16) & _U64) << 161) | (rank << 160) | (s >> 80);
    }

    /// @dev Reverts unless `order` is a well-formed order word.
    function _check(bytes32 opKey, uint256 order) private pure {
        if (order >> 80 != 0 || (order >> 8) & 0xFF > 1 || (order >> 16) & _U64 == 0) revert InvalidOrder(opKey, order);
        uint8 decision = uint8(order);
        if (decision != DECISION_PERMIT && decision != DECISION_DENY) revert InvalidDecision(opKey, decision);
    }

    /// @notice The stored state word of `opKey` in `facilityId`'s namespace (0 when never written).
    /// @param facilityId facility namespace
    /// @param opKey the op key
    /// @return state packed flags, hlc and writer (layout in the contract docs)
    function stateOf(bytes32 facilityId, bytes32 opKey) external view returns (uint256 state) {
        return _states[keccak256(abi.encode(facilityId, opKey))];
    }

    /// @notice Whether the ledger skipped op `opIndex` of `sender`'s batch `batchId`, and under which stored word: the
    /// content of its ConsentOpSkipped, readable when the event is gone (a torn node state).
    /// @param sender the signer that sent the batch
    /// @param batchId its batch id
    /// @param opIndex the op's index in the batch
    /// @return reason SKIP_STALE or SKIP_FUTURE, 0 when the op applied (or the batch is not applied)
    /// @return storedState the word that stayed when the op was skipped
    function skipOf(address sender, bytes32 batchId, uint256 opIndex) external view returns (uint8 reason, uint256 storedState) {
        uint256 s = _skips[keccak256(abi.encode(sender, batchId))][opIndex];
        return (uint8(s >> 248), s & ((uint256(1) << 248) - 1));
    }

    /// @notice Whether `sender` applied the batch `batchId`.
    /// @param sender the signer that sent it
    /// @param batchId its batch id
    /// @return applied true when applied
    function batchApplied(address sender, bytes32 batchId) external view returns (bool applied) {
        return _appliedBatches[keccak256(abi.encode(sender, batchId))];
    }
}
