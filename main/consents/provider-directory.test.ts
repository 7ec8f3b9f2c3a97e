// The provider-directory port fails closed in a thread where the composition root did not hand it in: a search (and
// so a bulk revoke's selection) never silently finds fewer consents than the directory would.
import { describe, expect, it } from 'vitest';
import { installProviderDirectory, providerDirectory, type ProviderDirectory } from './provider-directory';

describe('provider directory port', () => {
  it('refuses to answer before it is installed, then answers with what was handed in', () => {
    expect(() => providerDirectory()).toThrow(expect.objectContaining({ code: 'INTERNAL' }));
    const directory: ProviderDirectory = { npisMatching: () => ['1679576722'], nameOf: () => 'Ada Lovelace' };
    installProviderDirectory(directory);
    expect(providerDirectory()).toBe(directory);
  });
});
