// The roster import against a real SQLite file: per-row errors naming row, column and reason in a rejects file,
// no good row lost to a bad one, duplicates reported, the same file twice adds nothing, and cancel + resume.
import fs from 'node:fs';
import path from 'node:path';
import { Wallet } from 'ethers';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AppError } from '../api/errors';
import type { Db } from '../db/connection';
import type { ImportHooks } from '../imports/pipeline';
import type { SignedCredential } from './document';
import { credentialDomain } from './eip712';
import { ROSTER_COLUMNS } from './roster';
import { createRosterRun, runRosterImport, type RosterSummary } from './roster-import';
import { openTestDb, signTestCredential, tempDir, TEST_NPIS } from './test-support';

const issuer = new Wallet('0x59c6995e998f97a5a0044966f0945389dc9e86dae88c7a8412f4603b6b78690d');
const ours = credentialDomain(31337, '0x5FbDB2315678afecb367f032d93F642f64180aa3');
let dir: string;
let db: Db;
const creds: SignedCredential[] = [];

const q = (v: string) => (/[",\n]/.test(v) ? `"${v.replace(/"/g, '""')}"` : v);
function line(name: string, c: SignedCredential | null, patch: Partial<Record<(typeof ROSTER_COLUMNS)[number], string>> = {}, npi = c?.fields.npi ?? ''): string {
  const base: Record<string, string> = {
    npi,
    name,
    organization: 'General Hospital',
    specialty: 'Cardiology',
    credential_type: c?.fields.credentialType ?? '',
    jurisdiction: c?.fields.jurisdiction ?? '',
    number: c?.fields.number ?? '',
    valid_from: c?.fields.validFrom ?? '',
    valid_until: c?.fields.validUntil ?? '',
    issuer: c?.fields.issuer ?? '',
    signature: c?.signature ?? '',
    chain_id: '',
    registry: '',
    ...patch,
  };
  return ROSTER_COLUMNS.map((k) => q(base[k] ?? '')).join(',');
}

function writeRoster(name: string, lines: string[]): string {
  const file = path.join(dir, name);
  fs.writeFileSync(file, `${ROSTER_COLUMNS.join(',')}\n${lines.join('\n')}\n`);
  return file;
}

function hooks(checkpoint: unknown = null, cancelAfterChunks = Infinity): ImportHooks & { saved: unknown; reports: number } {
  let chunks = 0;
  const h = {
    checkpoint,
    saved: null as unknown,
    reports: 0,
    saveCheckpoint(cp: unknown) {
      h.saved = cp;
      chunks++;
    },
    report() {
      h.reports++;
    },
    get cancelled() {
      return chunks >= cancelAfterChunks;
    },
  };
  return h;
}

async function importFile(file: string, opts: { chunkRows?: number } = {}): Promise<RosterSummary> {
  const run = createRosterRun(db, file, 'tester');
  return runRosterImport(db, run.id, hooks(), { domain: ours, dataDir: dir, chunkRows: opts.chunkRows ?? 2 });
}

const count = (table: string) => (db.prepare(`SELECT count(*) AS n FROM ${table}`).get() as { n: number }).n;

beforeAll(async () => {
  dir = tempDir();
  db = openTestDb(dir);
  for (const [i, npi] of TEST_NPIS.entries()) creds.push(await signTestCredential(issuer, ours, { npi, number: `MD-${i}`, validFrom: '2024-01-01', validUntil: '2028-12-31' }));
  creds.push(await signTestCredential(issuer, ours, { npi: TEST_NPIS[0], credentialType: 'dea_registration', number: 'DEA-1' }));
});
afterAll(() => {
  db.close();
  fs.rmSync(dir, { recursive: true, force: true });
});

describe('runRosterImport', () => {
  it('imports good rows around bad ones, reports each bad row, and counts duplicates', async () => {
    const [a, b, c, d, e, aDea] = creds as [SignedCredential, SignedCredential, SignedCredential, SignedCredential, SignedCredential, SignedCredential];
    const foreign = await signTestCredential(issuer, credentialDomain(1, ours.verifyingContract), { npi: TEST_NPIS[4], number: 'X-1' });
    const file = writeRoster('roster.csv', [
      line('Dr Ada', a), //                                                   row 1: ok
      line('Dr Ada', aDea), //                                                row 2: ok (second credential, same provider)
      line('Dr Bo', b, { npi: '1234567890' }), //                              row 3: invalid NPI
      line('Dr Cy', c, { valid_until: '12/31/2028' }), //                      row 4: date format
      line('Dr Cy', c), //                                                    row 5: ok
      line('Dr Di', d, { number: 'MD-99' }), //                               row 6: tampered after signing
      line('Dr Ada', a), //                                                   row 7: repeats row 1
      line('Dr Ada Smith', null, {}, TEST_NPIS[0]), //                         row 8: name differs from row 1
      line('Dr Eve', foreign, { chain_id: '1', registry: ours.verifyingContract }), // row 9: replay from chain 1
      line('Dr Eve', e, { signature: '' }), //                                 row 10: missing signature
      line('Dr Eve', null, {}, TEST_NPIS[4]), //                               row 11: ok, provider only
      line('Dr Bo', b), //                                                    row 12: ok
    ]);
    const s = await importFile(file, { chunkRows: 3 });
    expect(s).toMatchObject({ outcome: 'succeeded', rows_read: 12, providers_added: 4, providers_updated: 0, credentials_added: 4, duplicate: 1, rejected: 6 });
    expect(s.sampleDuplicates).toEqual([{ row: 7, reason: 'repeats the credential of row 1' }]);
    expect(s.sampleRejects).toEqual([
      { row: 3, reason: 'npi: NPI check digit is wrong' },
      { row: 4, reason: 'valid_until: must be a date written YYYY-MM-DD, got "12/31/2028"' },
      { row: 6, reason: expect.stringMatching(/^signature: does not recover to the issuer: a field was changed after signing/) },
      { row: 8, reason: 'name: differs from row 1 for the same NPI; the earlier row was kept' },
      { row: 9, reason: expect.stringMatching(/^chain_id: the credential was signed for chain id 1, not this workstation's \(chain id 31337\): refused as a replay/) },
      { row: 10, reason: expect.stringMatching(/^signature: is missing/) },
    ]);
    expect(count('providers')).toBe(4);
    expect(count('credentials')).toBe(4);

    const rejects = fs.readFileSync(s.rejectsPath, 'utf8').trim().split(/\r?\n/);
    expect(rejects[0]).toBe(`${ROSTER_COLUMNS.join(',')},reject_row,reject_line,reject_reason`);
    expect(rejects).toHaveLength(7);
    expect(rejects[1]).toMatch(/^1234567890,Dr Bo,.*,3,4,npi: NPI check digit is wrong$/);
  });

  it('adds nothing when the same file is imported again', async () => {
    const file = path.join(dir, 'roster.csv');
    const before = { providers: count('providers'), credentials: count('credentials'), checks: count('credential_checks') };
    const s = await importFile(file);
    expect(s).toMatchObject({ rows_read: 12, providers_added: 0, providers_updated: 0, credentials_added: 0, duplicate: 6, rejected: 6 });
    expect(s.sampleDuplicates.map((d) => d.reason)).toContain('the credential is already in the directory');
    expect({ providers: count('providers'), credentials: count('credentials'), checks: count('credential_checks') }).toEqual(before);
  });

  it('updates a provider whose details changed in a later roster', async () => {
    const file = writeRoster('moved.csv', [line('Dr Ada', creds[0]!, { organization: 'North Clinic' })]);
    const s = await importFile(file);
    expect(s).toMatchObject({ providers_updated: 1, credentials_added: 0, duplicate: 0 });
    expect(db.prepare('SELECT organization FROM providers WHERE npi = ?').get(TEST_NPIS[0])).toEqual({ organization: 'North Clinic' });
  });

  it('stops at a header without the required columns, naming them', async () => {
    const file = path.join(dir, 'bad-header.csv');
    fs.writeFileSync(file, 'npi,full_name,license\n1234567893,Ada,A1\n');
    const run = createRosterRun(db, file, 'tester');
    await expect(runRosterImport(db, run.id, hooks(), { domain: ours, dataDir: dir })).rejects.toMatchObject({ code: 'ROSTER_HEADER_MISSING', message: expect.stringMatching(/missing column name/) });
    expect(db.prepare('SELECT outcome FROM import_runs WHERE id = ?').get(run.id)).toEqual({ outcome: 'failed' });
  });

  it('stops at a quote that is never closed, naming the line', async () => {
    const file = writeRoster('unclosed.csv', [line('Dr Ada', creds[0]!), `${TEST_NPIS[1]},"Dr Bo`]);
    const run = createRosterRun(db, file, 'tester');
    await expect(runRosterImport(db, run.id, hooks(), { domain: ours, dataDir: dir })).rejects.toMatchObject({ code: 'IMPORT_CSV_MALFORMED', message: expect.stringMatching(/^Line 3: a quoted field is never closed/) });
  });

  it('refuses an empty or missing file up front', () => {
    fs.writeFileSync(path.join(dir, 'empty.csv'), '');
    expect(() => createRosterRun(db, path.join(dir, 'empty.csv'), 't')).toThrow(AppError);
    expect(() => createRosterRun(db, path.join(dir, 'nope.csv'), 't')).toThrow(/There is no file/);
  });

  it('resumes a cancelled import from its checkpoint with the same result as one run', async () => {
    const fresh = await Promise.all(
      Array.from({ length: 9 }, async (_, i) => signTestCredential(issuer, ours, { npi: TEST_NPIS[i % 5]!, credentialType: 'board_certification', number: `BC-${i}` })),
    );
    // Batches end where a 1 MB read ends: an ignored 300 kB notes column spreads 9 rows over several reads.
    const notes = 'n'.repeat(300_000);
    const file = path.join(dir, 'resume.csv');
    fs.writeFileSync(file, `${ROSTER_COLUMNS.join(',')},notes\n${fresh.map((c) => `${line(`Dr ${c.fields.npi}`, c, { organization: 'Resume Clinic', specialty: '' })},${notes}`).join('\n')}\n`);
    const run = createRosterRun(db, file, 'tester');
    const first = hooks(null, 1);
    const partial = await runRosterImport(db, run.id, first, { domain: ours, dataDir: dir, chunkRows: 2 });
    expect(partial.outcome).toBe('cancelled');
    expect(partial.rows_read).toBeGreaterThan(0);
    expect(partial.rows_read).toBeLessThan(9);
    expect(partial.ignoredColumns).toEqual(['notes']);
    const rest = await runRosterImport(db, run.id, hooks(first.saved), { domain: ours, dataDir: dir, chunkRows: 2 });
    expect(rest).toMatchObject({ outcome: 'succeeded', rows_read: 9, credentials_added: 9, rejected: 0 });
    expect(rest.fileHash).toMatch(/^0x[0-9a-f]{64}$/);
  });
});

