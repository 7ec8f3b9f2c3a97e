// Feeds every API channel random and hostile inputs through the real dispatcher and services: nothing may crash,
// every answer is an ApiResult, and a rejected call writes nothing (the database's change counter stays put).
import fc from 'fast-check';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CHANNEL_NAMES } from '../api';
import { memorySession } from './dispatcher';
import { silentLogger } from './log';
import { startServices, type Services } from '../compose/services';

let dir: string;
let services: Services;
const admin = { id: 'fuzz-admin', name: 'Fuzz admin', role: 'it_admin' as const };
const manager = { id: 'fuzz-manager', name: 'Fuzz manager', role: 'records_manager' as const };

beforeAll(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'custodian-fuzz-'));
  services = await startServices({ dataDir: dir, runtime: 'cli', logger: silentLogger, config: { chain: { mode: 'none' } }, sync: 'manual' });
});
afterAll(async () => {
  await services.stop();
  fs.rmSync(dir, { recursive: true, force: true });
});

const hostileString = fc.oneof(
  fc.string(),
  fc.constantFrom(
    "'; DROP TABLE consents; --",
    '__proto__',
    'constructor',
    '../../../../etc/passwd',
    '/dev/zero',
    '\u0000',
    '=HYPERLINK("http://evil")',
    '<script>alert(1)</script>',
    '0x' + 'f'.repeat(64),
    'x'.repeat(100_000),
    '9999-99-99',
    'NaN',
  ),
);
const hostileValue = fc.letrec((tie) => ({
  value: fc.oneof(
    { depthSize: 'small' },
    hostileString,
    fc.integer(),
    fc.double(),
    fc.constantFrom(null, true, false, Number.MAX_SAFE_INTEGER + 2, -0, 1e308),
    fc.array(tie('value'), { maxLength: 4 }),
    fc.dictionary(fc.oneof(hostileString, fc.constantFrom('__proto__', 'constructor', 'prototype')), tie('value'), { maxKeys: 4 }),
  ),
})).value;

/** Total rows changed on the connection so far: a rejected call must not move it. */
const changes = () => (services.db.prepare('SELECT total_changes() AS n').get() as { n: number }).n;

describe('API fuzzing', () => {
  it('answers every channel with an ApiResult for random inputs, and writes nothing when it rejects one', async () => {
    await fc.assert(
      fc.asyncProperty(fc.constantFrom(...CHANNEL_NAMES), hostileValue, fc.constantFrom(admin, manager), async (channel, input, principal) => {
        const before = changes();
        const result = await services.dispatch(channel, input, { transport: 'browser', principal, session: memorySession() });
        expect(typeof result.ok).toBe('boolean');
        if (!result.ok) {
          expect(typeof result.error.code).toBe('string');
          expect(result.error.message).not.toMatch(/\n\s+at /); // never a stack trace
          if (result.error.code === 'VALIDATION_FAILED') expect(changes(), `${channel} wrote after rejecting its input`).toBe(before);
        }
      }),
      { numRuns: 600, seed: Number(process.env.FUZZ_SEED ?? 20261124) },
    );
  }, 180_000);

  it('rejects hostile channel names without dispatching anything', async () => {
    await fc.assert(
      fc.asyncProperty(hostileString, hostileValue, async (channel, input) => {
        if (CHANNEL_NAMES.includes(channel as (typeof CHANNEL_NAMES)[number])) return;
        const before = changes();
        const result = await services.dispatch(channel, input, { transport: 'electron', principal: admin });
        expect(result).toMatchObject({ ok: false, error: { code: 'UNKNOWN_CHANNEL' } });
        expect(changes()).toBe(before);
      }),
      { numRuns: 300, seed: 7 },
    );
  });

  it('survives a prototype-pollution attempt without polluting Object.prototype', async () => {
    const input = JSON.parse('{"__proto__": {"polluted": true}, "constructor": {"prototype": {"polluted": true}}}');
    for (const channel of CHANNEL_NAMES) await services.dispatch(channel, input, { transport: 'browser', principal: admin });
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });
});
