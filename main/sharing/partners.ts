// The partner directory of the Sharing page: every organisation this one has an agreement with (proposed, active or
// ended), folded from the agreements into one row per partner, so staff pick a partner instead of typing its id.
// Pure over agreement views (effective status already applied); there is no partner table of its own.
import type { CategoryCode, PurposeCode } from '../api/consents';
import type { AgreementView, PartnerView, SharingDirection } from '../api/sharing';

const byText = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

/** Whether a partner matches the typed text: any part of its id (any case), or the start of one of its addresses. */
export function partnerMatches(p: Pick<PartnerView, 'orgId' | 'addresses'>, text: string): boolean {
  const q = text.trim().toLowerCase();
  if (q === '') return true;
  if (p.orgId.toLowerCase().includes(q)) return true;
  const hex = q.startsWith('0x') ? q : `0x${q}`;
  return q.length >= 4 && /^(0x)?[0-9a-f]+$/.test(q) && p.addresses.some((a) => a.toLowerCase().startsWith(hex));
}

/** One row per partner organisation id, partners with an active agreement first, then by id. */
export function partnerDirectory(agreements: readonly AgreementView[], search = ''): PartnerView[] {
  const rows = new Map<string, PartnerView & { _categories: Set<CategoryCode>; _purposes: Set<PurposeCode>; _directions: Set<SharingDirection> }>();
  for (const a of agreements) {
    const p = rows.get(a.partnerOrgId) ?? {
      orgId: a.partnerOrgId,
      addresses: [],
      agreements: 0,
      active: 0,
      proposed: 0,
      ended: 0,
      activeUntil: null,
      categories: [],
      purposes: [],
      directions: [],
      lastChangedAt: a.updatedAt,
      _categories: new Set(),
      _purposes: new Set(),
      _directions: new Set(),
    };
    if (!p.addresses.includes(a.partnerAddress)) p.addresses.push(a.partnerAddress);
    p.agreements += 1;
    if (a.status === 'active') {
      p.active += 1;
      if (p.activeUntil === null || a.validUntil > p.activeUntil) p.activeUntil = a.validUntil;
      for (const c of a.categories) p._categories.add(c);
      for (const x of a.purposes) p._purposes.add(x);
      p._directions.add(a.direction);
    } else if (a.status === 'proposed') p.proposed += 1;
    else p.ended += 1;
    if (a.updatedAt > p.lastChangedAt) p.lastChangedAt = a.updatedAt;
    rows.set(a.partnerOrgId, p);
  }
  return [...rows.values()]
    .map(({ _categories, _purposes, _directions, ...p }) => ({ ...p, addresses: [...p.addresses].sort(byText), categories: [..._categories].sort(byText), purposes: [..._purposes].sort(byText), directions: [..._directions].sort(byText) }))
    .filter((p) => partnerMatches(p, search))
    .sort((x, y) => (x.active > 0) === (y.active > 0) ? byText(x.orgId.toLowerCase(), y.orgId.toLowerCase()) : x.active > 0 ? -1 : 1);
}