describe('a credential past its dates is marked at import', () => {
  it('an expired credential reads "expired" at once (not "not checked yet"); one in its window stays unchecked until verified', async () => {
    const expired = await signTestCredential(issuer, ours, { npi: TEST_NPIS[3], number: 'OLD-1', validFrom: '2019-01-01', validUntil: '2020-12-31' });
    const future = await signTestCredential(issuer, ours, { npi: TEST_NPIS[3], number: 'NEW-1', validFrom: '2199-01-01', validUntil: '2199-12-31' });
    const current = await signTestCredential(issuer, ours, { npi: TEST_NPIS[3], number: 'NOW-1', validFrom: '2024-01-01', validUntil: '2198-12-31' });
    const s = await importFile(writeRoster('dated.csv', [line('Dr Di', expired), line('Dr Di', future), line('Dr Di', current)]));
    expect(s).toMatchObject({ outcome: 'succeeded', rejected: 0 });
    const verdict = (hash: string) => db.prepare('SELECT verdict, reason FROM credentials WHERE credential_hash = ?').get(hash) as { verdict: string | null; reason: string | null };
    expect(verdict(expired.hash)).toMatchObject({ verdict: 'expired', reason: expect.stringMatching(/^Expired: valid until 2020-12-31/) });
    expect(verdict(future.hash)).toMatchObject({ verdict: 'not_yet_valid' });
    expect(verdict(current.hash)).toMatchObject({ verdict: null });
    // The finding is on the credential's trail like any check.
    const trail = db.prepare('SELECT c.verdict, c.trigger FROM credential_checks c JOIN credentials k ON k.id = c.credential_id WHERE k.credential_hash = ?').all(expired.hash);
    expect(trail).toEqual([{ verdict: 'expired', trigger: 'bulk' }]);
  });
});

