// The answer of Check access: the decision (and break-glass flag), the question it answers, who the grantee is as
// far as this workstation knows (provider directory, credential gate, and the cached verdict a permit rests on with
// its age), and which consents decided it. Takes focus when it appears, so a screen reader reads the new answer.
import { Alert, Badge, Code, Group, Paper, Stack, Table, Text, UnstyledButton } from '@mantine/core';
import { forwardRef, type ReactElement } from 'react';
import type { AccessDecision, AccessGranteeCheck, CategoryCode, PurposeCode } from '../../../../main/api/consents';
import { formatAge, formatDateTime } from '../../components/format';
import classes from './Consents.module.css';
import { BREAK_GLASS_COLOR } from './BreakGlassDialog';
import { CATEGORY_LABELS, PURPOSE_LABELS } from './labels';

// Filled badges with white text need dark shades (teal.6, red.6 and orange.6 fall below 4.5:1): the theme's
// light-variant text colours, which are 4.5:1 or better against white.
const PERMIT_COLOR = '#05664a';
const DENY_COLOR = '#a51d1d';

export interface Asked {
  grantee: string;
  patient: string;
  purpose: PurposeCode;
  category: CategoryCode;
  at: string | null;
}

const GATE_CODE_LABEL: Record<NonNullable<AccessGranteeCheck['code']>, string> = {
  NPI_INVALID: 'Not a valid NPI',
  DIRECTORY_MISSING: 'No provider directory here',
  NPI_NOT_IN_DIRECTORY: 'Not in the provider directory',
  NO_CREDENTIALS: 'No credentials on file',
  NO_CURRENT_CREDENTIAL: 'No current verified credential',
};

/** A label inside a sentence: lower case, except an acronym ("HIV" stays "HIV"). */
function inSentence(label: string): string {
  return label === label.toUpperCase() ? label : label.toLowerCase();
}

/** One sentence a screen reader announces for a new answer. */
export function announcementOf(result: AccessDecision, asked: Asked): string {
  const what = result.breakGlass ? 'Permit, by break-glass emergency access' : result.decision === 'permit' ? 'Permit' : 'Deny';
  return `${what} for ${asked.grantee}, ${asked.purpose}, ${inSentence(CATEGORY_LABELS[asked.category])}. ${result.reason}`;
}

function GranteeFacts({ grantee, npi }: { grantee: AccessGranteeCheck; npi: string }): ReactElement {
  if (grantee.kind === 'org') {
    return (
      <Text size="sm" data-testid="access-grantee-facts" data-kind="org">
        <Code>{npi}</Code> is an organisation: no provider credential is needed.
      </Text>
    );
  }
  const listed = grantee.directory?.listed ?? false;
  return (
    <Stack gap={4} data-testid="access-grantee-facts" data-kind="npi" data-listed={String(listed)} data-gate={grantee.gate} data-code={grantee.code ?? undefined}>
      <Group gap="xs">
        <Text size="sm" fw={600}>
          Provider
        </Text>
        {listed ? (
          <Text size="sm" data-testid="access-provider-name">
            {grantee.directory?.providerName} (NPI <Code>{npi}</Code>)
          </Text>
        ) : (
          <Badge color="red" variant="light" tt="none" data-testid="access-not-in-directory">
            {grantee.code ? GATE_CODE_LABEL[grantee.code] : 'Not in the provider directory'}
          </Badge>
        )}
        {listed && grantee.code && (
          <Badge color="red" variant="light" tt="none" data-testid="access-gate-code">
            {GATE_CODE_LABEL[grantee.code]}
          </Badge>
        )}
      </Group>
      {grantee.cachedVerdict ? (
        <Text size="sm" data-testid="access-cached-verdict" data-age-seconds={grantee.cachedVerdict.ageSeconds}>
          Rests on the <strong>cached</strong> credential verdict “{grantee.cachedVerdict.verdict.replace(/_/g, ' ')}” from {formatDateTime(grantee.cachedVerdict.lastVerifiedAt)},{' '}
          {formatAge(grantee.cachedVerdict.ageSeconds)} old: the registry was not asked for this answer.
        </Text>
      ) : (
        <Text size="sm" c="dimmed">
          {grantee.reason}
        </Text>
      )}
    </Stack>
  );
}

