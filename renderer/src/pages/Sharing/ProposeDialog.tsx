// The form to propose an agreement to a partner organisation: who (id and signing address), the direction, the
// categories and purposes, the period, and the sha-256 of the signed paper agreement. Errors name the field.
import { Autocomplete, Button, Group, Modal, MultiSelect, NativeSelect, SimpleGrid, Stack, TextInput } from '@mantine/core';
import { useEffect, useState, type FormEvent, type ReactElement } from 'react';
import { CATEGORIES } from '../../../../main/api/consents';
import { RELEASE_PURPOSES, SHARING_DIRECTIONS, type AgreementView } from '../../../../main/api/sharing';
import { ApiCallError, invoke } from '../../api/client';
import { ErrorBanner } from '../../components/ErrorBanner';

const today = (offsetDays = 0) => new Date(Date.now() + offsetDays * 86_400_000).toISOString().slice(0, 10);

export function ProposeDialog({
  opened,
  onClose,
  onProposed,
  partners,
  partner,
}: {
  opened: boolean;
  onClose: () => void;
  onProposed: (a: AgreementView) => void;
  /** The partner directory's ids, offered as the id is typed (a new partner can still be typed). */
  partners: string[];
  /** The partner picked in the directory, if the dialog was opened from it. */
  partner: string | null;
}): ReactElement {
  const [form, setForm] = useState({ partnerOrgId: '', partnerPublicKey: '', direction: 'outbound', validFrom: today(), validUntil: today(365), documentHash: '' });
  useEffect(() => {
    if (opened && partner !== null) setForm((f) => ({ ...f, partnerOrgId: partner }));
  }, [opened, partner]);
  const [categories, setCategories] = useState<string[]>(['general']);
  const [purposes, setPurposes] = useState<string[]>(['TREAT']);
  const [error, setError] = useState<ApiCallError | null>(null);
  const [busy, setBusy] = useState(false);
  const issues = new Map(((error?.details as { issues?: { field: string; message: string }[] } | undefined)?.issues ?? []).map((i) => [i.field.split('.')[0]!, i.message]));
  // Read the value now: the event's currentTarget is gone by the time a state updater runs.
  const set = (k: keyof typeof form) => (e: { currentTarget: { value: string } }) => {
    const value = e.currentTarget.value;
    setForm((f) => ({ ...f, [k]: value }));
  };

  const submit = async (e: FormEvent): Promise<void> => {
    e.preventDefault();
    setBusy(true);
    setError(null);
    try {
      const a = await invoke('sharing.propose', {
        ...form,
        direction: form.direction as (typeof SHARING_DIRECTIONS)[number],
        categories: categories as (typeof CATEGORIES)[number][],
        purposes,
      });
      onProposed(a);
    } catch (err) {
      setError(err instanceof ApiCallError ? err : new ApiCallError('sharing.propose', 'INTERNAL', String(err)));
    } finally {
      setBusy(false);
    }
  };

  return (
    <Modal opened={opened} onClose={onClose} title="Propose a sharing agreement" size="lg" data-testid="propose-dialog" closeButtonProps={{ 'aria-label': 'Close without proposing' }}>
      <form onSubmit={(e) => void submit(e)}>
        <Stack gap="sm">
          {error && <ErrorBanner error={error} title="The agreement was not proposed" />}
          <SimpleGrid cols={2}>
            <Autocomplete
              label="Partner organisation id"
              required
              data={partners}
              value={form.partnerOrgId}
              onChange={(value) => setForm((f) => ({ ...f, partnerOrgId: value }))}
              error={issues.get('partnerOrgId')}
              data-testid="propose-partner"
            />
            <TextInput label="Partner public key" description="From the partner's Sharing page; the terms are sealed to it" required placeholder="0x02…" value={form.partnerPublicKey} onChange={set('partnerPublicKey')} error={issues.get('partnerPublicKey')} data-testid="propose-public-key" />
          </SimpleGrid>
          <NativeSelect
            label="Direction (seen from this organisation)"
            data={[
              { value: 'outbound', label: 'Outbound: we share with the partner' },
              { value: 'inbound', label: 'Inbound: the partner shares with us' },
              { value: 'both', label: 'Both ways' },
            ]}
            value={form.direction}
            onChange={set('direction')}
            data-testid="propose-direction"
          />
          <MultiSelect label="Data categories" data={[...CATEGORIES]} value={categories} onChange={setCategories} error={issues.get('categories')} data-testid="propose-categories" />
          <MultiSelect label="Purposes" data={[...RELEASE_PURPOSES]} value={purposes} onChange={setPurposes} error={issues.get('purposes')} data-testid="propose-purposes" />
          <SimpleGrid cols={2}>
            <TextInput label="Valid from (YYYY-MM-DD)" required value={form.validFrom} onChange={set('validFrom')} error={issues.get('validFrom')} data-testid="propose-from" />
            <TextInput label="Valid until, last day (YYYY-MM-DD)" required value={form.validUntil} onChange={set('validUntil')} error={issues.get('validUntil')} data-testid="propose-until" />
          </SimpleGrid>
          <TextInput label="SHA-256 of the signed paper agreement" required value={form.documentHash} onChange={set('documentHash')} error={issues.get('documentHash')} data-testid="propose-document" />
          <Group justify="flex-end">
            <Button variant="default" onClick={onClose}>
              Cancel
            </Button>
            <Button type="submit" loading={busy} data-testid="propose-submit">
              Sign and propose
            </Button>
          </Group>
        </Stack>
      </form>
    </Modal>
  );
}
