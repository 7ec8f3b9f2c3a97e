// Imports: Bring records in from CSV and FHIR files, with progress, rejects and the ability to resume.
// A placeholder until its issue lands; the page is registered and titled like a real one.
import type { ReactElement } from 'react';
import { ComingSoon } from '../../components/ComingSoon';
import { ImportsIcon } from '../../components/icons';
import { PageHeader } from '../../components/PageHeader';
import type { PageDefinition } from '../types';

function ImportsPage(): ReactElement {
  return (
    <>
      <PageHeader title={importsPage.label} description={importsPage.description} permission={importsPage.permission} />
      <ComingSoon
        capability="Bulk import"
        icon={<ImportsIcon size={22} />}
        planned={[
          'Import CSV or FHIR bundles of any size without freezing the console.',
          'Follow progress (done / total, rate, time left) and cancel at any time.',
          'Review rejected rows with the field and reason, fix and re-run them.',
          'Resume an interrupted import from its last checkpoint.',
        ]}
      />
    </>
  );
}

export const importsPage: PageDefinition = {
  id: 'imports',
  label: 'Imports',
  description: 'Bring records in from CSV and FHIR files, with progress, rejects and the ability to resume.',
  section: 'Records',
  icon: ImportsIcon,
  permission: 'imports.view',
  Component: ImportsPage,
};
