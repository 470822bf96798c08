// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.28;

/// @title Eip712Signatures
/// @notice EIP-712 domain, per-signer nonces and signature recovery for relayed patient actions
/// (https://eips.ethereum.org/EIPS/eip-712).
/// @dev The domain separator is recomputed from `block.chainid` on every use (a few hundred gas)
/// rather than cached, so a signature can never be replayed on a fork with another chain id.
abstract contract Eip712Signatures {
    bytes32 private constant DOMAIN_TYPEHASH =
        keccak256("EIP712Domain(string name,string version,uint256 chainId,address verifyingContract)");
    /// @dev secp256k1n / 2: signatures with a larger s are the malleable twin (EIP-2).
    uint256 private constant MAX_S = 0x7FFFFFFFFFFFFFFFFFFFFFFFFFFFFFFF5D576E7357A4501DDFE92F46681B20A0;

    bytes32 private immutable _nameHash;
    bytes32 private immutable _versionHash;

    /// @notice The next nonce each signer must use; a signature is good for exactly one nonce.
    mapping(address account => uint256) public nonces;

    error SignatureExpired(uint256 deadline, uint256 nowSeconds);
    error InvalidSignature();
    error WrongSigner(address expected, address recovered);
    error InvalidNonce(address signer, uint256 expected, uint256 given);

    constructor(string memory name, string memory version) {
        _nameHash = keccak256(bytes(name));
        _versionHash = keccak256(bytes(version));
    }

    // solhint-disable-next-line func-name-mixedcase
    function DOMAIN_SEPARATOR() public view returns (bytes32) {
        return keccak256(abi.encode(DOMAIN_TYPEHASH, _nameHash, _versionHash, block.chainid, address(this)));
    }

    /// @dev Checks deadline, signer and nonce, then consumes the nonce. Reverts name what is wrong.
    function _useSignature(bytes32 structHash, address signer, uint256 nonce, uint256 deadline, bytes calldata signature)
        internal
    {
        if (block.timestamp > deadline) revert SignatureExpired(deadline, block.timestamp);
        bytes32 digest = keccak256(abi.encodePacked("\x19\x01", DOMAIN_SEPARATOR(), structHash));
        address recovered = _recover(digest, signature);
        if (recovered != signer) revert WrongSigner(signer, recovered);
        uint256 expected = nonces[signer];
        if (nonce != expected) revert InvalidNonce(signer, expected, nonce);
        nonces[signer] = expected + 1;
    }

    function _recover(bytes32 digest, bytes calldata signature) private pure returns (address) {
        if (signature.length != 65) revert InvalidSignature();
        bytes32 r = bytes32(signature[0:32]);
        bytes32 s = bytes32(signature[32:64]);
        uint8 v = uint8(signature[64]);
        if (uint256(s) > MAX_S || (v != 27 && v != 28)) revert InvalidSignature();
        address recovered = ecrecover(digest, v, r, s);
        if (recovered == address(0)) revert InvalidSignature();
        return recovered;
    }
}
