// Page object for Settings: the read-only chain configuration and the deployment how-to.
import type { Locator, Page } from '@playwright/test';

export class SettingsPage {
  readonly chainSection: Locator;
  readonly chainId: Locator;
  readonly chainMode: Locator;
  readonly howTo: Locator;

  constructor(readonly page: Page) {
    this.chainSection = page.getByTestId('settings-chain');
    this.chainId = page.getByTestId('settings-chain-id');
    this.chainMode = page.getByTestId('settings-chain-mode');
    this.howTo = page.getByTestId('settings-howto');
  }
}
