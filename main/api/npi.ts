// National Provider Identifier check: 10 digits whose last is a Luhn check digit computed over the prefix
// 80840 and the first nine digits (CMS NPI standard). Part of the contract: consent grantees, credential issuers,
// claims and the access policy all check an NPI the same way (pure, no I/O).

const NPI_PATTERN = /^\d{10}$/;

/** The check digit for the first nine digits of an NPI. */
export function npiCheckDigit(firstNine: string): number {
  // Luhn over "80840" + nine digits: double every second digit from the right, starting with the rightmost.
  // The prefix contributes a constant 24 (8, 0*2, 8, 4*2=8, 0 -> 8+0+8+8+0), so only the nine digits vary.
  let sum = 24;
  for (let i = 0; i < 9; i++) {
    let d = firstNine.charCodeAt(8 - i) - 48;
    if (i % 2 === 0) {
      d *= 2;
      if (d > 9) d -= 9;
    }
    sum += d;
  }
  return (10 - (sum % 10)) % 10;
}

/** Why a value is not a valid NPI, or null when it is one. */
export function npiProblem(value: string): string | null {
  if (!NPI_PATTERN.test(value)) return 'an NPI is exactly 10 digits';
  if (value.charCodeAt(0) !== 49 && value.charCodeAt(0) !== 50) return 'an NPI starts with 1 or 2';
  if (npiCheckDigit(value.slice(0, 9)) !== value.charCodeAt(9) - 48) return 'NPI check digit is wrong';
  return null;
}

export function isValidNpi(value: string): boolean {
  return npiProblem(value) === null;
}

/** A valid NPI from nine digits (test data and the synthetic generator). */
export function npiFromNine(firstNine: string): string {
  return `${firstNine}${npiCheckDigit(firstNine)}`;
}
