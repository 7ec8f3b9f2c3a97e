#!/usr/bin/env node
// The `custodian` command. Runs the TypeScript services directly through tsx's loader, so the CLI, browser
// mode and the tests all execute the same source with no separate build.
import { register } from 'tsx/esm/api';

register();
const { runCli } = await import('../main/cli/index.ts');
await runCli(process.argv.slice(2));