export interface AccessDecisionViewProps {
  result: AccessDecision;
  asked: Asked;
  onOpenConsent: (id: number) => void;
}

export const AccessDecisionView = forwardRef<HTMLDivElement, AccessDecisionViewProps>(function AccessDecisionView({ result, asked, onOpenConsent }, ref): ReactElement {
  const permit = result.decision === 'permit';
  return (
    <Paper
      ref={ref}
      withBorder
      radius="md"
      p="md"
      tabIndex={-1}
      aria-label="Access answer"
      data-testid="access-result"
      data-decision={result.decision}
      data-break-glass={String(result.breakGlass)}
      component="section"
    >
      <Stack gap="sm">
        <Group gap="sm" align="center">
          <Badge size="xl" radius="sm" color={permit ? PERMIT_COLOR : DENY_COLOR} variant="filled" data-testid="access-decision">
            {permit ? 'Permit' : 'Deny'}
          </Badge>
          {result.breakGlass && (
            <Badge size="lg" radius="sm" color={BREAK_GLASS_COLOR} variant="filled" data-testid="access-break-glass">
              Break-glass
            </Badge>
          )}
          <Text size="sm" c="dimmed">
            Decided for {formatDateTime(result.at)} (local time{asked.at ? '' : ': now'})
          </Text>
        </Group>
        <Text size="sm" data-testid="access-asked">
          May <Code>{asked.grantee}</Code> see the <strong>{inSentence(CATEGORY_LABELS[asked.category])}</strong> records of {asked.patient} for{' '}
          <strong>
            {asked.purpose} ({PURPOSE_LABELS[asked.purpose].toLowerCase()})
          </strong>
          ?
        </Text>
        <Text size="sm" fw={500} data-testid="access-reason">
          {result.reason}
        </Text>
        <GranteeFacts grantee={result.grantee} npi={asked.grantee} />
        {result.breakGlass && (
          <Alert color="orange" variant="light" py="xs">
            <Text size="sm">
              Emergency access overrides the patient’s consents. It is recorded in the audit trail with your reason and appears in the auditor’s
              break-glass review list.
            </Text>
          </Alert>
        )}
        {result.decidedBy.length > 0 ? (
          <Table withTableBorder verticalSpacing={4} horizontalSpacing={8} fz="xs" data-testid="access-decided-by">
            <Table.Thead>
              <Table.Tr>
                <Table.Th w={80}>Consent</Table.Th>
                <Table.Th w={140}>External id</Table.Th>
                <Table.Th w={80}>Decision</Table.Th>
                <Table.Th w={130}>In this decision</Table.Th>
                <Table.Th>Why</Table.Th>
              </Table.Tr>
            </Table.Thead>
            <Table.Tbody>
              {result.decidedBy.map((c) => (
                <Table.Tr key={c.consentId} data-testid="access-decided-by-row" data-consent-id={c.consentId} data-counts={String(c.counts)}>
                  <Table.Td>
                    <UnstyledButton className={classes.idLink} onClick={() => onOpenConsent(c.consentId)} aria-label={`Open consent ${c.consentId}`}>
                      #{c.consentId}
                    </UnstyledButton>
                  </Table.Td>
                  <Table.Td className={classes.mono}>{c.externalId ?? '—'}</Table.Td>
                  <Table.Td>
                    <Badge size="sm" variant="light" color={c.decision === 'permit' ? 'teal' : 'red'} tt="none">
                      {c.decision}
                    </Badge>
                  </Table.Td>
                  <Table.Td>
                    {c.counts ? (
                      <Text size="xs" fw={600}>
                        Decides
                      </Text>
                    ) : (
                      <Text size="xs" c="dimmed">
                        Does not count
                      </Text>
                    )}
                  </Table.Td>
                  <Table.Td>{c.why}</Table.Td>
                </Table.Tr>
              ))}
            </Table.Tbody>
          </Table>
        ) : (
          <Text size="sm" c="dimmed">
            No consent on file for this grantee, patient, purpose and category: without a consent, access is denied.
          </Text>
        )}
      </Stack>
    </Paper>
  );
});
