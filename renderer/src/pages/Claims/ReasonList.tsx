// Every reason of a claim's verdict, each with its code and the explanation (the pass case says so plainly).
import { Badge, List, Text } from '@mantine/core';
import type { ReactElement } from 'react';
import type { ClaimReasonView } from '../../../../main/api/claims';
import { reasonLabel } from './labels';

export function ReasonList({ verdict, reasons }: { verdict: 'pass' | 'fail'; reasons: ClaimReasonView[] }): ReactElement {
  if (verdict === 'pass') return <Text size="sm" data-testid="claim-reasons">Passed every pre-check: consent for payment, a verified credential on the service date, no duplicate, well-formed fields.</Text>;
  return (
    <List spacing="xs" size="sm" data-testid="claim-reasons" aria-label="Reasons the claim failed">
      {reasons.map((r, i) => (
        <List.Item key={i} data-reason={r.code}>
          <Badge color="red" variant="light" mr="xs">
            {reasonLabel(r.code)}
          </Badge>
          {r.message}
        </List.Item>
      ))}
    </List>
  );
}
