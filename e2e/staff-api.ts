// Seeding through the API as a signed-in staff member: what a spec needs on file before the person at the screen
// starts (consents, a claim, a sync round). Every call must answer 200; its value comes back.
import { expect } from '@playwright/test';
import { invokeAs, signedInApi, type CustodianServer, type StaffCredentials } from './fixtures';

export type StaffCall = <T = unknown>(channel: string, input: unknown) => Promise<T>;

/** Signs `who` in, runs `calls` with a `call(channel, input)` that fails the test on any answer but 200, signs out. */
export async function asStaff(server: CustodianServer, who: StaffCredentials, calls: (call: StaffCall) => Promise<void>): Promise<void> {
  const api = await signedInApi(server, who);
  try {
    await calls(async <T,>(channel: string, input: unknown): Promise<T> => {
      const res = await invokeAs(api, server, channel, input);
      expect(res.status(), `${channel}: ${await res.text()}`).toBe(200);
      return ((await res.json()) as { value: T }).value;
    });
  } finally {
    await api.dispose();
  }
}
