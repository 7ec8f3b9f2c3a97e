// Settings → Workstation → Signing key (IT administrators): where the sync engine's chain key comes from, and,
// in the desktop app on a real network, unlocking the keystore once so the OS keychain keeps the key. The
// passphrase goes to main and is forgotten there; the key never comes back.
import { Alert, Badge, Button, Code, DataList, Group, PasswordInput, Skeleton, Stack, Text } from '@mantine/core';
import { useState, type FormEvent, type ReactElement } from 'react';
import type { SignerKeyStatus } from '../../../../main/api/signer';
import { ApiCallError, invoke } from '../../api/client';
import { useApiQuery } from '../../api/hooks';
import { ErrorBanner } from '../../components/ErrorBanner';
import { Section } from './WorkstationPanel';

const SOURCE_LABEL: Record<SignerKeyStatus['source'], string> = {
  devnet: 'Embedded devnet key (random, this data folder only; for trying Custodian out)',
  sealed: 'Sealed in the operating system keychain',
  keystore: 'Encrypted keystore, unlocked by CUSTODIAN_KEYSTORE_PASSPHRASE',
  none: 'Not available — sync cannot sign until the key is unlocked',
};

export function SigningKeyPanel(): ReactElement {
  const { data, error, refetch } = useApiQuery('signer.status', {});
  const [passphrase, setPassphrase] = useState('');
  const [busy, setBusy] = useState(false);
  const [failure, setFailure] = useState<ApiCallError | null>(null);
  const [notice, setNotice] = useState<string | null>(null);

  const act = async (work: () => Promise<string>): Promise<void> => {
    setBusy(true);
    setFailure(null);
    setNotice(null);
    try {
      setNotice(await work());
      refetch();
    } catch (err) {
      setFailure(err instanceof ApiCallError ? err : new ApiCallError('signer.seal', 'INTERNAL', String(err)));
    } finally {
      setBusy(false);
    }
  };

  const seal = (event: FormEvent): void => {
    event.preventDefault();
    void act(async () => {
      const { address } = await invoke('signer.seal', { passphrase });
      setPassphrase('');
      return `The key of ${address} is now kept in the operating system keychain; sync signs without a passphrase.`;
    });
  };

  const forget = (): void => {
    void act(async () => ((await invoke('signer.forget', {})).removed ? 'The sealed key was removed. Sync needs the keystore passphrase again after a restart.' : 'There was no sealed key.'));
  };

  return (
    <Section title="Signing key" id="settings-signing-key" aside={data ? <Badge variant="light">{data.source === 'none' ? 'Locked' : 'Available'}</Badge> : null}>
      {error && <ErrorBanner title="Could not read the signing key status" error={error} onRetry={refetch} />}
      {!data ? (
        !error && <Skeleton height={80} />
      ) : (
        <Stack gap="sm">
          <DataList size="sm" gap={6} labelWidth={150}>
            <DataList.Item>
              <DataList.ItemLabel>Source</DataList.ItemLabel>
              <DataList.ItemValue data-testid="signing-key-source">{SOURCE_LABEL[data.source]}</DataList.ItemValue>
            </DataList.Item>
            {data.keystorePath && (
              <DataList.Item>
                <DataList.ItemLabel>Keystore file</DataList.ItemLabel>
                <DataList.ItemValue>
                  <Code fz="xs">{data.keystorePath}</Code>
                </DataList.ItemValue>
              </DataList.Item>
            )}
            {data.sealed && (
              <DataList.Item>
                <DataList.ItemLabel>Sealed key</DataList.ItemLabel>
                <DataList.ItemValue>
                  <Code fz="xs">{data.sealed.address}</Code> {data.backend && <Text span size="xs" c="dimmed">({data.backend})</Text>}
                </DataList.ItemValue>
              </DataList.Item>
            )}
          </DataList>
          {data.reason && !data.sealed && (
            <Text size="sm" c="dimmed" data-testid="signing-key-reason">
              {data.reason}
            </Text>
          )}
          {data.canSeal && !data.sealed && (
            <form onSubmit={seal}>
              <Group align="end" gap="sm">
                <PasswordInput
                  label="Keystore passphrase"
                  description="Used once to unlock the keystore; not stored."
                  value={passphrase}
                  onChange={(e) => setPassphrase(e.currentTarget.value)}
                  autoComplete="off"
                  w={320}
                  required
                />
                <Button type="submit" loading={busy} disabled={!passphrase}>
                  Keep in OS keychain
                </Button>
              </Group>
            </form>
          )}
          {data.sealed && (
            <Group>
              <Button variant="default" color="red" onClick={forget} loading={busy}>
                Remove sealed key
              </Button>
            </Group>
          )}
          {failure && <ErrorBanner title="The signing key was not changed" error={failure} />}
          {notice && (
            <Alert color="green" variant="light" role="status">
              {notice}
            </Alert>
          )}
        </Stack>
      )}
    </Section>
  );
}
