// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {AccessControlDefaultAdminRules} from "@openzeppelin/contracts/access/extensions/AccessControlDefaultAdminRules.sol";
import {ECDSA} from "@openzeppelin/contracts/utils/cryptography/ECDSA.sol";
import {MessageHashUtils} from "@openzeppelin/contracts/utils/cryptography/MessageHashUtils.sol";

/// @title CredentialRegistry
/// @notice Registry of credential issuers and of the status of credentials, keyed by credential hash.
/// @dev Governance registers issuers. A status is authorised by the ISSUER's own EIP-712 signature over
/// CredentialStatus(credentialHash, status, expiresAt, nonce, deadline) in this contract's domain (this chain id,
/// this address), in the manner of EAS delegated attestations: anyone (a relay, any workstation) may submit it;
/// only the signature counts. Per item, in order (a failing item is SKIPPED with StatusUpdateSkipped and a reason,
/// never reverting the batch):
/// - the status is 1, 2 or 3, the deadline has not passed, and the values fit storage;
/// - the signature recovers to `issuer`;
/// - a credential belongs to the issuer it was first recorded with (IssuerMismatch otherwise);
/// - the issuer is registered, except for revoking a credential it recorded while registered (so a removed
///   issuer's credentials can still be revoked); an unregistered issuer can never record a new credential hash;
/// - revocation is final: nothing is applied over "revoked";
/// - the nonce is above the credential's last applied nonce, so a stale or replayed signed status never lands.
/// Governance is OpenZeppelin AccessControlDefaultAdminRules: one admin, changed only by a two-step transfer that
/// waits GOVERNANCE_DELAY, and the admin role cannot be granted alongside (so an operating key cannot quietly
/// become a second admin).
contract CredentialRegistry is AccessControlDefaultAdminRules {
    /// @notice Delay of an admin transfer or of a change to that delay.
    uint48 public constant GOVERNANCE_DELAY = 2 days;

    /// @notice Role allowed to register and remove issuers.
    bytes32 public constant GOVERNANCE_ROLE = keccak256("GOVERNANCE_ROLE");

    /// @notice Status of a credential never written.
    uint8 public constant STATUS_UNKNOWN = 0;
    /// @notice Status of a valid credential.
    uint8 public constant STATUS_ACTIVE = 1;
    /// @notice Status of a credential temporarily not valid.
    uint8 public constant STATUS_SUSPENDED = 2;
    /// @notice Status of a credential permanently withdrawn.
    uint8 public constant STATUS_REVOKED = 3;

    /// @notice EIP-712 type of a signed status.
    bytes32 public constant STATUS_TYPEHASH =
        keccak256("CredentialStatus(bytes32 credentialHash,uint8 status,uint64 expiresAt,uint64 nonce,uint64 deadline)");
    bytes32 private constant _DOMAIN_TYPEHASH =
        keccak256("EIP712Domain(string name,string version,uint256 chainId,address verifyingContract)");
    bytes32 private constant _NAME_HASH = keccak256("Custodian Credential Status");
    bytes32 private constant _VERSION_HASH = keccak256("1");

    /// @notice Why an item was skipped.
    enum SkipReason {
        InvalidStatus,
        Expired,
        OutOfRange,
        BadSignature,
        IssuerMismatch,
        IssuerNotRegistered,
        AlreadyRevoked,
        StaleNonce
    }

    /// @notice One status change, signed by its issuer.
    /// @param credentialHash hash of the credential (never the credential itself)
    /// @param status STATUS_ACTIVE, STATUS_SUSPENDED or STATUS_REVOKED
    /// @param expiresAt unix time after which the credential is expired; 0 means no expiry
    /// @param issuer the credential's issuer, who signed this update
    /// @param nonce above the credential's last applied nonce (the issuer tool uses its clock in milliseconds)
    /// @param deadline unix time after which the signature may no longer be submitted
    /// @param signature the issuer's EIP-712 signature over the fields above (issuer excluded: it is the signer)
    struct StatusUpdate {
        bytes32 credentialHash;
        uint8 status;
        uint64 expiresAt;
        address issuer;
        uint64 nonce;
        uint64 deadline;
        bytes signature;
    }

    /// @notice Stored state of a credential; fits one storage slot (1 + 5 + 20 + 6 bytes).
    struct CredentialStatus {
        uint8 status;
        uint40 expiresAt;
        address issuer;
        uint48 nonce;
    }

    /// @notice Stored state of an issuer; the display name lives only in the IssuerRegistered event.
    struct Issuer {
        bool active;
        uint64 registeredAt;
    }

    mapping(address issuer => Issuer) private _issuers;
    mapping(bytes32 credentialHash => CredentialStatus) private _statuses;
    /// Applied batches by keccak256(abi.encode(sender, batchId)): an id is bound to the account that sent it, so
    /// nobody can spend another sender's batch id (front-running `batchId` with an empty batch lands under their key).
    mapping(bytes32 senderBatch => bool) private _appliedBatches;

    /// @notice Emitted when an issuer is registered.
    event IssuerRegistered(address indexed issuer, string name);
    /// @notice Emitted when an issuer is removed.
    event IssuerRevoked(address indexed issuer);
    /// @notice Emitted for every status change.
    event CredentialStatusChanged(
        bytes32 indexed credentialHash, uint8 status, uint64 expiresAt, address indexed issuer, bytes32 indexed batchId
    );
    /// @notice Emitted for an item that was not applied; `index` is its position in the batch.
    event StatusUpdateSkipped(bytes32 indexed credentialHash, bytes32 indexed batchId, uint256 index, SkipReason reason);
    /// @notice Emitted once per applied batch; `updateCount` counts all items, applied or skipped.
    event StatusBatchApplied(bytes32 indexed batchId, uint256 updateCount);

    /// @notice The caller applied this batch id before.
    error BatchAlreadyApplied(bytes32 batchId);
    /// @notice The issuer is already registered.
    error IssuerAlreadyRegistered(address issuer);
    /// @notice The issuer is not registered.
    error IssuerNotRegistered(address issuer);
    /// @notice The issuer address is zero.
    error ZeroIssuer();

    /// @notice Grants the admin and governance roles to `admin`. No role writes statuses: issuers sign them.
    /// @param admin account that administers roles and governs issuers
    constructor(address admin) AccessControlDefaultAdminRules(GOVERNANCE_DELAY, admin) {
        _grantRole(GOVERNANCE_ROLE, admin);
    }

    /// @notice Registers `issuer` under a display name.
    /// @param issuer issuer's signing address
    /// @param name display name (organisation, not a person)
    function registerIssuer(address issuer, string calldata name) external onlyRole(GOVERNANCE_ROLE) {
        if (issuer == address(0)) revert ZeroIssuer();
        if (_issuers[issuer].active) revert IssuerAlreadyRegistered(issuer);
        _issuers[issuer] = Issuer({active: true, registeredAt: uint64(block.timestamp)});
        emit IssuerRegistered(issuer, name);
    }

    /// @notice Removes `issuer`; its credentials keep their status and it can still revoke them.
    /// @param issuer issuer's signing address
    function revokeIssuer(address issuer) external onlyRole(GOVERNANCE_ROLE) {
        if (!_issuers[issuer].active) revert IssuerNotRegistered(issuer);
        _issuers[issuer].active = false;
        emit IssuerRevoked(issuer);
    }

    /// @notice Whether `issuer` is currently registered.
    /// @param issuer issuer's signing address
    /// @return registered true when registered
    function isIssuer(address issuer) external view returns (bool registered) {
        return _issuers[issuer].active;
    }

    /// @notice The EIP-712 domain separator: bound to this chain id and this contract's address.
    /// @return separator the domain separator
    function domainSeparator() public view returns (bytes32 separator) {
        return keccak256(abi.encode(_DOMAIN_TYPEHASH, _NAME_HASH, _VERSION_HASH, block.chainid, address(this)));
    }

    /// @notice The EIP-712 digest an issuer signs for a status.
    /// @param credentialHash credential hash
    /// @param status status code
    /// @param expiresAt expiry (unix seconds), 0 for none
    /// @param nonce the update's nonce
    /// @param deadline last unix second the signature may be submitted
    /// @return digest the digest to sign
    function statusDigest(bytes32 credentialHash, uint8 status, uint64 expiresAt, uint64 nonce, uint64 deadline)
        public
        view
        returns (bytes32 digest)
    {
        bytes32 structHash = keccak256(abi.encode(STATUS_TYPEHASH, credentialHash, status, expiresAt, nonce, deadline));
        return MessageHashUtils.toTypedDataHash(domainSeparator(), structHash);
    }

    /// @notice Applies a batch of issuer-signed status updates. Anyone may submit; each item stands on its
    /// issuer's signature, and an item that fails a rule is skipped (StatusUpdateSkipped), never the batch.
    /// @param batchId unique id of the batch (per sender)
    /// @param updates status updates, applied in order
    function setStatuses(bytes32 batchId, StatusUpdate[] calldata updates) external {
        bytes32 key = keccak256(abi.encode(msg.sender, batchId));
        if (_appliedBatches[key]) revert BatchAlreadyApplied(batchId);
        _appliedBatches[key] = true;

        bytes32 separator = domainSeparator();
        uint256 count = updates.length;
        for (uint256 i; i < count; ++i) {
            StatusUpdate calldata u = updates[i];
            if (_isStored(u, separator)) {
                // The very update the registry holds (same issuer, status, expiry and nonce, the issuer's valid
                // signature): announced again, nothing changes. An update whose event was lost in a torn node state
                // is sent again this way; a final revocation stays final (only itself is announced again).
                emit CredentialStatusChanged(u.credentialHash, u.status, u.expiresAt, u.issuer, batchId);
                continue;
            }
            (bool ok, SkipReason reason) = _check(u, separator);
            if (!ok) {
                emit StatusUpdateSkipped(u.credentialHash, batchId, i, reason);
                continue;
            }
            _statuses[u.credentialHash] = CredentialStatus({
                status: u.status, expiresAt: uint40(u.expiresAt), issuer: u.issuer, nonce: uint48(u.nonce)
            });
            emit CredentialStatusChanged(u.credentialHash, u.status, u.expiresAt, u.issuer, batchId);
        }
        emit StatusBatchApplied(batchId, count);
    }

    function _isStored(StatusUpdate calldata u, bytes32 separator) private view returns (bool stored) {
        CredentialStatus storage c = _statuses[u.credentialHash];
        if (c.nonce == 0 || c.nonce != u.nonce || c.status != u.status || c.issuer != u.issuer || c.expiresAt != u.expiresAt) {
            return false;
        }
        bytes32 structHash =
            keccak256(abi.encode(STATUS_TYPEHASH, u.credentialHash, u.status, u.expiresAt, u.nonce, u.deadline));
        (address recovered, ECDSA.RecoverError err,) =
            ECDSA.tryRecoverCalldata(MessageHashUtils.toTypedDataHash(separator, structHash), u.signature);
        return err == ECDSA.RecoverError.NoError && recovered == u.issuer;
    }

    function _check(StatusUpdate calldata u, bytes32 separator) private view returns (bool ok, SkipReason reason) {
        if (u.status < STATUS_ACTIVE || u.status > STATUS_REVOKED) return (false, SkipReason.InvalidStatus);
        if (block.timestamp > u.deadline) return (false, SkipReason.Expired);
        if (u.expiresAt > type(uint40).max || u.nonce > type(uint48).max || u.nonce == 0) {
            return (false, SkipReason.OutOfRange);
        }
        bytes32 structHash =
            keccak256(abi.encode(STATUS_TYPEHASH, u.credentialHash, u.status, u.expiresAt, u.nonce, u.deadline));
        (address recovered, ECDSA.RecoverError err,) =
            ECDSA.tryRecoverCalldata(MessageHashUtils.toTypedDataHash(separator, structHash), u.signature);
        if (err != ECDSA.RecoverError.NoError || recovered != u.issuer || recovered == address(0)) {
            return (false, SkipReason.BadSignature);
        }
        CredentialStatus storage stored = _statuses[u.credentialHash];
        if (stored.issuer != address(0) && stored.issuer != u.issuer) return (false, SkipReason.IssuerMismatch);
        if (!_issuers[u.issuer].active && !(u.status == STATUS_REVOKED && stored.issuer == u.issuer)) {
            return (false, SkipReason.IssuerNotRegistered);
        }
        if (stored.status == STATUS_REVOKED) return (false, SkipReason.AlreadyRevoked);
        if (u.nonce <= stored.nonce) return (false, SkipReason.StaleNonce);
        return (true, SkipReason.InvalidStatus);
    }

    /// @notice The last applied nonce of a credential (0 when never written): a new status needs a higher one.
    /// @param credentialHash credential hash
    /// @return nonce last applied nonce
    function statusNonceOf(bytes32 credentialHash) external view returns (uint64 nonce) {
        return _statuses[credentialHash].nonce;
    }

    /// @notice Whether `sender` applied the batch `batchId` (ids are per sender).
    /// @param sender the account that sent the batch
    /// @param batchId batch id
    /// @return applied true when applied
    function batchApplied(address sender, bytes32 batchId) external view returns (bool applied) {
        return _appliedBatches[keccak256(abi.encode(sender, batchId))];
    }

    /// @notice The stored status of one credential (all zero when unknown).
    /// @param credentialHash credential hash
    /// @return status 0 unknown, 1 active, 2 suspended, 3 revoked
    /// @return expiresAt expiry (unix seconds), 0 for none
    /// @return issuer the credential's issuer
    function statusOf(bytes32 credentialHash) external view returns (uint8 status, uint64 expiresAt, address issuer) {
        CredentialStatus storage s = _statuses[credentialHash];
        return (s.status, s.expiresAt, s.issuer);
    }

    /// @notice Statuses and expiries of many credentials in one call, in the order asked.
    /// @param credentialHashes credential hashes
    /// @return statuses status per hash (0 when unknown)
    /// @return expiries expiry per hash (0 when none or unknown)
    function statusesOf(bytes32[] calldata credentialHashes)
        external
        view
        returns (uint8[] memory statuses, uint64[] memory expiries)
    {
        uint256 count = credentialHashes.length;
        statuses = new uint8[](count);
        expiries = new uint64[](count);
        for (uint256 i; i < count; ++i) {
            CredentialStatus storage s = _statuses[credentialHashes[i]];
            statuses[i] = s.status;
            expiries[i] = s.expiresAt;
        }
    }
}
