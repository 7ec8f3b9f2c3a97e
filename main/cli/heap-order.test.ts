// The CLI gives its main thread's heap back (heap.ts) before the services unwrap the database key: the key's scrypt
// (128 MiB) comes on top of whatever the process holds then, which is the command's peak RSS at start-up (issue #14).
import { describe, expect, it, vi } from 'vitest';

const order: string[] = [];
vi.mock('./heap', () => ({ releaseIdleHeap: vi.fn(() => void order.push('releaseIdleHeap')) }));
vi.mock('../compose/services', () => ({
  startServices: vi.fn(async (options: { dbPassphrase: string | null }) => {
    order.push(`startServices(${options.dbPassphrase})`);
    return { stop: async () => void order.push('stop') };
  }),
}));

const { withServices } = await import('./command');

describe('withServices', () => {
  it('releases the idle heap after reading the passphrase and before starting the services', async () => {
    vi.stubEnv('CUSTODIAN_DB_PASSPHRASE', 'the database passphrase');
    try {
      await withServices('/nonexistent-custodian-folder', async () => void order.push('command'), false);
    } finally {
      vi.unstubAllEnvs();
    }
    expect(order).toEqual(['releaseIdleHeap', 'startServices(the database passphrase)', 'command', 'stop']);
  });
});