// What the consent import was fixed for, now shared by the roster import through the import framework: each
// test is a hostile or broken file a sender could hand us.
describe('roster import on the shared import framework', () => {
  const header = ROSTER_COLUMNS.join(',');
  const runOf = (id: number) => db.prepare('SELECT rows_read, rejected, outcome, error_code, error, file_hash FROM import_runs WHERE id = ?').get(id) as Record<string, unknown>;

  it('an unclosed quote stops at its line after committing the valid rows before it (none swallowed into a cell)', async () => {
    const [, b, c] = creds as SignedCredential[];
    const file = path.join(dir, 'unclosed-late.csv');
    fs.writeFileSync(file, `${header}\n${line('Dr Bo', b!)}\n${line('Dr Cy', c!)}\n${TEST_NPIS[3]},"Dr Di\n${line('Dr Eve', null, {}, TEST_NPIS[4])}\n`);
    const run = createRosterRun(db, file, 'tester');
    const before = count('credentials');
    await expect(runRosterImport(db, run.id, hooks(), { domain: ours, dataDir: dir, chunkRows: 1 })).rejects.toMatchObject({ code: 'IMPORT_CSV_MALFORMED', message: expect.stringMatching(/^Line 4: /) });
    // The two rows before the bad line are stored and counted; the run says why it stopped.
    expect(runOf(run.id)).toMatchObject({ rows_read: 2, rejected: 0, outcome: 'failed', error_code: 'IMPORT_CSV_MALFORMED', error: expect.stringMatching(/^Line 4: /) });
    expect(count('credentials')).toBeGreaterThanOrEqual(before);
    const stored = db.prepare('SELECT count(*) AS n FROM credentials WHERE import_run_id = ? OR credential_hash IN (?, ?)').get(run.id, b!.hash, c!.hash) as { n: number };
    expect(stored.n).toBe(2);
  });

  it('reads a CRLF header over LF rows (and a CR-only row) as one row each, rejecting none', async () => {
    const file = path.join(dir, 'mixed-endings.csv');
    fs.writeFileSync(file, `${header}\r\n${line('Dr Ada', null, {}, TEST_NPIS[0])}\n${line('Dr Bo', null, {}, TEST_NPIS[1])}\r${line('Dr Cy', null, {}, TEST_NPIS[2])}\n`);
    const run = createRosterRun(db, file, 'tester');
    const s = await runRosterImport(db, run.id, hooks(), { domain: ours, dataDir: dir });
    expect(s).toMatchObject({ outcome: 'succeeded', rows_read: 3, rejected: 0 });
  });

  it('neutralises formula cells in its rejects file, after leading spaces too', async () => {
    const file = writeRoster('formula.csv', [line('=HYPERLINK("http://x")', null, { organization: '  +SUM(A1)' }, '1234567890'), line(' @cmd', null, { specialty: '-2+3' }, 'bad')]);
    const s = await importFile(file);
    expect(s.rejected).toBe(2);
    const text = fs.readFileSync(s.rejectsPath, 'utf8');
    expect(text).toContain(`"'=HYPERLINK(""http://x"")"`);
    expect(text).toContain("'  +SUM(A1)");
    expect(text).toContain("' @cmd");
    expect(text).toContain("'-2+3");
    expect(text).not.toMatch(/(^|,)\s*[=+@-]/m);
  });

  it('refuses a name with a right-to-left override, and keeps the control out of the directory', async () => {
    const file = writeRoster('bidi.csv', [line('Dr Ada \u202Egnp.exe', null, {}, TEST_NPIS[1])]);
    const s = await importFile(file);
    expect(s.sampleRejects).toEqual([{ row: 1, reason: expect.stringMatching(/^name: .*U\+202E/) }]);
    expect(db.prepare("SELECT count(*) AS n FROM providers WHERE name LIKE '%' || char(0x202E) || '%'").get()).toEqual({ n: 0 });
  });

  it('counts add up: every row read is rejected (one line each in the rejects file), a duplicate, or added something', async () => {
    const [a, b] = creds as SignedCredential[];
    const file = writeRoster('add-up.csv', [line('Dr Ada', a!), line('Dr Ada', a!), line('x', null, {}, '123'), line('Dr Bo', b!, { valid_from: 'soon' })]);
    const s = await importFile(file);
    const rejectLines = fs.readFileSync(s.rejectsPath, 'utf8').trim().split(/\r\n/).length - 1;
    expect(rejectLines).toBe(s.rejected);
    expect(s.rows_read).toBe(4);
    expect(s.rejected + s.duplicate).toBeLessThanOrEqual(s.rows_read);
  });

  it('refuses to resume when the file changed since the run started', async () => {
    const file = writeRoster('changed.csv', [line('Dr Ada', null, {}, TEST_NPIS[0]), line('Dr Bo', null, {}, TEST_NPIS[1]), line('Dr Cy', null, {}, TEST_NPIS[2])]);
    const run = createRosterRun(db, file, 'tester');
    const first = hooks(null, 1);
    await runRosterImport(db, run.id, first, { domain: ours, dataDir: dir, chunkRows: 1 });
    fs.appendFileSync(file, `${line('Dr Di', null, {}, TEST_NPIS[3])}\n`);
    await expect(runRosterImport(db, run.id, hooks(first.saved), { domain: ours, dataDir: dir, chunkRows: 1 })).rejects.toMatchObject({ code: 'IMPORT_FILE_CHANGED' });
  });

  it('a dry run resolves every row as the import would and stores nothing', async () => {
    const fresh = await Promise.all([0, 1, 2].map((i) => signTestCredential(issuer, ours, { npi: TEST_NPIS[i]!, credentialType: 'hospital_privileges', number: `DRY-${i}` })));
    const file = writeRoster('dry.csv', [line('Dr Ada', fresh[0]!), line('Dr Ada', fresh[0]!), line('Dr New', null, {}, '1558444216'), line('Dr Bo', fresh[1]!, { number: 'TAMPERED' }), line('Dr Cy', fresh[2]!)]);
    const before = { providers: count('providers'), credentials: count('credentials'), checks: count('credential_checks') };
    const dryRun = createRosterRun(db, file, 'tester', true);
    const dry = await runRosterImport(db, dryRun.id, hooks(), { domain: ours, dataDir: dir, chunkRows: 2 });
    expect({ providers: count('providers'), credentials: count('credentials'), checks: count('credential_checks') }).toEqual(before);
    expect(dry.dryRun).toBe(true);
    const real = await runRosterImport(db, createRosterRun(db, file, 'tester').id, hooks(), { domain: ours, dataDir: dir, chunkRows: 2 });
    const pick = (s: RosterSummary) => ({ rows_read: s.rows_read, providers_added: s.providers_added, providers_updated: s.providers_updated, credentials_added: s.credentials_added, duplicate: s.duplicate, rejected: s.rejected, rejects: s.sampleRejects, dups: s.sampleDuplicates });
    expect(pick(dry)).toEqual(pick(real));
    expect(real.credentials_added).toBe(2);
    expect(db.prepare('SELECT dry_run, outcome FROM import_runs WHERE id = ?').get(dryRun.id)).toEqual({ dry_run: 1, outcome: 'succeeded' });
  });
});
