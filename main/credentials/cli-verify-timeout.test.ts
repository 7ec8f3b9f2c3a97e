// `custodian credentials verify FILE` as a real process against a real anvil that stops answering (SIGSTOP, always
// SIGCONT in finally): paused the moment the CLI first reads the registry, it exits 1 with CHAIN_TIMEOUT naming what
// could not be done and what to do, instead of hanging; paused before it starts, it answers "unverified (offline)"
// from the record (exit 3, `cached` in --json), never "verified". A hang guard kills the process; nothing is timed.
import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { Wallet } from 'ethers';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { VerificationResult } from '../api/credentials';
import { cliSetUp, runCli, type CliRun } from '../imports/cli-process-test-support';
import { toCredentialDocument } from './document';
import { credentialDomain } from './eip712';
import { signTestCredential, startRegistryChain, tempDir, type RegistryChain } from './test-support';

/** Far above the CLI's own limits (a 5 s probe, an 8 s call) on a loaded machine: only a hang reaches it. */
const HANG_GUARD_MS = 150_000;

let chain: RegistryChain;
let dir: string;
let dataDir: string;
let file: string;
let proxy: http.Server;
let proxyUrl: string;
/** When set, the proxy pauses the node as the first eth_call (a registry read) passes through it. */
let pauseOnCall = false;
let paused = false;

function pause(): void {
  process.kill(chain.node.pid, 'SIGSTOP');
  paused = true;
}
function resume(): void {
  if (!paused) return;
  process.kill(chain.node.pid, 'SIGCONT');
  paused = false;
}

/** Forwards JSON-RPC to the node; with pauseOnCall, stops the node just before the first registry read reaches it. */
function startProxy(target: string): Promise<http.Server> {
  const server = http.createServer((req, res) => {
    let body = '';
    req.on('data', (d) => (body += d));
    req.on('end', () => {
      if (pauseOnCall && !paused && body.includes('"eth_call"')) pause();
      fetch(target, { method: 'POST', headers: { 'content-type': 'application/json' }, body })
        .then(async (r) => res.writeHead(r.status, { 'content-type': 'application/json' }).end(await r.text()))
        .catch(() => res.destroy());
    });
  });
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve(server)));
}

const verify = (rpcUrl: string, json = false): Promise<CliRun> =>
  runCli(dataDir, ['credentials', 'verify', file, ...(json ? ['--json'] : [])], {
    env: { CUSTODIAN_RPC_URL: rpcUrl, CUSTODIAN_CHAIN_ID: String(chain.chainId), CUSTODIAN_CONTRACTS: JSON.stringify(chain.contracts) },
    killAfterMs: HANG_GUARD_MS,
  });

beforeAll(async () => {
  chain = await startRegistryChain();
  const issuer = Wallet.createRandom();
  await chain.registerIssuer(issuer.address, 'State Medical Board');
  const signed = await signTestCredential(issuer, credentialDomain(chain.chainId, chain.contracts.CredentialRegistry), { validFrom: '2024-01-01', validUntil: '2099-12-31' });
  await chain.setStatuses([{ hash: signed.hash, status: 'active', validUntil: signed.fields.validUntil, issuer }]);
  dir = tempDir('custodian-cli-verify-timeout-');
  dataDir = path.join(dir, 'data');
  file = path.join(dir, 'credential.json');
  fs.writeFileSync(file, JSON.stringify(toCredentialDocument(signed)));
  proxy = await startProxy(chain.node.rpcUrl);
  proxyUrl = `http://127.0.0.1:${(proxy.address() as AddressInfo).port}`;
  await cliSetUp(dataDir);
}, 240_000);

afterAll(async () => {
  resume();
  proxy?.closeAllConnections();
  await new Promise((r) => (proxy ? proxy.close(r) : r(null)));
  await chain?.stop();
  fs.rmSync(dir, { recursive: true, force: true });
});

describe('custodian credentials verify against a node that stops answering', () => {
  it('verifies the document while the node answers (exit 0)', async () => {
    const r = await verify(proxyUrl);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/^Verdict: {4}Verified\n/);
  });

  it('paused as the CLI reads the registry: exits 1 with CHAIN_TIMEOUT naming what failed and what to do, not a hang', async () => {
    pauseOnCall = true;
    let r: CliRun;
    try {
      r = await verify(proxyUrl);
    } finally {
      pauseOnCall = false;
      resume();
    }
    expect(paused).toBe(false);
    expect(r.signal, 'killed by the hang guard').toBeNull();
    expect(r.code).toBe(1);
    expect(r.stdout).toBe('');
    expect(r.stderr).toMatch(
      new RegExp(`custodian: \\[CHAIN_TIMEOUT\\] The chain node at ${proxyUrl.replace(/[.]/g, '\\.')} did not answer within 8 s, so this workstation could not (check a credential document|reach the credential registry)\\. The node may be stopped or paused: check that it runs, then try again once the chain shows connected \\(the status bar, or \`custodian status\`\\)`),
    );
  });

  it('paused before it starts: answers "unverified (offline)" from the record (exit 3, cached), never "verified"', async () => {
    pause();
    let r: CliRun;
    try {
      r = await verify(chain.node.rpcUrl, true);
    } finally {
      resume();
    }
    expect(r.signal, 'killed by the hang guard').toBeNull();
    expect(r.code, r.stderr).toBe(3);
    const result = JSON.parse(r.stdout) as VerificationResult;
    expect(result).toMatchObject({ verdict: 'unverified_offline', chain: null, cached: { lastVerifiedAt: null, ageSeconds: null } });
    expect(r.stderr).toMatch(/\[CREDENTIAL_UNVERIFIED_OFFLINE\] The registry could not be reached \(chain offline: no answer within 5 s\); never verified\./);
    expect(r.stderr).toMatch(/the chain did not answer, so this rests on no verification on record \(never verified\), not on the registry\. Check that the node runs, then run this again once `custodian status` shows the chain connected\./);
  });
});
