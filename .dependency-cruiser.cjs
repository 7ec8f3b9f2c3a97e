// Process and layer boundaries, checked in `npm test` (npm run lint:deps). See ../shared/STYLE.md.
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
      comment: 'main/api is the shared contract: pure TypeScript + zod, no Node built-ins, no other main/ folder.',
      severity: 'error',
      from: { path: '^main/api/' },
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
        'main/sync is the domain-agnostic engine: each synced kind is a plug-in owned by its domain and handed in by the composition root (main/runtime). Tests and their fixtures may wire domains in.',
      severity: 'error',
      from: { path: '^main/sync/', pathNot: '(\\.test\\.ts$|/fixtures/)' },
      to: { path: '^main/(consents|sharing|claims|credentials|audit|imports)/' },
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
        "A staff member's action is audited by the dispatcher (the sink in main/audit/api-sink.ts, handlers adding facts through ctx.audit), never by a command writing its own entry. The audit folder owns the writer; the modules listed here write entries inside a dispatched handler's transaction (sharing agreements and releases, credential checks) or for events with no staff actor (chain events pulled, payer addresses, a torn batch's consent resend in consents/writes.ts, an export job's patient-set seal in consents/export-seal.ts). Adding a module here needs a reason in its commit.",
      severity: 'error',
      from: {
        path: '^main/',
        pathNot: '(^main/audit/|\\.test\\.ts$|^main/sharing/(agreements|release|sink)\\.ts$|^main/credentials/verify\\.ts$|^main/claims/payers\\.ts$|^main/consents/(writes|export-seal)\\.ts$)',
      },
      to: { path: '^main/audit/trail\\.ts$', dependencyTypesNot: ['type-only'] },
    },
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
