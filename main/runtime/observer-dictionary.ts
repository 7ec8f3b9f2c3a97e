// Test support for the chain-observer privacy test: what a curious observer of the chain would try. Every input of a
// run (NPIs, payer ids, org codes, CPT/ICD-10 codes, dates, amounts, MRNs, pseudonyms, category/purpose codes) is
// turned into every plausible UNKEYED encoding, and every calldata word, topic and log data word is checked against them.
import crypto from 'node:crypto';
import { AbiCoder, keccak256, toBeHex, toUtf8Bytes } from 'ethers';

export type InputKind = 'npi' | 'payer' | 'org' | 'code' | 'date' | 'amount' | 'mrn' | 'pseudonym' | 'category' | 'purpose' | 'claim' | 'credential' | 'document';

export interface DictionaryInput {
  kind: InputKind;
  value: string;
}

/** One encoding of one input: `hex` is searched anywhere in the haystack, `word` only as a whole 32-byte word. */
export interface Needle {
  input: DictionaryInput;
  encoding: string;
  hex?: string;
  word?: string;
}

const coder = AbiCoder.defaultAbiCoder();
const strip = (h: string) => h.toLowerCase().replace(/^0x/, '');
const sha256 = (b: Uint8Array | string) => crypto.createHash('sha256').update(b).digest('hex');
const uintWord = (n: bigint) => strip(toBeHex(BigInt.asUintN(256, n), 32));
const leftWord = (bytes: Buffer) => (bytes.length <= 32 ? bytes.toString('hex').padEnd(64, '0') : undefined);
const DAY = 86_400;
/** Prefixes an identifier is commonly hashed with (the repo's own earlier encodings among them). */
const PREFIXES = ['', 'npi:', 'payer:', 'org:', 'patient:', 'mrn:', 'code:', 'category:', 'purpose:', 'claim:', 'grantee:', 'facility:'];

function dateSeconds(value: string): number | null {
  return /^\d{4}-\d{2}-\d{2}$/.test(value) ? Date.parse(`${value}T00:00:00Z`) / 1000 : null;
}

/** Every encoding of one input. Substrings only for needles of 6 bytes or more (shorter ones are matched as words). */
export function needlesOf(input: DictionaryInput): Needle[] {
  const out: Needle[] = [];
  const v = input.value;
  const variants = new Set([v, v.toLowerCase(), v.toUpperCase(), v.replace(/\./g, '')]);
  for (const x of variants) {
    const utf8 = Buffer.from(x, 'utf8');
    if (utf8.length >= 6) out.push({ input, encoding: `utf8 "${x}"`, hex: utf8.toString('hex') });
    const left = leftWord(utf8);
    if (left) out.push({ input, encoding: `bytes32 "${x}"`, word: left });
    for (const prefix of PREFIXES) {
      const text = `${prefix}${x}`;
      out.push({ input, encoding: `keccak256("${text}")`, hex: strip(keccak256(toUtf8Bytes(text))) });
      out.push({ input, encoding: `sha256("${text}")`, hex: sha256(text) });
    }
    out.push({ input, encoding: `keccak256(abi.encode("${x}"))`, hex: strip(keccak256(coder.encode(['string'], [x]))) });
    out.push({ input, encoding: `sha256(abi.encode("${x}"))`, hex: sha256(Buffer.from(strip(coder.encode(['string'], [x])), 'hex')) });
    if (left) out.push({ input, encoding: `keccak256(bytes32 "${x}")`, hex: strip(keccak256(`0x${left}`)) });
  }
  // A value that is itself hex (a pseudonym, a document hash): as it is, and hashed.
  if (/^0x[0-9a-fA-F]{16,}$/.test(v)) {
    out.push({ input, encoding: 'raw hex', hex: strip(v) });
    out.push({ input, encoding: 'keccak256(raw bytes)', hex: strip(keccak256(v)) });
    out.push({ input, encoding: 'sha256(raw bytes)', hex: sha256(Buffer.from(strip(v), 'hex')) });
  }
  if (/^\d{1,30}$/.test(v)) out.push({ input, encoding: `uint ${v}`, word: uintWord(BigInt(v)) });
  const digits = v.replace(/\D/g, '');
  if (digits.length >= 5 && digits !== v) out.push({ input, encoding: `uint digits ${digits}`, word: uintWord(BigInt(digits)) });
  const seconds = dateSeconds(v);
  if (seconds !== null) {
    for (const [what, s] of [['unix seconds', seconds], ['unix seconds, next day', seconds + DAY], ['unix seconds, day before', seconds - DAY], ['unix seconds, end of day', seconds + DAY - 1]] as const) {
      out.push({ input, encoding: `${what} ${s}`, word: uintWord(BigInt(s)) });
      out.push({ input, encoding: `unix ms ${s * 1000}`, word: uintWord(BigInt(s) * 1000n) });
    }
    for (const d of [seconds / DAY, seconds / DAY + 1]) out.push({ input, encoding: `day number ${d}`, word: uintWord(BigInt(d)) });
    out.push({ input, encoding: 'yyyymmdd', word: uintWord(BigInt(v.replace(/-/g, ''))) });
  }
  if (input.kind === 'amount') {
    const cents = BigInt(Math.round(Number(v) * 100));
    out.push({ input, encoding: `cents ${cents}`, word: uintWord(cents) }, { input, encoding: `dollars ${v}`, word: uintWord(BigInt(Math.floor(Number(v)))) });
    out.push({ input, encoding: `wei-style ${v} * 1e18`, word: uintWord(cents * 10n ** 16n) });
  }
  return out;
}

/** What the observer reads: a transaction's calldata or one log. */
export interface Observed {
  where: string;
  /** Calldata (0x + selector + words) or null for a log. */
  calldata?: string;
  topics?: readonly string[];
  data?: string;
}

export interface Hit {
  where: string;
  input: string;
  encoding: string;
}

function wordsOf(o: Observed): string[] {
  const words: string[] = [];
  if (o.calldata) {
    const h = strip(o.calldata);
    for (let i = 8; i + 64 <= h.length; i += 64) words.push(h.slice(i, i + 64));
  }
  for (const t of o.topics ?? []) words.push(strip(t));
  if (o.data) {
    const h = strip(o.data);
    for (let i = 0; i + 64 <= h.length; i += 64) words.push(h.slice(i, i + 64));
  }
  return words;
}

/** Every needle found in every observation; one hit per (observation, input, encoding). */
export function dictionaryHits(observed: readonly Observed[], inputs: readonly DictionaryInput[]): Hit[] {
  const needles = inputs.flatMap(needlesOf);
  const hits: Hit[] = [];
  for (const o of observed) {
    const hay = [o.calldata ?? '', ...(o.topics ?? []), o.data ?? ''].map(strip).join('|');
    const words = new Set(wordsOf(o));
    for (const n of needles) {
      if ((n.hex && hay.includes(n.hex)) || (n.word && words.has(n.word))) hits.push({ where: o.where, input: `${n.input.kind} ${n.input.value}`, encoding: n.encoding });
    }
  }
  return hits;
}
