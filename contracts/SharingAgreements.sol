// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {ECDSA} from "@openzeppelin/contracts/utils/cryptography/ECDSA.sol";
import {MessageHashUtils} from "@openzeppelin/contracts/utils/cryptography/MessageHashUtils.sol";

/// @title SharingAgreements
/// @notice Data-sharing agreements between two organisations: proposals, EIP-712 signatures of both parties and
/// termination, written in batches by the custodian's sync sender.
/// @dev Every write is authorised by an EIP-712 signature of a party (the proposer's on the proposal, each
/// party's on its signature or termination), so no role is needed to relay one: any workstation's sender may
/// carry it, and a relayer can neither forge nor alter it. The domain is ("Custodian Sharing", "2", chain id,
/// this contract) and is computed on each call rather than cached in immutables, so the runtime code equals the
/// artifact's (the embedded devnet compares code hashes) and a fork to another chain id cannot reuse signatures.
/// Nothing here names an organisation, a document or a date: the terms (organisation ids, direction, purposes,
/// categories, period, document hash) are committed by a salted `commitment` both parties sign, and travel only
/// sealed to the partner's public key (`sealedTerms`, opaque to the contract). The period is therefore enforced
/// off chain by both parties; the chain records who signed and who terminated.
///
/// A write that is already stored (the same proposal, a party's signature or termination again, each with its valid
/// signature) is announced again with its events and changes nothing: the repair of a write whose events a torn node
/// state lost, and of a proposal whose first event carried sealed terms that do not open (the signature does not
/// cover `sealedTerms`). A different proposal under a taken id, or anything on a terminated agreement but its
/// termination, reverts.
///
/// Storage per agreement is two slots: the signed struct hash, then (partyA, flags) and partyB.
contract SharingAgreements {
    /// @notice EIP-712 type of an agreement, as both parties sign it.
    bytes32 public constant AGREEMENT_TYPEHASH =
        keccak256("Agreement(bytes32 agreementId,bytes32 commitment,address partyA,address partyB)");
    /// @notice EIP-712 type of a termination, signed by the terminating party.
    bytes32 public constant TERMINATION_TYPEHASH = keccak256("Termination(bytes32 agreementId,address party)");
    bytes32 private constant _DOMAIN_TYPEHASH =
        keccak256("EIP712Domain(string name,string version,uint256 chainId,address verifyingContract)");
    bytes32 private constant _NAME_HASH = keccak256("Custodian Sharing");
    bytes32 private constant _VERSION_HASH = keccak256("2");

    uint8 private constant _SIGNED_A = 1;
    uint8 private constant _SIGNED_B = 2;
    uint8 private constant _TERMINATED = 4;

    /// @notice A proposal, carrying the proposer's (partyA's) signature.
    /// @param commitment salted hash of the terms (see the custodian's sealed-terms.ts)
    /// @param sealedTerms the terms encrypted to partyB's public key (emitted, never read here)
    struct Proposal {
        bytes32 agreementId;
        address partyA;
        address partyB;
        bytes32 commitment;
        bytes sealedTerms;
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

    /// @notice Stored state of an agreement (two slots after the hash).
    struct Agreement {
        bytes32 structHash;
        address partyA;
        uint8 flags;
        address partyB;
    }

    mapping(bytes32 agreementId => Agreement) private _agreements;
    /// Applied batches by keccak256(abi.encode(sender, batchId)): an id is bound to the account that sent it, so
    /// nobody can spend another sender's batch id (front-running `batchId` with an empty batch lands under their key).
    mapping(bytes32 senderBatch => bool) private _appliedBatches;

    /// @notice Emitted for a new proposal: the commitment and the terms sealed to partyB.
    event AgreementProposed(
        bytes32 indexed agreementId, address indexed partyA, address indexed partyB, bytes32 commitment, bytes sealedTerms
    );
    /// @notice Emitted for each valid signature (the proposer's included), with the signature itself.
    event AgreementSigned(bytes32 indexed agreementId, address indexed party, bytes signature);
    /// @notice Emitted when the second party's signature makes the agreement binding.
    event AgreementActivated(bytes32 indexed agreementId);
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
    /// @notice The agreement was terminated.
    error AgreementIsTerminated(bytes32 agreementId);
    /// @notice The address is not a party of the agreement.
    error NotAParty(bytes32 agreementId, address account);
    /// @notice The party has signed already (a replayed signature).
    /// @notice The signature does not recover to the party under this chain's and this contract's domain: signed
    /// by someone else, for another chain or another contract, or over another commitment.
    error InvalidSigner(bytes32 agreementId, address expected, address recovered);

    /// @notice The EIP-712 domain separator: bound to this chain id and this contract's address.
    /// @return separator the domain separator
    function domainSeparator() public view returns (bytes32 separator) {
        return keccak256(abi.encode(_DOMAIN_TYPEHASH, _NAME_HASH, _VERSION_HASH, block.chainid, address(this)));
    }

    /// @notice The EIP-712 digest a party signs for an agreement.
    /// @param agreementId agreement id
    /// @param commitment salted hash of the terms
    /// @param partyA proposer's signing address
    /// @param partyB partner's signing address
    /// @return digest the typed-data digest
    function agreementDigest(bytes32 agreementId, bytes32 commitment, address partyA, address partyB)
        public
        view
        returns (bytes32 digest)
    {
        bytes32 structHash = keccak256(abi.encode(AGREEMENT_TYPEHASH, agreementId, commitment, partyA, partyB));
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
            uint8 bit = _partyBit(a, s.agreementId, s.party);
            _requireSigner(s.agreementId, MessageHashUtils.toTypedDataHash(domainSeparator(), a.structHash), s.signature, s.party);
            // Signed already: the same valid signature announces the stored fact again and changes nothing (a
            // signature whose event was lost in a torn node state is sent again this way).
            a.flags |= bit;
            emit AgreementSigned(s.agreementId, s.party, s.signature);
            if (a.flags & (_SIGNED_A | _SIGNED_B) == (_SIGNED_A | _SIGNED_B)) {
                emit AgreementActivated(s.agreementId);
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
            _partyBit(a, t.agreementId, t.party);
            bytes32 structHash = keccak256(abi.encode(TERMINATION_TYPEHASH, t.agreementId, t.party));
            _requireSigner(t.agreementId, MessageHashUtils.toTypedDataHash(domainSeparator(), structHash), t.signature, t.party);
            // Terminated already: a party's valid termination announces the stored fact again and changes nothing.
            a.flags |= _TERMINATED;
            emit AgreementTerminated(t.agreementId, t.party, t.signature);
        }
        emit SharingBatchApplied(batchId, count);
    }

    /// @notice Whether both parties signed the agreement and neither terminated it. Its period is part of the
    /// sealed terms and is checked by the parties off chain.
    /// @param agreementId agreement id
    /// @return binding true when signed by both and not terminated
    function isBinding(bytes32 agreementId) external view returns (bool binding) {
        return _agreements[agreementId].flags & (_SIGNED_A | _SIGNED_B | _TERMINATED) == (_SIGNED_A | _SIGNED_B);
    }

    /// @notice The stored state of an agreement (all zero when unknown).
    /// @param agreementId agreement id
    /// @return partyA proposer
    /// @return partyB partner
    /// @return signedA whether partyA signed
    /// @return signedB whether partyB signed
    /// @return terminated whether a party terminated it
    function agreementOf(bytes32 agreementId)
        external
        view
        returns (address partyA, address partyB, bool signedA, bool signedB, bool terminated)
    {
        Agreement storage a = _agreements[agreementId];
        return (a.partyA, a.partyB, a.flags & _SIGNED_A != 0, a.flags & _SIGNED_B != 0, a.flags & _TERMINATED != 0);
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
        if (p.partyA == address(0) || p.partyB == address(0) || p.partyA == p.partyB) {
            revert InvalidParties(id, p.partyA, p.partyB);
        }
        bytes32 structHash = keccak256(abi.encode(AGREEMENT_TYPEHASH, id, p.commitment, p.partyA, p.partyB));
        Agreement storage stored = _agreements[id];
        // The very proposal stored (same id, commitment and parties), not terminated: announced again, nothing
        // changes (a proposal whose events were lost in a torn node state, or whose first event carried terms
        // that do not open, is sent again this way). Any other proposal under a taken id reverts.
        if (stored.partyA != address(0) && (stored.structHash != structHash || stored.flags & _TERMINATED != 0)) {
            revert AgreementExists(id);
        }
        _requireSigner(id, MessageHashUtils.toTypedDataHash(domainSeparator(), structHash), p.signatureA, p.partyA);
        if (stored.partyA == address(0)) {
            _agreements[id] = Agreement({structHash: structHash, partyA: p.partyA, flags: _SIGNED_A, partyB: p.partyB});
        }
        emit AgreementProposed(id, p.partyA, p.partyB, p.commitment, p.sealedTerms);
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
