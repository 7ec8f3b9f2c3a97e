// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {ECDSA} from "@openzeppelin/contracts/utils/cryptography/ECDSA.sol";
import {MessageHashUtils} from "@openzeppelin/contracts/utils/cryptography/MessageHashUtils.sol";

/// @title SharingAgreements
/// @notice Data-sharing agreements between two organisations: proposals, EIP-712 signatures of both parties,
/// activation and termination, written in batches by the custodian's sync sender.
/// @dev Every write is authorised by an EIP-712 signature of a party (the proposer's on the proposal, each
/// party's on its signature or termination), so no role is needed to relay one: any workstation's sender may
/// carry it, and a relayer can neither forge nor alter it. The domain is ("Custodian Sharing", "1", chain id,
/// this contract) and is computed on each call rather than cached in immutables, so the runtime code equals the
/// artifact's (the embedded devnet compares code hashes) and a fork to another chain id cannot reuse signatures.
/// Terms (direction, purposes, categories, organisation ids) are committed by `termsHash`, which both parties
/// sign; they travel in the AgreementProposed event so the partner can rebuild and check them off chain.
///
/// Storage per agreement is three slots: the signed struct hash, then (partyA, validFrom, flags) and
/// (partyB, validUntil), each packed into one word.
contract SharingAgreements {
    /// @notice EIP-712 type of an agreement, as both parties sign it.
    bytes32 public constant AGREEMENT_TYPEHASH = keccak256(
        "Agreement(bytes32 agreementId,bytes32 termsHash,address partyA,address partyB,uint64 validFrom,uint64 validUntil,bytes32 documentHash)"
    );
    /// @notice EIP-712 type of a termination, signed by the terminating party.
    bytes32 public constant TERMINATION_TYPEHASH = keccak256("Termination(bytes32 agreementId,address party)");
    bytes32 private constant _DOMAIN_TYPEHASH =
        keccak256("EIP712Domain(string name,string version,uint256 chainId,address verifyingContract)");
    bytes32 private constant _NAME_HASH = keccak256("Custodian Sharing");
    bytes32 private constant _VERSION_HASH = keccak256("1");

    uint8 private constant _SIGNED_A = 1;
    uint8 private constant _SIGNED_B = 2;
    uint8 private constant _TERMINATED = 4;

    /// @notice The terms of a proposal (emitted whole; only the period and the struct hash are stored).
    /// @param termsHash hash of the canonical terms (direction, purposes, categories, organisation ids)
    /// @param validFrom first second the agreement may be active (unix seconds)
    /// @param validUntil first second it no longer is (unix seconds, > validFrom)
    /// @param documentHash hash of the signed paper agreement kept off chain
    /// @param scope packed direction and purpose/category masks the terms hash commits to (checked off chain)
    /// @param orgA partyA's organisation id (ASCII, zero-padded; not a person)
    /// @param orgB partyB's organisation id (ASCII, zero-padded; not a person)
    struct Terms {
        bytes32 termsHash;
        uint64 validFrom;
        uint64 validUntil;
        bytes32 documentHash;
        uint256 scope;
        bytes32 orgA;
        bytes32 orgB;
    }

    /// @notice A proposal, carrying the proposer's (partyA's) signature.
    struct Proposal {
        bytes32 agreementId;
        address partyA;
        address partyB;
        Terms terms;
        bytes signatureA;
    }

    /// @notice A party's signature of an agreement already proposed.
    struct Signature {
        bytes32 agreementId;
        address party;
        bytes signature;
    }

    /// @notice A party's signed termination.
    struct Termination {
        bytes32 agreementId;
        address party;
        bytes signature;
    }

    /// @notice Stored state of an agreement (three slots).
    struct Agreement {
        bytes32 structHash;
        address partyA;
        uint64 validFrom;
        uint8 flags;
        address partyB;
        uint64 validUntil;
    }

    mapping(bytes32 agreementId => Agreement) private _agreements;
    /// Applied batches by keccak256(abi.encode(sender, batchId)): an id is bound to the account that sent it, so
    /// nobody can spend another sender's batch id (front-running `batchId` with an empty batch lands under their key).
    mapping(bytes32 senderBatch => bool) private _appliedBatches;

    /// @notice Emitted for a new proposal, with everything the partner needs to rebuild and check it.
    event AgreementProposed(bytes32 indexed agreementId, address indexed partyA, address indexed partyB, Terms terms);
    /// @notice Emitted for each valid signature (the proposer's included), with the signature itself.
    event AgreementSigned(bytes32 indexed agreementId, address indexed party, bytes signature);
    /// @notice Emitted when the second party's signature makes the agreement active.
    event AgreementActivated(bytes32 indexed agreementId, uint64 validFrom, uint64 validUntil);
    /// @notice Emitted when a party terminates the agreement.
    event AgreementTerminated(bytes32 indexed agreementId, address indexed party, bytes signature);
    /// @notice Emitted once per applied batch; `count` counts its items.
    event SharingBatchApplied(bytes32 indexed batchId, uint256 count);

    /// @notice The caller applied this batch id before.
    error BatchAlreadyApplied(bytes32 batchId);
    /// @notice An agreement with this id exists already.
    error AgreementExists(bytes32 agreementId);
    /// @notice No agreement with this id was proposed.
    error UnknownAgreement(bytes32 agreementId);
    /// @notice The parties are zero or the same address.
    error InvalidParties(bytes32 agreementId, address partyA, address partyB);
    /// @notice The period ends before it starts.
    error InvalidPeriod(bytes32 agreementId, uint64 validFrom, uint64 validUntil);
    /// @notice The agreement's period is over.
    error AgreementExpired(bytes32 agreementId, uint64 validUntil);
    /// @notice The agreement was terminated.
    error AgreementIsTerminated(bytes32 agreementId);
    /// @notice The address is not a party of the agreement.
    error NotAParty(bytes32 agreementId, address account);
    /// @notice The party has signed already (a replayed signature).
    error AlreadySigned(bytes32 agreementId, address party);
    /// @notice The signature does not recover to the party under this chain's and this contract's domain: signed
    /// by someone else, for another chain or another contract, or over other terms.
    error InvalidSigner(bytes32 agreementId, address expected, address recovered);

    /// @notice The EIP-712 domain separator: bound to this chain id and this contract's address.
    /// @return separator the domain separator
    function domainSeparator() public view returns (bytes32 separator) {
        return keccak256(abi.encode(_DOMAIN_TYPEHASH, _NAME_HASH, _VERSION_HASH, block.chainid, address(this)));
    }

    /// @notice The EIP-712 digest a party signs for an agreement.
    /// @param agreementId agreement id
    /// @param termsHash hash of the canonical terms
    /// @param partyA proposer's signing address
    /// @param partyB partner's signing address
    /// @param validFrom start (unix seconds)
    /// @param validUntil end, exclusive (unix seconds)
    /// @param documentHash hash of the signed paper agreement
    /// @return digest the typed-data digest
    function agreementDigest(
        bytes32 agreementId,
        bytes32 termsHash,
        address partyA,
        address partyB,
        uint64 validFrom,
        uint64 validUntil,
        bytes32 documentHash
    ) public view returns (bytes32 digest) {
        bytes32 structHash = keccak256(
            abi.encode(AGREEMENT_TYPEHASH, agreementId, termsHash, partyA, partyB, validFrom, validUntil, documentHash)
        );
        return MessageHashUtils.toTypedDataHash(domainSeparator(), structHash);
    }

    /// @notice Records proposals, each with its proposer's (partyA's) signature; all or nothing.
    /// @param batchId unique id of the batch (the outbox batch id)
    /// @param proposals the proposals
    function proposeBatch(bytes32 batchId, Proposal[] calldata proposals) external {
        _claimBatch(batchId);
        uint256 count = proposals.length;
        for (uint256 i; i < count; ++i) {
            _propose(proposals[i]);
        }
        emit SharingBatchApplied(batchId, count);
    }

    /// @notice Records parties' signatures of proposed agreements; all or nothing.
    /// @param batchId unique id of the batch
    /// @param signatures the signatures
    function signBatch(bytes32 batchId, Signature[] calldata signatures) external {
        _claimBatch(batchId);
        uint256 count = signatures.length;
        for (uint256 i; i < count; ++i) {
            Signature calldata s = signatures[i];
            Agreement storage a = _existing(s.agreementId);
            if (a.flags & _TERMINATED != 0) revert AgreementIsTerminated(s.agreementId);
            if (block.timestamp >= a.validUntil) revert AgreementExpired(s.agreementId, a.validUntil);
            uint8 bit = _partyBit(a, s.agreementId, s.party);
            if (a.flags & bit != 0) revert AlreadySigned(s.agreementId, s.party);
            _requireSigner(s.agreementId, MessageHashUtils.toTypedDataHash(domainSeparator(), a.structHash), s.signature, s.party);
            a.flags |= bit;
            emit AgreementSigned(s.agreementId, s.party, s.signature);
            if (a.flags & (_SIGNED_A | _SIGNED_B) == (_SIGNED_A | _SIGNED_B)) {
                emit AgreementActivated(s.agreementId, a.validFrom, a.validUntil);
            }
        }
        emit SharingBatchApplied(batchId, count);
    }

    /// @notice Terminates agreements, each on a signed request of one of its parties; all or nothing.
    /// @param batchId unique id of the batch
    /// @param terminations the terminations
    function terminateBatch(bytes32 batchId, Termination[] calldata terminations) external {
        _claimBatch(batchId);
        uint256 count = terminations.length;
        for (uint256 i; i < count; ++i) {
            Termination calldata t = terminations[i];
            Agreement storage a = _existing(t.agreementId);
            if (a.flags & _TERMINATED != 0) revert AgreementIsTerminated(t.agreementId);
            _partyBit(a, t.agreementId, t.party);
            bytes32 structHash = keccak256(abi.encode(TERMINATION_TYPEHASH, t.agreementId, t.party));
            _requireSigner(t.agreementId, MessageHashUtils.toTypedDataHash(domainSeparator(), structHash), t.signature, t.party);
            a.flags |= _TERMINATED;
            emit AgreementTerminated(t.agreementId, t.party, t.signature);
        }
        emit SharingBatchApplied(batchId, count);
    }

    /// @notice Whether the agreement is active at `timestamp`: signed by both parties, not terminated, and
    /// `timestamp` within [validFrom, validUntil).
    /// @param agreementId agreement id
    /// @param timestamp unix seconds to evaluate at
    /// @return active true when active
    function isActive(bytes32 agreementId, uint64 timestamp) external view returns (bool active) {
        Agreement storage a = _agreements[agreementId];
        return a.flags & (_SIGNED_A | _SIGNED_B | _TERMINATED) == (_SIGNED_A | _SIGNED_B) && timestamp >= a.validFrom
            && timestamp < a.validUntil;
    }

    /// @notice The stored state of an agreement (all zero when unknown).
    /// @param agreementId agreement id
    /// @return partyA proposer
    /// @return partyB partner
    /// @return validFrom start
    /// @return validUntil end (exclusive)
    /// @return signedA whether partyA signed
    /// @return signedB whether partyB signed
    /// @return terminated whether a party terminated it
    function agreementOf(bytes32 agreementId)
        external
        view
        returns (address partyA, address partyB, uint64 validFrom, uint64 validUntil, bool signedA, bool signedB, bool terminated)
    {
        Agreement storage a = _agreements[agreementId];
        return (a.partyA, a.partyB, a.validFrom, a.validUntil, a.flags & _SIGNED_A != 0, a.flags & _SIGNED_B != 0, a.flags & _TERMINATED != 0);
    }

    /// @notice Whether `sender` applied the batch `batchId` (ids are per sender).
    /// @param sender the account that sent the batch
    /// @param batchId batch id
    /// @return applied true when applied
    function batchApplied(address sender, bytes32 batchId) external view returns (bool applied) {
        return _appliedBatches[keccak256(abi.encode(sender, batchId))];
    }

    function _propose(Proposal calldata p) private {
        bytes32 id = p.agreementId;
        Terms calldata t = p.terms;
        if (_agreements[id].partyA != address(0)) revert AgreementExists(id);
        if (p.partyA == address(0) || p.partyB == address(0) || p.partyA == p.partyB) {
            revert InvalidParties(id, p.partyA, p.partyB);
        }
        if (t.validUntil <= t.validFrom) revert InvalidPeriod(id, t.validFrom, t.validUntil);
        if (block.timestamp >= t.validUntil) revert AgreementExpired(id, t.validUntil);
        bytes32 structHash = keccak256(
            abi.encode(AGREEMENT_TYPEHASH, id, t.termsHash, p.partyA, p.partyB, t.validFrom, t.validUntil, t.documentHash)
        );
        _requireSigner(id, MessageHashUtils.toTypedDataHash(domainSeparator(), structHash), p.signatureA, p.partyA);
        _agreements[id] = Agreement({
            structHash: structHash,
            partyA: p.partyA,
            validFrom: t.validFrom,
            flags: _SIGNED_A,
            partyB: p.partyB,
            validUntil: t.validUntil
        });
        emit AgreementProposed(id, p.partyA, p.partyB, t);
        emit AgreementSigned(id, p.partyA, p.signatureA);
    }

    function _claimBatch(bytes32 batchId) private {
        bytes32 key = keccak256(abi.encode(msg.sender, batchId));
        if (_appliedBatches[key]) revert BatchAlreadyApplied(batchId);
        _appliedBatches[key] = true;
    }

    function _existing(bytes32 agreementId) private view returns (Agreement storage a) {
        a = _agreements[agreementId];
        if (a.partyA == address(0)) revert UnknownAgreement(agreementId);
    }

    function _partyBit(Agreement storage a, bytes32 agreementId, address party) private view returns (uint8 bit) {
        if (party == a.partyA) return _SIGNED_A;
        if (party == a.partyB) return _SIGNED_B;
        revert NotAParty(agreementId, party);
    }

    function _requireSigner(bytes32 agreementId, bytes32 digest, bytes calldata signature, address expected) private pure {
        (address recovered, ECDSA.RecoverError err,) = ECDSA.tryRecoverCalldata(digest, signature);
        if (err != ECDSA.RecoverError.NoError || recovered != expected) revert InvalidSigner(agreementId, expected, recovered);
    }
}
