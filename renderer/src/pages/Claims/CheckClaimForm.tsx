// "Check a claim": the claim's fields as typed, checked in main with the same rules as an imported row; the
// verdict shows every reason. With "Submit if it passes" a passing claim is stored and queued for the chain.
import { Alert, Button, Checkbox, Code, Group, Paper, SimpleGrid, Stack, TextInput, Title } from '@mantine/core';
import { useState, type FormEvent, type ReactElement } from 'react';
import type { ClaimCheckResult, ClaimForm } from '../../../../main/api/claims';
import { ApiCallError, invoke } from '../../api/client';
import { ErrorBanner } from '../../components/ErrorBanner';
import { ReasonList } from './ReasonList';

const EMPTY: ClaimForm = { claimId: '', facility: '', mrn: '', renderingNpi: '', payerId: '', serviceDate: '', codes: '', amount: '' };
const FIELDS: Array<[keyof ClaimForm, string, string]> = [
  ['claimId', 'Claim id', 'CLM-0001'],
  ['facility', 'Facility', 'GH01'],
  ['mrn', 'Patient MRN', ''],
  ['renderingNpi', 'Rendering provider NPI', '10 digits'],
  ['payerId', 'Payer id', 'PAYER-ACME'],
  ['serviceDate', 'Service date', 'YYYY-MM-DD'],
  ['codes', 'Service codes', '99213; E11.9'],
  ['amount', 'Amount (USD)', '125.00'],
];

export function CheckClaimForm({ maySubmit, onStored }: { maySubmit: boolean; onStored: () => void }): ReactElement {
  const [form, setForm] = useState<ClaimForm>(EMPTY);
  const [submit, setSubmit] = useState(false);
  const [pending, setPending] = useState(false);
  const [result, setResult] = useState<ClaimCheckResult | null>(null);
  const [error, setError] = useState<ApiCallError | null>(null);
  const issues = (error?.details as { issues?: { field: string; message: string }[] } | undefined)?.issues ?? [];
  const fieldError = (field: string) => issues.find((i) => i.field === field)?.message;

  const onSubmit = (e: FormEvent): void => {
    e.preventDefault();
    setPending(true);
    setError(null);
    setResult(null);
    invoke('claims.check', { claim: form, submit: submit && maySubmit })
      .then((r) => {
        setResult(r);
        if (r.stored) onStored();
      })
      .catch((err: unknown) => setError(err instanceof ApiCallError ? err : new ApiCallError('claims.check', 'INTERNAL', String(err))))
      .finally(() => setPending(false));
  };

  return (
    <Stack gap="md">
      <Paper withBorder p="md" component="form" onSubmit={onSubmit} aria-label="Check a claim">
        <SimpleGrid cols={{ base: 1, sm: 2, lg: 4 }} spacing="sm">
          {FIELDS.map(([field, label, placeholder]) => (
            <TextInput
              key={field}
              label={label}
              placeholder={placeholder}
              value={form[field]}
              error={fieldError(field)}
              onChange={(e) => setForm({ ...form, [field]: e.currentTarget.value })}
              data-testid={`claim-field-${field}`}
            />
          ))}
        </SimpleGrid>
        <Group mt="md" justify="space-between">
          <Checkbox label="Submit if it passes (store and queue for the chain)" checked={submit} disabled={!maySubmit} onChange={(e) => setSubmit(e.currentTarget.checked)} data-testid="claim-submit-toggle" />
          <Button type="submit" loading={pending} data-testid="claim-check-button">
            Check claim
          </Button>
        </Group>
      </Paper>
      {error && <ErrorBanner error={error} title="The claim could not be checked" />}
      {result && (
        <Alert color={result.verdict === 'pass' ? 'green' : 'red'} variant="light" data-testid="claim-verdict" data-verdict={result.verdict}>
          <Title order={2} fz="h5" mb="xs">
            {result.verdict === 'pass' ? 'Pass' : `Fail: ${result.reasons.length} reason${result.reasons.length === 1 ? '' : 's'}`}
            {result.stored ? ` · stored as claim #${result.stored.id}, ${result.verdict === 'pass' ? 'queued for the chain' : 'not sent'}` : ''}
          </Title>
          <ReasonList verdict={result.verdict} reasons={result.reasons} />
          <Code mt="xs" fz="xs" display="block">
            content hash {result.contentHash}
          </Code>
        </Alert>
      )}
    </Stack>
  );
}
