// The byte-level keccak256 used for bulk Merkle work agrees with ethers' keccak256 (what the contracts see).
import { getBytes, hexlify, keccak256, randomBytes } from 'ethers';
import { describe, expect, it } from 'vitest';
import { keccak256Block } from './keccak';

const ours = (input: Uint8Array) => {
  const out = new Uint8Array(32);
  keccak256Block(input, out);
  return hexlify(out);
};

describe('keccak256Block', () => {
  it('agrees with ethers on known vectors and random inputs, including past one block', () => {
    expect(ours(new Uint8Array(0))).toBe('0xc5d2460186f7233c927e7db2dcc703c0e500b653ca82273b7bfad8045d85a470');
    expect(ours(getBytes('0x616263'))).toBe(keccak256('0x616263'));
    for (const n of [1, 31, 32, 33, 64, 135, 136, 137, 300]) {
      const input = randomBytes(n);
      expect(ours(input)).toBe(keccak256(input));
    }
  });

  it('writes at an offset', () => {
    const out = new Uint8Array(40);
    keccak256Block(getBytes('0x01'), out, 8);
    expect(hexlify(out.subarray(8))).toBe(keccak256('0x01'));
    expect(out.subarray(0, 8).every((b) => b === 0)).toBe(true);
  });
});
