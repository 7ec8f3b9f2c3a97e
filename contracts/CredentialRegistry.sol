// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {AccessControl} from "@openzeppelin/contracts/access/AccessControl.sol";

/// @title CredentialRegistry
/// @notice Registry of credential issuers and of the status of credentials, keyed by credential hash.
/// @dev Governance registers issuers; the custodian's sync sender (STATUS_ROLE) writes statuses in batches.
/// A credential belongs to the issuer it was first recorded with. Updates name a registered issuer, except
/// revocations, which are always accepted so a removed issuer's credentials can still be revoked.
contract CredentialRegistry is AccessControl {
    /// @notice Role allowed to register and remove issuers.
    bytes32 public constant GOVERNANCE_ROLE = keccak256("GOVERNANCE_ROLE");
    /// @notice Role allowed to write credential statuses.
    bytes32 public constant STATUS_ROLE = keccak256("STATUS_ROLE");

    /// @notice Status of a credential never written.
    uint8 public constant STATUS_UNKNOWN = 0;
    /// @notice Status of a valid credential.
    uint8 public constant STATUS_ACTIVE = 1;
    /// @notice Status of a credential temporarily not valid.
    uint8 public constant STATUS_SUSPENDED = 2;
    /// @notice Status of a credential permanently withdrawn.
    uint8 public constant STATUS_REVOKED = 3;

    /// @notice One status change.
    /// @param credentialHash hash of the credential (never the credential itself)
    /// @param status STATUS_ACTIVE, STATUS_SUSPENDED or STATUS_REVOKED
    /// @param expiresAt unix time after which the credential is expired; 0 means no expiry
    /// @param issuer the credential's issuer
    struct StatusUpdate {
        bytes32 credentialHash;
        uint8 status;
        uint64 expiresAt;
        address issuer;
    }

    /// @notice Stored state of a credential; fits one storage slot.
    struct CredentialStatus {
        uint8 status;
        uint64 expiresAt;
        address issuer;
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
    /// @notice Emitted once per applied batch.
    event StatusBatchApplied(bytes32 indexed batchId, uint256 updateCount);

    /// @notice The caller applied this batch id before.
    error BatchAlreadyApplied(bytes32 batchId);
    /// @notice The issuer is already registered.
    error IssuerAlreadyRegistered(address issuer);
    /// @notice The issuer is not registered.
    error IssuerNotRegistered(address issuer);
    /// @notice The status value is not 1, 2 or 3.
    error InvalidStatus(bytes32 credentialHash, uint8 status);
    /// @notice The update names another issuer than the one the credential was recorded with.
    error IssuerMismatch(bytes32 credentialHash, address recorded, address given);
    /// @notice The issuer address is zero.
    error ZeroIssuer();
    /// @notice The admin address is zero.
    error ZeroAdmin();

    /// @notice Grants the admin, governance and status roles to `admin`.
    /// @param admin account that administers roles, governs issuers and writes statuses at first
    constructor(address admin) {
        if (admin == address(0)) revert ZeroAdmin();
        _grantRole(DEFAULT_ADMIN_ROLE, admin);
        _grantRole(GOVERNANCE_ROLE, admin);
        _grantRole(STATUS_ROLE, admin);
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

    /// @notice Removes `issuer`; its credentials keep their status and can still be revoked.
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

    /// @notice Applies a batch of status updates; all or nothing.
    /// @param batchId unique id of the batch
    /// @param updates status updates, applied in order
    function setStatuses(bytes32 batchId, StatusUpdate[] calldata updates) external onlyRole(STATUS_ROLE) {
        bytes32 key = keccak256(abi.encode(msg.sender, batchId));
        if (_appliedBatches[key]) revert BatchAlreadyApplied(batchId);
        _appliedBatches[key] = true;

        uint256 count = updates.length;
        for (uint256 i; i < count; ++i) {
            StatusUpdate calldata u = updates[i];
            if (u.status < STATUS_ACTIVE || u.status > STATUS_REVOKED) revert InvalidStatus(u.credentialHash, u.status);
            if (u.issuer == address(0)) revert ZeroIssuer();
            if (u.status != STATUS_REVOKED && !_issuers[u.issuer].active) revert IssuerNotRegistered(u.issuer);
            CredentialStatus storage stored = _statuses[u.credentialHash];
            address recorded = stored.issuer;
            if (recorded != address(0) && recorded != u.issuer) {
                revert IssuerMismatch(u.credentialHash, recorded, u.issuer);
            }
            _statuses[u.credentialHash] =
                CredentialStatus({status: u.status, expiresAt: u.expiresAt, issuer: u.issuer});
            emit CredentialStatusChanged(u.credentialHash, u.status, u.expiresAt, u.issuer, batchId);
        }
        emit StatusBatchApplied(batchId, count);
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
