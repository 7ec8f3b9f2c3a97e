// Proves the boundary rules in .dependency-cruiser.cjs catch real violations, not just that today's tree passes.
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';

const root = path.resolve(import.meta.dirname, '..');
const probes: string[] = [];

function probe(relative: string, source: string): string {
  const file = path.join(root, relative);
  fs.writeFileSync(file, source);
  probes.push(file);
  return relative;
}

function cruise(relative: string): string {
  try {
    execFileSync(path.join(root, 'node_modules/.bin/depcruise'), [relative, '--config', '.dependency-cruiser.cjs', '--output-type', 'err'], {
      cwd: root,
      encoding: 'utf8',
      stdio: 'pipe',
    });
    return '';
  } catch (err) {
    return String((err as { stdout?: string }).stdout ?? '');
  }
}

afterEach(() => {
  for (const file of probes.splice(0)) fs.rmSync(file, { force: true });
});

describe('dependency rules', () => {
  it('fail when a domain service imports browser mode', () => {
    const f = probe('main/db/zz-boundary-probe.ts', "import { startConsoleServer } from '../serve/server';\nexport const x = startConsoleServer;\n");
    expect(cruise(f)).toMatch(/services-not-into-shells/);
  });

  it('fail when the renderer imports a main/ service', () => {
    const f = probe('renderer/src/zz-boundary-probe.ts', "import { openDatabase } from '../../main/db/connection';\nexport const x = openDatabase;\n");
    expect(cruise(f)).toMatch(/renderer-only-api-contract/);
  });

  it('fail when the API contract imports Node', () => {
    const f = probe('main/api/zz-boundary-probe.ts', "import fs from 'node:fs';\nexport const x = fs;\n");
    expect(cruise(f)).toMatch(/api-is-pure/);
  });

  it('fail when the sync engine imports a domain (each synced kind is a plug-in handed in by the composition root)', () => {
    for (const domain of ['consents/store', 'imports/bulk-store']) {
      const f = probe('main/sync/zz-boundary-probe.ts', `import * as m from '../${domain}';\nexport const x = m;\n`);
      expect(cruise(f)).toMatch(/sync-knows-no-domain/);
    }
  });

  it('pass for a domain implementing the sync plug-in interface', () => {
    const f = probe('main/consents/zz-boundary-probe.ts', "import type { SyncPlugin } from '../sync/plugin';\nexport type X = SyncPlugin;\n");
    expect(cruise(f)).toBe('');
  });

  it('fail when a module outside the dispatcher checks a role itself (a CLI command, a domain handler)', () => {
    for (const where of ['main/claims/zz-boundary-probe.ts', 'main/cli/zz-boundary-probe.ts', 'main/runtime/zz-boundary-probe.ts']) {
      const f = probe(where, `import { roleAllows } from '../api/role-check';\nexport const x = roleAllows('records_clerk', 'claims.check');\n`);
      expect(cruise(f), where).toMatch(/permission-check-only-in-dispatcher/);
    }
  });

  it('fail when a command writes its own audit entry instead of going through the dispatcher', () => {
    const f = probe('main/credentials/zz-boundary-probe.ts', "import { recordAudit } from '../audit/trail';\nexport const x = recordAudit;\n");
    expect(cruise(f)).toMatch(/audit-writes-through-dispatcher/);
    // Reading the trail's types is not writing it.
    const types = probe('main/claims/zz-boundary-probe.ts', "import type { AuditEntry } from '../audit/trail';\nexport type X = AuditEntry;\n");
    expect(cruise(types)).toBe('');
  });

  it('fail when a former system writer (sharing, claims, consents) writes the trail directly instead of through systemAudit', () => {
    // These folders held the allowlisted direct writers; the allowlist is gone, so a direct write fires anywhere.
    for (const where of ['main/sharing/zz-boundary-probe.ts', 'main/claims/zz-boundary-probe.ts', 'main/consents/zz-boundary-probe.ts']) {
      const f = probe(where, "import { recordAudit } from '../audit/trail';\nexport const x = recordAudit;\n");
      expect(cruise(f), where).toMatch(/audit-writes-through-dispatcher/);
    }
    // The one narrow API is open to domain modules.
    const ok = probe('main/claims/zz-boundary-probe.ts', "import { systemAudit } from '../audit/system-audit';\nexport const x = systemAudit;\n");
    expect(cruise(ok)).toBe('');
  });

  it('fail when a CLI module or a channel handler writes a system entry (its entry is the dispatcher\'s)', () => {
    for (const where of ['main/cli/zz-boundary-probe.ts', 'main/claims/zz-probe-cli.ts']) {
      const f = probe(where, "import { systemAudit } from '../audit/system-audit';\nexport const x = systemAudit;\n");
      expect(cruise(f), where).toMatch(/system-audit-not-from-commands/);
    }
  });

  it('fail when a domain imports the composition root back, even for a type', () => {
    // A domain typed by the whole Services: the folder-level cycle runtime -> consents -> runtime that no-circular cannot see.
    for (const source of [
      "import type { Services } from '../compose/services';\nexport type X = Services;\n",
      "import { startServices } from '../compose/services';\nexport const x = startServices;\n",
      "import { productionRegistry } from '../compose/job-registry';\nexport const x = productionRegistry;\n",
    ]) {
      const f = probe('main/consents/zz-boundary-probe.ts', source);
      expect(cruise(f), source).toMatch(/composition-root-at-the-top/);
    }
    // runtime/ and workers/ are layers now, not the top: they do not reach the root either.
    for (const where of ['main/runtime/zz-boundary-probe.ts', 'main/workers/zz-boundary-probe.ts']) {
      const f = probe(where, "import { syncRegistry } from '../compose/sync-plugins';\nexport const x = syncRegistry;\n");
      expect(cruise(f), where).toMatch(/composition-root-at-the-top/);
    }
  });

  it('fail when a layer under the domains imports a domain', () => {
    // The infrastructure under the domains (runtime's dispatcher side, workers, db) imports no domain.
    for (const where of ['main/runtime/zz-boundary-probe.ts', 'main/workers/zz-boundary-probe.ts', 'main/db/zz-boundary-probe.ts']) {
      const f = probe(where, "import { pageSql } from '../consents/queries';\nexport const x = pageSql;\n");
      expect(cruise(f), where).toMatch(/lower-layers-know-no-domain/);
    }
    // The ground floor does not reach up into runtime.
    const chain = probe('main/chain/zz-boundary-probe.ts', "import { createLogger } from '../runtime/log';\nexport const x = createLogger;\n");
    expect(cruise(chain)).toMatch(/db-and-chain-below-runtime/);
  });

  it('fail when runtime imports the job runner above it, even for a type', () => {
    const f = probe('main/runtime/zz-boundary-probe.ts', "import type { JobRunner } from '../workers/job-runner';\nexport type X = JobRunner;\n");
    expect(cruise(f)).toMatch(/runtime-below-workers/);
  });

  it('fail when main/host imports anything of main/ above it, and pass for chain standing on main/host', () => {
    for (const target of ['../db/connection', '../runtime/log', '../chain/provider']) {
      const f = probe('main/host/zz-boundary-probe.ts', `import * as m from '${target}';\nexport const x = m;\n`);
      expect(cruise(f), target).toMatch(/host-is-the-ground-floor/);
    }
    const chain = probe('main/chain/zz-boundary-probe.ts', "import { processAlive } from '../host/process-alive';\nexport const x = processAlive;\n");
    expect(cruise(chain)).toBe('');
  });

  it('pass for a domain standing on the layers below it (API types, the dispatcher contract, the job protocol)', () => {
    const f = probe(
      'main/consents/zz-boundary-probe.ts',
      "import type { RequestContext } from '../runtime/dispatcher';\nimport type { JobContext } from '../workers/protocol';\nimport { AppError } from '../api/errors';\nexport type X = [RequestContext, JobContext];\nexport const y = AppError;\n",
    );
    expect(cruise(f)).toBe('');
  });

  it('fail when a domain imports one above it in DOMAIN_ORDER (two domain folders importing each other)', () => {
    for (const [where, target] of [
      ['main/consents/zz-boundary-probe.ts', '../claims/queries'],
      ['main/audit/zz-boundary-probe.ts', '../sharing/terms'],
      // The trail stands below the domains that write into it: audit verify gets the consents' sealed sets handed in.
      ['main/audit/zz-boundary-probe.ts', '../consents/export-seal'],
    ] as const) {
      const f = probe(where, `import * as m from '${target}';\nexport const x = m;\n`);
      expect(cruise(f), where).toMatch(/domains-import-downward/);
    }
    // Downward is allowed: claims reads consent periods.
    const down = probe('main/claims/zz-boundary-probe.ts', "import { describeDateProblem } from '../consents/period';\nexport const x = describeDateProblem;\n");
    expect(cruise(down)).toBe('');
  });

  it('pass for the renderer using the permission table to hide what a role cannot do', () => {
    const f = probe('renderer/src/zz-boundary-probe.ts', "import { roleAllows } from '../../main/api/role-check';\nexport const x = roleAllows;\n");
    expect(cruise(f)).toBe('');
  });

  it('pass for the renderer importing the API contract', () => {
    const f = probe('renderer/src/zz-boundary-probe.ts', "import { api } from '../../main/api';\nexport const x = api;\n");
    expect(cruise(f)).toBe('');
  });
});
