// `custodian sharing …`: agreements with partner organisations and release requests, each a channel call.
import type { ChannelName } from '../../api';
import { sharingCommand } from '../../sharing/cli-commands';
import { commands, type ArgSpec, type CliCommand, type FlagName } from '../command';

function sharing(sub: string, spec: { args?: ArgSpec[]; flags?: FlagName[]; usage?: string; summary: string; channels: ChannelName[] }): CliCommand {
  return {
    name: ['sharing', sub],
    ...spec,
    flags: [...(spec.flags ?? []), 'json'],
    needs: 'signed-in',
    run: (ctx, { services, caller }) =>
      sharingCommand(
        services,
        caller,
        [sub, ...ctx.args],
        {
          json: ctx.flag('json'),
          partner: ctx.flag('partner'),
          publicKey: ctx.flag('public-key'),
          direction: ctx.flag('direction'),
          categories: ctx.flag('categories'),
          purposes: ctx.flag('purposes'),
          validFrom: ctx.flag('valid-from'),
          validUntil: ctx.flag('valid-until'),
          documentHash: ctx.flag('document-hash'),
          patient: ctx.flag('patient'),
          category: ctx.flag('category'),
          purpose: ctx.flag('purpose'),
          npi: ctx.flag('npi'),
          orgId: ctx.flag('org-id'),
          released: ctx.flag('released'),
        },
        (t) => ctx.io.out(`${t}\n`),
      ),
  };
}

export const sharingCommands = commands(
  sharing('identity', { flags: ['org-id'], usage: '[--org-id ID]', summary: "This organisation's id, signing address and public key (partners propose to the key)", channels: ['sharing.identity', 'sharing.setOrgId'] }),
  sharing('list', { summary: 'Agreements with partner organisations and their status', channels: ['sharing.agreements'] }),
  sharing('propose', {
    flags: ['partner', 'public-key', 'direction', 'categories', 'purposes', 'valid-from', 'valid-until', 'document-hash'],
    usage: '--partner ORG --public-key 0x… --direction outbound|inbound|both --categories C1,C2\n  --purposes P1,P2 --valid-from YYYY-MM-DD --valid-until YYYY-MM-DD --document-hash HEX',
    summary: "Propose an agreement, signed with this organisation's key; queued for the chain",
    channels: ['sharing.propose'],
  }),
  sharing('sign', { args: [{ name: 'ID' }], summary: "Sign a partner's proposal pulled from the chain (run `sync --once` to send)", channels: ['sharing.sign'] }),
  sharing('terminate', { args: [{ name: 'ID' }, { name: 'REASON', rest: true }], summary: 'Terminate an agreement now (locally at once; the signed termination is queued)', channels: ['sharing.terminate'] }),
  sharing('request', {
    flags: ['partner', 'patient', 'category', 'purpose', 'npi'],
    usage: '--partner ORG --patient ID --category C --purpose P [--npi N]',
    summary: "Decide a partner's release request; on a permit, write the release and its sha-256",
    channels: ['sharing.request'],
  }),
  sharing('requests', { flags: ['released'], usage: '[--released]', summary: 'Release requests with decisions and reasons (--released: the release log)', channels: ['sharing.requests'] }),
);
