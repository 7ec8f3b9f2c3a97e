// The command table of `custodian`: every command of every domain, in the order the help text lists them.
// The composition root of the CLI: it imports the domains' command files; no domain imports it.
import type { CliCommand } from '../command';
import { auditCommands } from './audit';
import { claimsCommands } from './claims';
import { consentCommands } from './consents';
import { credentialCommands } from './credentials';
import { importCommands } from './imports';
import { sharingCommands } from './sharing';
import { syncCommands } from './sync';
import { systemCommands } from './system';

export const COMMANDS: readonly CliCommand[] = [
  ...systemCommands,
  ...auditCommands,
  ...consentCommands,
  ...syncCommands,
  ...credentialCommands,
  ...importCommands,
  ...sharingCommands,
  ...claimsCommands,
];
