// Cold start of the services to "ready": a fresh data folder opened, migrated and answering system.status,
// against the bare cost of opening SQLite; and the embedded chain to "connected" against a bare anvil spawn.
import Database from 'better-sqlite3-multiple-ciphers';
import path from 'node:path';
import { startAnvil } from '../main/chain/anvil';
import { silentLogger } from '../main/runtime/log';
import { startServices } from '../main/compose/services';
import type { Bench, Figure } from './types';

const ms = (start: bigint) => Number(process.hrtime.bigint() - start) / 1e6;

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
}

const bench: Bench = async ({ tmpDir }) => {
  const runs = 5;
  const servicesMs: number[] = [];
  const bareMs: number[] = [];
  for (let i = 0; i < runs; i++) {
    let t = process.hrtime.bigint();
    const raw = new Database(path.join(tmpDir, `bare-${i}.sqlite`));
    raw.prepare('SELECT 1').get();
    raw.close();
    bareMs.push(ms(t));

    t = process.hrtime.bigint();
    const services = await startServices({ dataDir: path.join(tmpDir, `svc-${i}`), runtime: 'cli', logger: silentLogger, config: { chain: { mode: 'none' } } });
    const status = await services.call('system.status', {});
    servicesMs.push(ms(t));
    if (!status.ok) throw new Error(status.error.message);
    await services.stop();
  }

  let t = process.hrtime.bigint();
  const node = await startAnvil({});
  const anvilMs = ms(t);
  await node.stop();

  t = process.hrtime.bigint();
  const chained = await startServices({ dataDir: path.join(tmpDir, 'chain'), runtime: 'cli', logger: silentLogger, waitForChain: true, config: { chain: { mode: 'embedded' } } });
  const firstChainMs = ms(t);
  const connected = chained.chain.current.state === 'connected';
  await chained.stop();

  t = process.hrtime.bigint();
  const again = await startServices({ dataDir: path.join(tmpDir, 'chain'), runtime: 'cli', logger: silentLogger, waitForChain: true, config: { chain: { mode: 'embedded' } } });
  const secondChainMs = ms(t);
  await again.stop();

  const bare = median(bareMs);
  const svc = median(servicesMs);
  const figures: Figure[] = [
    { name: 'services ready (fresh DB, migrated, status answered), median of 5', value: svc, unit: 'ms', baseline: { name: 'bare SQLite open + SELECT 1', value: bare, unit: 'ms' }, ratio: svc / bare },
    {
      name: 'first start with embedded chain (anvil + contract deploy) to connected',
      value: firstChainMs,
      unit: 'ms',
      baseline: { name: 'bare anvil spawn to eth_chainId', value: anvilMs, unit: 'ms' },
      ratio: firstChainMs / anvilMs,
      note: connected ? 'connected' : 'NOT connected',
    },
    { name: 'later start (state file reloaded, no deploy) to connected', value: secondChainMs, unit: 'ms', baseline: { name: 'bare anvil spawn to eth_chainId', value: anvilMs, unit: 'ms' }, ratio: secondChainMs / anvilMs },
  ];
  return figures;
};

export default bench;
