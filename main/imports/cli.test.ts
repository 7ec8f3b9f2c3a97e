// `custodian import consents` as an IT admin runs it: a real process per command (CUSTODIAN_CHAIN=none), exit
// codes, the summary and rejects path; and a process killed at a random point mid-import, then resumed, ends
// with exactly the rows and table checksum of a clean run.
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readFacilitySecret, replaceFacilitySecret } from '../consents/pseudonym';
import { consentsChecksum, tempDir, testData } from '../consents/test-support';
import { silentLogger } from '../runtime/log';
import { startServices } from '../compose/services';
import { generateConsentsCsv } from '../../scripts/generate-consents';
import { csvText, HEADER, importFile, line } from './test-support';
import { cliSetUp, runCli, type CliOptions, type CliRun } from './cli-process-test-support';

let dir: string;
let dataDir: string;

const custodian = (args: string[], options: CliOptions & { data?: string } = {}): Promise<CliRun> => runCli(options.data ?? dataDir, args, options);

beforeAll(async () => {
  dir = tempDir('custodian-cli-');
  dataDir = path.join(dir, 'data');
  await cliSetUp(dataDir);
});
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

describe('custodian import consents', () => {
  it('imports good rows, reports rejected ones with the rejects file, and exits 0', async () => {
    const file = path.join(dir, 'mixed.csv');
    fs.writeFileSync(file, csvText([line(), line({ external_id: 'C-2', grantee: '1234567890' }), line({ external_id: 'C-3', category: 'HIV' })]));
    const r = await custodian(['import', 'consents', file]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/Imported mixed\.csv \(csv\): succeeded/);
    expect(r.stdout).toMatch(/accepted: +2/);
    expect(r.stdout).toMatch(/rejected: +1 \(rows and reasons in .*run-\d+-rejects\.csv\)/);
    expect(r.stdout).toMatch(/row 2: grantee: NPI check digit is wrong/);
    expect(r.stdout).toMatch(/consent rows written: 2/);
    // Progress lines only once rows were read: never a stray "0 rows, 0 rows/s, ETA ?".
    expect(r.stderr).not.toMatch(/^0 rows/m);
    const rejects = /Rejects file: (.*)/.exec(r.stdout)![1]!;
    expect(fs.readFileSync(rejects, 'utf8')).toMatch(/NPI check digit is wrong/);

    const again = await custodian(['import', 'consents', file, '--dry-run', '--json']);
    expect(again.code).toBe(0);
    expect(JSON.parse(again.stdout)).toMatchObject({ dryRun: true, accepted: 0, duplicate: 2, rejected: 1 });
  });

  it('exits 1 with the error code on a fatal error: a misspelled header, a missing file, a bad format flag', async () => {
    const file = path.join(dir, 'typo.csv');
    fs.writeFileSync(file, `${HEADER.replace('mrn', 'mrm')}\n${line()}\n`);
    const typo = await custodian(['import', 'consents', file]);
    expect(typo.code).toBe(1);
    expect(typo.stderr).toMatch(/\[IMPORT_HEADER_MISSING\] Import run \d+ failed: The header is missing required column mrn \(found "mrm": misspelled\?\)/);
    const missing = await custodian(['import', 'consents', path.join(dir, 'nope.csv')]);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toMatch(/\[IMPORT_FILE_NOT_FOUND\]/);
    const format = await custodian(['import', 'consents', file, '--format', 'xml']);
    expect(format.code).toBe(1);
    expect(format.stderr).toMatch(/--format must be csv or fhir/);
  });

  it('reads FHIR with --format fhir', async () => {
    const file = path.join(dir, 'consents.txt');
    fs.writeFileSync(file, '{"resourceType":"Patient"}\n');
    const r = await custodian(['import', 'consents', file, '--format', 'fhir']);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/\(fhir\): succeeded[\s\S]*rejected: +1[\s\S]*row 1: resource: is a Patient, not a Consent/);
  });

  it('killed at a random point, then resumed: exactly the rows and checksum of a clean run', async () => {
    const data = path.join(dir, 'killed');
    await cliSetUp(data);
    const file = path.join(dir, 'big.csv');
    generateConsentsCsv(file, { rows: 120_000, seed: 7 });
    // Progress lines come per committed chunk (20,000 rows), at most one a second.
    const killAt = 1_000 + Math.floor(Math.random() * 40_000);
    const killed = await custodian(['import', 'consents', file], {
      data,
      onStderr: (text, kill) => {
        const done = [...text.matchAll(/^([\d,]+) \/ ~[\d,]+ rows, [\d,]+ rows\/s, ETA \S+, [\d,]+ rejected$/gm)].map((m) => Number(m[1]!.replace(/,/g, '')));
        if (done.length && done.at(-1)! >= killAt) kill();
      },
    });
    expect(killed.signal, `the import finished before row ${killAt}: ${killed.stderr}`).toBe('SIGKILL');

    // What the IT admin does next, from the CLI alone: list the runs, then resume the one that can be.
    const runs = await custodian(['import', 'runs'], { data });
    expect(runs, runs.stderr).toMatchObject({ code: 0 });
    expect(runs.stdout).toMatch(/^run 1  consents  interrupted .*big\.csv \(csv\).*\(can be resumed\)$/m);
    expect(runs.stdout).toContain('Resume with: custodian import resume 1');
    const resumed = await custodian(['import', 'resume', '1'], { data });
    expect(resumed, resumed.stderr).toMatchObject({ code: 0 });
    expect(resumed.stdout).toMatch(/^Imported big\.csv \(csv\): succeeded$/m);
    expect(resumed.stdout).toMatch(/rows read: +120,000$/m);
    // A finished run is not resumed twice: the channel's own refusal, as a named error and exit 1.
    const again = await custodian(['import', 'resume', '1'], { data });
    expect(again.code).toBe(1);
    expect(again.stderr).toMatch(/CONFLICT.*succeeded; only an interrupted or failed job can be resumed/);

    const services = await startServices({ dataDir: data, runtime: 'cli', sync: 'manual', logger: silentLogger, config: { chain: { mode: 'none' } } });
    try {

      const clean = testData('custodian-cli-clean-');
      try {
        // The same facility secret, read through the started services (the file is sealed under the folder's key: a copy of it would not open).
        replaceFacilitySecret(clean.dir, readFacilitySecret(data)!);
        const reference = await importFile(clean, file, { chunkRows: 20_000 });
        const run = JSON.parse(services.db.prepare('SELECT counts FROM import_runs WHERE id = 1').pluck().get() as string) as unknown;
        expect(run).toEqual({ rows_read: reference.rows_read, accepted: reference.accepted, updated: reference.updated, rejected: reference.rejected, duplicate: reference.duplicate, consents_written: reference.consents_written });
        expect(consentsChecksum(services.db)).toEqual(consentsChecksum(clean.db));
        expect(services.db.prepare('SELECT count(*) AS n FROM outbox').get()).toEqual(clean.db.prepare('SELECT count(*) AS n FROM outbox').get());
        const rejects = (services.db.prepare('SELECT rejects_path FROM import_runs WHERE id = 1').get() as { rejects_path: string }).rejects_path;
        expect(fs.readFileSync(rejects, 'utf8')).toBe(fs.readFileSync(reference.rejectsPath, 'utf8'));
      } finally {
        clean.cleanup();
      }
    } finally {
      await services.stop();
    }
    // A hang guard, not a speed claim: three real processes and two 120,000-row imports took 362 s in a full run
    // with a CPU burner and four benchmarking helpers beside it.
  }, 900_000);
});
