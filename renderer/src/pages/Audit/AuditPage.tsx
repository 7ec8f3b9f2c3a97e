// Audit: The tamper-evident trail of every access and change, and proof that it matches what was anchored on chain.
// A placeholder until its issue lands; the page is registered and titled like a real one.
import type { ReactElement } from 'react';
import { ComingSoon } from '../../components/ComingSoon';
import { AuditIcon } from '../../components/icons';
import { PageHeader } from '../../components/PageHeader';
import type { PageDefinition } from '../types';

function AuditPage(): ReactElement {
  return (
    <>
      <PageHeader title={auditPage.label} description={auditPage.description} permission={auditPage.permission} />
      <ComingSoon
        capability="The audit trail"
        icon={<AuditIcon size={22} />}
        planned={[
          'Search the trail by patient pseudonym, staff member, action and date.',
          'Verify that the trail is intact: every entry hashed into the next, batches anchored on chain.',
          'Export a proof for one entry that an external auditor can check independently.',
        ]}
      />
    </>
  );
}

export const auditPage: PageDefinition = {
  id: 'audit',
  label: 'Audit',
  description: 'The tamper-evident trail of every access and change, and proof that it matches what was anchored on chain.',
  section: 'Integrity',
  icon: AuditIcon,
  permission: 'audit.view',
  Component: AuditPage,
};
