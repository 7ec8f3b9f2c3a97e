// Settings → Workstation → Facility secret (IT administrators): the secret's fingerprint, to compare with the
// other workstations of the facility, and the commands that share the secret. The secret itself never comes here.
import { Code, Group, Skeleton, Stack, Text } from '@mantine/core';
import type { ReactElement } from 'react';
import { useApiQuery } from '../../api/hooks';
import { CopyText } from '../../components/CopyText';
import { ErrorBanner } from '../../components/ErrorBanner';

/** The body of the Workstation tab's "Facility secret" section. */
export function FacilitySecretFingerprint(): ReactElement {
  const { data, error, loading, refetch } = useApiQuery('facilitySecret.fingerprint', {});
  return (
    <Stack gap="xs">
      {error && <ErrorBanner title="Could not read the facility-secret fingerprint" error={error} stale={!!data} onRetry={refetch} />}
      {loading && !data ? (
        <Skeleton height={28} />
      ) : data?.fingerprint ? (
        <Group gap="xs" wrap="nowrap">
          <Text size="sm" fw={600}>
            Fingerprint
          </Text>
          <Code fz="sm" data-testid="settings-secret-fingerprint">
            {data.fingerprint}
          </Code>
          <CopyText value={data.fingerprint} label="Copy" />
        </Group>
      ) : data ? (
        <Text size="sm" data-testid="settings-secret-none">
          No facility secret yet: it is created with the first consent written or imported here, or installed from another workstation.
        </Text>
      ) : null}
      <Text size="sm" c="dimmed">
        Patients’ chain pseudonyms are keyed with this secret, so every workstation of the facility must hold the same one:
        their fingerprints must be equal. The fingerprint identifies the secret without revealing it. To share the secret,
        an IT administrator runs <Code>custodian facility-secret export --out FILE</Code> here and{' '}
        <Code>custodian facility-secret import FILE</Code> on the new workstation, before any consent is written there.
      </Text>
    </Stack>
  );
}
