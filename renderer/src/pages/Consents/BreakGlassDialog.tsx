// Emergency access (break-glass) as its own action: a dialog that restates what will be opened, asks why, and
// opens it only on an explicit confirmation. Choosing the ETREAT purpose in Check access never does this.
import { Alert, Modal, Stack, Text } from '@mantine/core';
import { useEffect, type FormEvent, type ReactElement } from 'react';
import type { CategoryCode } from '../../../../main/api/consents';
import { ConfirmButtons, ReasonField, useReason } from '../../components/ReasonedConfirm';
import { CATEGORY_LABELS } from './labels';

/** Break-glass orange dark enough for white text and for text on white (7:1; Mantine's orange.6 is 2.6:1). */
export const BREAK_GLASS_COLOR = '#9c3510';

export interface BreakGlassTarget {
  grantee: string;
  patient: string;
  category: CategoryCode;
}

export interface BreakGlassDialogProps {
  target: BreakGlassTarget | null;
  pending: boolean;
  onCancel: () => void;
  onConfirm: (reason: string) => void;
}

export function BreakGlassDialog({ target, pending, onCancel, onConfirm }: BreakGlassDialogProps): ReactElement {
  const reason = useReason('Say why the record must be opened now (at least 3 characters).');
  const { reset } = reason;
  useEffect(() => {
    if (target) reset();
  }, [target, reset]);

  const submit = (event: FormEvent): void => {
    event.preventDefault();
    const why = reason.validate();
    if (why !== null) onConfirm(why);
  };

  return (
    <Modal opened={target !== null} onClose={onCancel} title="Emergency access (break-glass)" size="lg" closeButtonProps={{ 'aria-label': 'Close' }} data-testid="break-glass-dialog">
      {target && (
        <form onSubmit={submit} noValidate>
          <Stack gap="sm">
            <Alert color="orange" variant="light">
              <Text size="sm">
                This opens the <strong>{CATEGORY_LABELS[target.category]}</strong> records of <strong>{target.patient}</strong> to{' '}
                <strong>{target.grantee}</strong> for emergency treatment, whatever the patient’s consents say. It is recorded in the audit trail with your
                name and reason, and an auditor reviews it.
              </Text>
            </Alert>
            <Text size="sm" c="dimmed">
              A provider who is not in the provider directory cannot be given emergency access: the answer will say so.
            </Text>
            <ReasonField state={reason} label="Reason for emergency access" description="Required. Recorded in the audit trail and reviewed by an auditor." testId="break-glass-reason" />
            <ConfirmButtons onCancel={onCancel} confirm={{ label: 'Open with break-glass', color: BREAK_GLASS_COLOR, pending }} testIdPrefix="break-glass" />
          </Stack>
        </form>
      )}
    </Modal>
  );
}
