// Every screen of the console, in navigation order. A new screen adds its folder and one line here.
import { auditPage } from './Audit/AuditPage';
import { claimsPage } from './Claims/ClaimsPage';
import { consentsPage } from './Consents/ConsentsPage';
import { credentialsPage } from './Credentials/CredentialsPage';
import { dashboardPage } from './Dashboard/DashboardPage';
import { importsPage } from './Imports/ImportsPage';
import { settingsPage } from './Settings/SettingsPage';
import { sharingPage } from './Sharing/SharingPage';
import { syncPage } from './Sync/SyncPage';
import type { PageDefinition } from './types';

export const PAGES: readonly PageDefinition[] = [dashboardPage, consentsPage, claimsPage, importsPage, credentialsPage, sharingPage, syncPage, auditPage, settingsPage];

export const DEFAULT_PAGE_ID = dashboardPage.id;
