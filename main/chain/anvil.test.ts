// anvil.ts against the real binary: locating it, free ports, readiness, and stopping by PID.
import { afterEach, describe, expect, it } from 'vitest';
import { AppError } from '../api/errors';
import { findAnvilBinary, startAnvil, type AnvilNode } from './anvil';
import { startTwoNodes } from './test-support';

const started: AnvilNode[] = [];
afterEach(async () => {
  await Promise.all(started.splice(0).map((n) => n.stop()));
  delete process.env.CUSTODIAN_ANVIL_BIN;
});

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

describe('findAnvilBinary', () => {
  it('finds the platform package binary, and honours CUSTODIAN_ANVIL_BIN', () => {
    const found = findAnvilBinary();
    expect(found).toMatch(/@foundry-rs[\\/]anvil-[a-z0-9]+-[a-z0-9]+[\\/]bin[\\/]anvil(\.exe)?$/);
    process.env.CUSTODIAN_ANVIL_BIN = found;
    expect(findAnvilBinary()).toBe(found);
  });

  it('fails with ANVIL_NOT_FOUND naming the env var when the override does not exist', () => {
    process.env.CUSTODIAN_ANVIL_BIN = '/nonexistent/anvil';
    let caught: unknown;
    try {
      findAnvilBinary();
    } catch (err) {
      caught = err;
    }
    expect(caught).toBeInstanceOf(AppError);
    expect((caught as AppError).code).toBe('ANVIL_NOT_FOUND');
    expect((caught as AppError).message).toContain('CUSTODIAN_ANVIL_BIN');
  });
});

describe('startAnvil', () => {
  it('starts two nodes on distinct free ports with the asked chain id, and stop ends the process', async () => {
    const [a, b] = await startTwoNodes(startAnvil, started);

    await a.stop();
    await a.stop(); // a second stop is harmless
    expect(isAlive(a.pid)).toBe(false);
    expect(isAlive(b.pid)).toBe(true);
  });

  it('reports a taken port as ANVIL_PORT_IN_USE when the port was given explicitly', async () => {
    const first = await startAnvil();
    started.push(first);
    await expect(startAnvil({ port: first.port })).rejects.toMatchObject({ code: 'ANVIL_PORT_IN_USE' });
  });
});

describe('anvil as a browser page would reach it', () => {
  it('attacker: a request with an Origin header (and its CORS preflight) gets no Access-Control-Allow-Origin', async () => {
    const node = await startAnvil();
    started.push(node);
    const body = JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'eth_chainId', params: [] });
    const origin = 'https://evil.example';
    const post = await fetch(node.rpcUrl, { method: 'POST', headers: { 'content-type': 'application/json', origin }, body });
    expect(post.headers.get('access-control-allow-origin')).toBeNull();
    const preflight = await fetch(node.rpcUrl, { method: 'OPTIONS', headers: { origin, 'access-control-request-method': 'POST', 'access-control-request-headers': 'content-type' } });
    expect(preflight.headers.get('access-control-allow-origin')).toBeNull();
    expect(preflight.headers.get('access-control-allow-methods')).toBeNull();
  });
});
