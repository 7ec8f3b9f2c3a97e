// The product path never signs with anvil's public dev keys: only the funding step of the devnet and the payer
// tool's default payer name them; everything else that does is a test fixture.
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ANVIL_DEV_KEYS } from './devnet-keys';

const ROOT = path.resolve(__dirname, '..');
/** Product files allowed to name a dev key, and why. */
const ALLOWED = new Map([
  ['chain/devnet-keys.ts', 'defines them'],
  ['chain/devnet.ts', 'funds the folder keys from dev account #0; DEVNET_SIGNER_KEY is exported for test chains'],
  ['claims/cli-commands.ts', "the payer tool's default payer key on the devnet (no role until governance registers it)"],
]);

function productFiles(dir: string): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) return e.name === 'fixtures' ? [] : productFiles(p);
    return /\.tsx?$/.test(e.name) && !/\.test\.tsx?$/.test(e.name) && !/test-support|test-node|test-keychain/.test(e.name) ? [p] : [];
  });
}

describe('dev keys stay out of the product path', () => {
  it('no product module under main/ names anvil dev keys, except the listed ones', () => {
    const hexes = ANVIL_DEV_KEYS.map((k) => k.slice(2).toLowerCase());
    const files = productFiles(ROOT);
    expect(files.length).toBeGreaterThan(100);
    expect(files.map((f) => path.relative(ROOT, f).split(path.sep).join('/'))).toContain('credentials/registry-admin.ts');
    const offenders = files
      .map((f) => path.relative(ROOT, f).split(path.sep).join('/'))
      .filter((rel) => !ALLOWED.has(rel))
      .filter((rel) => {
        const text = fs.readFileSync(path.join(ROOT, rel), 'utf8');
        return /DEVNET_SIGNER_KEY|ANVIL_DEV_KEYS|DEVNET_PAYER_KEY/.test(text) || hexes.some((h) => text.toLowerCase().includes(h));
      });
    expect(offenders).toEqual([]);
  });
});
