// The `custodian sharing …` commands, given started services and a signed-in caller by the CLI shell
// (main/cli/index.ts). Every command goes through the dispatcher: same validation, permissions and audit as the UI.
import type { AgreementView, ReleaseRequestView } from '../api/sharing';
import { AppError } from '../api/errors';
import { typedCall } from '../runtime/call';
import type { CallerContext, Dispatch } from '../runtime/dispatcher';

/** What these commands use of the started services (the CLI passes its Services): typed here, so the domain never imports the composition root. */
type CommandServices = { dispatch: Dispatch };

export interface SharingCliOptions {
  json: boolean;
  partner?: string | undefined;
  publicKey?: string | undefined;
  direction?: string | undefined;
  categories?: string | undefined;
  purposes?: string | undefined;
  validFrom?: string | undefined;
  validUntil?: string | undefined;
  documentHash?: string | undefined;
  patient?: string | undefined;
  category?: string | undefined;
  purpose?: string | undefined;
  npi?: string | undefined;
  orgId?: string | undefined;
  released?: boolean | undefined;
}

export const SHARING_USAGE = `  sharing identity [--org-id ID]
                         This organisation's id, signing address and public key (partners propose to the key)
  sharing list           Agreements with partner organisations and their status
  sharing propose --partner ORG --public-key 0x… --direction outbound|inbound|both --categories C1,C2
                  --purposes P1,P2 --valid-from YYYY-MM-DD --valid-until YYYY-MM-DD --document-hash HEX
                         Propose an agreement, signed with this organisation's key; queued for the chain
  sharing sign ID        Sign a partner's proposal pulled from the chain (run \`sync --once\` to send)
  sharing terminate ID REASON
                         Terminate an agreement now (locally at once; the signed termination is queued)
  sharing request --partner ORG --patient ID --category C --purpose P [--npi N]
                         Decide a partner's release request; on a permit, write the release and its sha-256
  sharing requests [--released]
                         Release requests with decisions and reasons (--released: the release log)`;

const list = (v: string | undefined) => (v ? v.split(',').map((s) => s.trim()).filter(Boolean) : undefined);

export function formatAgreement(a: AgreementView): string {
  const signed = `${a.signedByUs ? 'us' : '-'}/${a.signedByPartner ? a.partnerOrgId : '-'}`;
  return `${a.id}  ${a.status.padEnd(10)} ${a.partnerOrgId.padEnd(12)} ${a.direction.padEnd(8)} ${a.categories.join(',')} for ${a.purposes.join(',')}  ${a.validFrom.slice(0, 10)}..${a.validUntil.slice(0, 10)}  signed ${signed}  chain ${a.chainState}`;
}

export function formatRequest(r: ReleaseRequestView): string {
  const why = r.reasons.length ? r.reasons.map((x) => `${x.code}: ${x.message}`).join('\n    ') : 'all conditions hold';
  return `#${r.id} ${r.decision.toUpperCase()} ${r.partnerOrgId} patient ${r.patientId} ${r.category}/${r.purpose}${r.releasedHash ? ` released sha256 ${r.releasedHash}` : ''}\n    ${why}`;
}

export async function sharingCommand(services: CommandServices, caller: CallerContext, args: string[], o: SharingCliOptions, out: (text: string) => void): Promise<number> {
  const call = typedCall(services.dispatch, caller);
  const print = (value: unknown, text: string) => out(o.json ? JSON.stringify(value, null, 2) : text);
  const [sub, id, ...rest] = args;
  switch (sub) {
    case 'identity': {
      const me = o.orgId ? await call('sharing.setOrgId', { orgId: o.orgId }) : await call('sharing.identity', {});
      print(me, `Organisation ${me.orgId}, signing address ${me.address}, public key ${me.publicKey}\n${me.notConfigured ? `Not configured: ${me.notConfigured}` : `Signs for chain ${me.chainId}, SharingAgreements ${me.contract}`}`);
      return 0;
    }
    case 'list': {
      const rows = await call('sharing.agreements', {});
      print(rows, rows.length ? rows.map(formatAgreement).join('\n') : 'No agreements.');
      return 0;
    }
    case 'propose': {
      const a = await call('sharing.propose', {
        partnerOrgId: o.partner,
        partnerPublicKey: o.publicKey,
        direction: o.direction,
        categories: list(o.categories),
        purposes: list(o.purposes),
        validFrom: o.validFrom,
        validUntil: o.validUntil,
        documentHash: o.documentHash,
      });
      print(a, `Proposed ${a.id} to ${a.partnerOrgId}; queued for the chain.\n${formatAgreement(a)}`);
      return 0;
    }
    case 'sign': {
      const a = await call('sharing.sign', { id });
      print(a, `Signed ${a.id}; queued for the chain.\n${formatAgreement(a)}`);
      return 0;
    }
    case 'terminate': {
      const a = await call('sharing.terminate', { id, reason: rest.join(' ') });
      print(a, `Terminated ${a.id}; the termination is queued for the chain.\n${formatAgreement(a)}`);
      return 0;
    }
    case 'request': {
      const r = await call('sharing.request', {
        partnerOrgId: o.partner,
        patientId: o.patient === undefined ? undefined : Number(o.patient),
        category: o.category,
        purpose: o.purpose,
        ...(o.npi ? { professionalNpi: o.npi } : {}),
      });
      print(r, formatRequest(r));
      return r.decision === 'permit' ? 0 : 3;
    }
    case 'requests': {
      const rows = await call('sharing.requests', { releasedOnly: o.released === true });
      print(rows, rows.length ? rows.map(formatRequest).join('\n') : 'No release requests.');
      return 0;
    }
    default:
      throw new AppError('VALIDATION_FAILED', `Unknown sharing command: ${sub ?? '(none)'} (identity, list, propose, sign, terminate, request, requests).`);
  }
}
