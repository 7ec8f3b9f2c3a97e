// NPI check digit (Luhn over 80840 + the first nine digits): real NPIs, CMS's published examples, near misses,
// and malformed values, each refused with its reason.
import { describe, expect, it } from 'vitest';
import { isValidNpi, npiCheckDigit, npiFromNine, npiProblem } from './npi';

describe('NPI check digit', () => {
  it.each([
    ['1234567893', 'CMS example'],
    ['1245319599', 'CMS example'],
    ['1003000126', 'a registered individual provider'],
    ['1558444216', 'a registered provider'],
    ['1679576722', 'a registered provider'],
    ['2234567891', 'organisation NPIs start with 2'],
  ])('accepts %s (%s)', (npi) => {
    expect(npiProblem(npi)).toBeNull();
    expect(isValidNpi(npi)).toBe(true);
  });

  it.each([
    ['1234567890', 'NPI check digit is wrong'],
    ['1003000127', 'NPI check digit is wrong'],
    ['1245319598', 'NPI check digit is wrong'],
    ['1123456789', 'NPI check digit is wrong'],
    ['123456789', 'an NPI is exactly 10 digits'],
    ['12345678931', 'an NPI is exactly 10 digits'],
    ['12345678a3', 'an NPI is exactly 10 digits'],
    [' 1234567893', 'an NPI is exactly 10 digits'],
    ['', 'an NPI is exactly 10 digits'],
    ['3234567890', 'an NPI starts with 1 or 2'],
  ])('refuses %j: %s', (npi, reason) => {
    expect(npiProblem(npi)).toBe(reason);
    expect(isValidNpi(npi)).toBe(false);
  });

  it('computes the check digit the CMS way for every last digit', () => {
    expect(npiCheckDigit('123456789')).toBe(3);
    expect(npiCheckDigit('124531959')).toBe(9);
    for (let d = 0; d <= 9; d++) expect(isValidNpi(`100300012${d}`)).toBe(d === 6);
    expect(npiFromNine('155844421')).toBe('1558444216');
  });
});
