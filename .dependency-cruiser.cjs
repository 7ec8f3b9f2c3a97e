// Process and layer boundaries, checked in `npm test` (npm run lint:deps). See ../shared/STYLE.md and CONTRIBUTING.md.

/**
 * The domains, lowest first: a domain may import the ones before it, never one after it, so no two domain folders
 * import each other (a folder-level cycle the file-level no-circular rule cannot see). audit (the trail every domain
 * writes into) stands low; what its verify checks of a domain's sealed tables is handed in by the composition root.
 * disclosures (a report over all of them) stands at the top. No known debt: what a lower domain needs of a higher one
 * is a port it owns, implemented above and handed in by the composition root (e.g. consents/provider-directory.ts).
 * Do not add an allowlist here.
 */
const DOMAIN_ORDER = ['staff', 'audit', 'consents', 'imports', 'credentials', 'access', 'sharing', 'claims', 'disclosures'];
const domainOrderRules = DOMAIN_ORDER.slice(0, -1).map((domain, i) => ({
  name: 'domains-import-downward',
  comment: `${domain} stands below ${DOMAIN_ORDER.slice(i + 1).join(', ')} (DOMAIN_ORDER): it does not import them.`,
  severity: 'error',
  from: { path: `^main/${domain}/`, pathNot: '(\\.test\\.ts$|/fixtures/|/test-support\\.ts$)' },
  to: { path: `^main/(${DOMAIN_ORDER.slice(i + 1).join('|')})/` },
}));

