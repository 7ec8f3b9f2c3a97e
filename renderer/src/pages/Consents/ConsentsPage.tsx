// Consents: patients’ consents to share their records: who may see what, for which purpose, until when.
// A placeholder until its issue lands; the page is registered and titled like a real one.
import type { ReactElement } from 'react';
import { ComingSoon } from '../../components/ComingSoon';
import { ConsentsIcon } from '../../components/icons';
import { PageHeader } from '../../components/PageHeader';
import type { PageDefinition } from '../types';

function ConsentsPage(): ReactElement {
  return (
    <>
      <PageHeader title={consentsPage.label} description={consentsPage.description} permission={consentsPage.permission} />
      <ComingSoon
        capability="Consent management"
        icon={<ConsentsIcon size={22} />}
        planned={[
          'Find a patient by pseudonym and see every consent, active and past.',
          'Record a new consent or revoke one, with the reason and the staff member who did it.',
          'Check whether a given access would be allowed, and why.',
          'Export consents as FHIR Consent resources.',
        ]}
      />
    </>
  );
}

export const consentsPage: PageDefinition = {
  id: 'consents',
  label: 'Consents',
  description: 'Patients’ consents to share their records: who may see what, for which purpose, until when.',
  section: 'Records',
  icon: ConsentsIcon,
  permission: 'consents.view',
  Component: ConsentsPage,
};
