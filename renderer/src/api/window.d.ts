// Under Electron the preload exposes the bridge on window; in browser mode it is absent.
import type { CustodianBridge } from '../../../main/api/index';

declare global {
  interface Window {
    custodian?: CustodianBridge;
  }
}

export {};