/** @type {import('dependency-cruiser').IConfiguration} */
module.exports = {
  forbidden: [
    {
      name: 'services-not-into-shells',
      comment: 'Domain services never import the Electron shell, browser mode, the CLI or the renderer.',
      severity: 'error',
      from: { path: '^main/(?!app/|serve/|cli/)' },
      to: { path: '^(main/(app|serve|cli)/|renderer/)' },
    },
    {
      name: 'api-is-pure',
      comment: 'main/api is the shared contract: pure TypeScript + zod, no Node built-ins, no other main/ folder. Its tests (vitest) are not part of it.',
      severity: 'error',
      from: { path: '^main/api/', pathNot: '\\.test\\.ts$' },
      to: { pathNot: '^(main/api/|node_modules/zod/)', dependencyTypesNot: ['type-only'] },
    },
    {
      name: 'renderer-only-api-contract',
      comment: 'The renderer (renderer/src) may import nothing from main/ but the API contract.',
      severity: 'error',
      from: { path: '^renderer/src/' },
      to: { path: '^main/(?!api/)' },
    },
    {
      name: 'renderer-no-node',
      comment: 'The renderer runs sandboxed in a browser: no Node built-ins, no Electron.',
      severity: 'error',
      from: { path: '^renderer/src/' },
      to: { dependencyTypes: ['core'] },
    },
    {
      name: 'renderer-no-electron',
      severity: 'error',
      from: { path: '^renderer/src/' },
      to: { path: 'node_modules/electron/' },
    },
    {
      name: 'electron-only-in-shell',
      comment: 'Only main/app may import Electron; everything else must run in plain Node for the tests.',
      severity: 'error',
      from: { path: '^main/(?!app/)' },
      to: { path: 'node_modules/electron/' },
    },
    {
      name: 'test-nodes-only-in-tests',
      comment: 'Hardhat EDR and the test-node selector are test infrastructure: the app and CLI run anvil only.',
      severity: 'error',
      from: { path: '^(main|bench)/', pathNot: '(\\.test\\.ts$|/fixtures/|/test-support\\.ts$|^main/chain/(test-node|edr)\\.ts$)' },
      to: { path: '^main/chain/(edr|test-node)\\.ts$' },
    },
    {
      name: 'sync-knows-no-domain',
      comment:
        'main/sync is the domain-agnostic engine: each synced kind is a plug-in owned by its domain and handed in by the composition root (main/compose). Tests and their fixtures may wire domains in.',
      severity: 'error',
      from: { path: '^main/sync/', pathNot: '(\\.test\\.ts$|/fixtures/)' },
      to: { path: `^main/(${DOMAIN_ORDER.join('|')})/` },
    },
    {
      name: 'permission-check-only-in-dispatcher',
      comment:
        'The permission check (roleAllows, main/api/role-check.ts) runs in the dispatcher only: every transport, the CLI included, gets the same answer there. Handlers whose permission depends on the row ask ctx.allows. The renderer may use it to hide what a role cannot do; tests may use it to state the table.',
      severity: 'error',
      from: { path: '^main/', pathNot: '(^main/runtime/dispatcher\\.ts$|\\.test\\.ts$)' },
      to: { path: '^main/api/role-check\\.ts$' },
    },
    {
      name: 'audit-writes-through-dispatcher',
      comment:
        "A staff member's action is audited by the dispatcher (the sink in main/audit/api-sink.ts, handlers adding facts through ctx.audit), never by a command writing its own entry. Only main/audit imports the trail's writer. Entries with no staff actor (chain events pulled, a torn batch's resend, an export's seal) and the few a domain writes inside a dispatched handler's transaction (agreements, releases, credential checks by jobs) go through systemAudit (main/audit/system-audit.ts), whose table names each action, its writer and its actor. No allowlist: a new system action is a row in that table.",
      severity: 'error',
      from: { path: '^main/', pathNot: '(^main/audit/|\\.test\\.ts$)' },
      to: { path: '^main/audit/trail\\.ts$', dependencyTypesNot: ['type-only'] },
    },
    {
      name: 'system-audit-not-from-commands',
      comment:
        'systemAudit is for events with no request behind them and for domain modules running inside a dispatched handler. A channel handler, a CLI module or the CLI itself never calls it: its entry is the dispatcher\'s (ctx.audit adds facts).',
      severity: 'error',
      from: { path: '^main/(cli/|[^/]+/(handlers|cli-commands|[^/]*-cli)\\.ts$)', pathNot: '\\.test\\.ts$' },
      to: { path: '^main/audit/system-audit\\.ts$', dependencyTypesNot: ['type-only'] },
    },
    {
      name: 'composition-root-at-the-top',
      comment:
        'The composition root is main/compose/ (services.ts builds the services and merges the handlers, sync-plugins.ts hands the synced kinds to the engine, job-registry.ts names the job modules and job-worker.ts, the entry of each worker thread, loads it) with cli/commands/, the command table. It imports the domains and the layers; nothing below it imports it back, not even for a type: a domain that needs a service takes it as a parameter typed by what it uses, or owns a port the root implements. The shells (app/, serve/, cli/) sit above it; tests and their fixtures may build it. No known debt: do not add an allowlist here.',
      severity: 'error',
      from: {
        path: '^main/',
        pathNot: ['^main/(app|serve|cli|compose)/', '(\\.test\\.ts$|/fixtures/|/test-support\\.ts$)'],
      },
      to: { path: '^main/(compose|cli/commands)/' },
    },
    {
      name: 'lower-layers-know-no-domain',
      comment:
        'host/, db/, chain/, runtime/ and workers/ are the layers the domains stand on: they import no domain and not the sync engine, which would make a folder-level cycle the file-level no-circular rule cannot see. What they need of a domain is handed in by the composition root (e.g. openConflicts for runtime/system-handlers.ts, embeddedFacilityId for runtime/chain-runtime.ts). No known debt: do not add an allowlist here.',
      severity: 'error',
      from: {
        path: '^main/(host|db|chain|runtime|workers)/',
        pathNot: '(\\.test\\.ts$|/fixtures/|/test-support\\.ts$)',
      },
      to: { path: `^main/(${DOMAIN_ORDER.join('|')}|sync)/` },
    },
    {
      name: 'db-and-chain-below-runtime',
      comment:
        'main/db and main/chain stand on the ground floor under main/runtime: they import neither runtime/, workers/ nor sync/. What they share with the layers above (file modes, whether a process is alive) lives in main/host/. No known debt.',
      severity: 'error',
      from: {
        path: '^main/(db|chain)/',
        pathNot: '(\\.test\\.ts$|/fixtures/|/test-support\\.ts$)',
      },
      to: { path: '^main/(runtime|workers|sync)/' },
    },
    {
      name: 'runtime-below-workers',
      comment:
        'main/runtime (dispatcher, config, log, event bus, chain runtime, file transfer) stands under main/workers (the job runner uses its log and event bus): it does not import workers/, not even for a type; what it needs of the runner it types by what it uses (SystemDeps.jobs).',
      severity: 'error',
      from: { path: '^main/runtime/', pathNot: '(\\.test\\.ts$|/fixtures/|/test-support\\.ts$)' },
      to: { path: '^main/workers/' },
    },
    {
      name: 'host-is-the-ground-floor',
      comment:
        'main/host holds the small helpers about the machine every layer may need (file modes of the data folder, whether a process is alive): it imports nothing else of main/, so db/ and chain/ can stand on it.',
      severity: 'error',
      from: { path: '^main/host/', pathNot: '(\\.test\\.ts$|/fixtures/|/test-support\\.ts$)' },
      to: { path: '^main/(?!host/)' },
    },
    ...domainOrderRules,
    {
      name: 'no-circular',
      severity: 'error',
      from: {},
      to: { circular: true },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    exclude: { path: '(^build/|^contracts/artifacts/)' },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.node.json' },
    enhancedResolveOptions: { extensions: ['.ts', '.tsx', '.js', '.mjs', '.cjs', '.json'] },
  },
};
