// Credentials: Verify the professional credentials of staff and requesters against the issuer registry.
// A placeholder until its issue lands; the page is registered and titled like a real one.
import type { ReactElement } from 'react';
import { ComingSoon } from '../../components/ComingSoon';
import { CredentialsIcon } from '../../components/icons';
import { PageHeader } from '../../components/PageHeader';
import type { PageDefinition } from '../types';

function CredentialsPage(): ReactElement {
  return (
    <>
      <PageHeader title={credentialsPage.label} description={credentialsPage.description} permission={credentialsPage.permission} />
      <ComingSoon
        capability="Credential verification"
        icon={<CredentialsIcon size={22} />}
        planned={[
          'Look up a clinician by NPI and see their verified credentials.',
          'Verify a signed credential and see who issued it and whether it was revoked.',
          'Run a bulk verification with progress and a report.',
        ]}
      />
    </>
  );
}

export const credentialsPage: PageDefinition = {
  id: 'credentials',
  label: 'Credentials',
  description: 'Verify the professional credentials of staff and requesters against the issuer registry.',
  section: 'Records',
  icon: CredentialsIcon,
  permission: 'credentials.view',
  Component: CredentialsPage,
};
