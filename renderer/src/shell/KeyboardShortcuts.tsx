// The shortcut keys at work: one document listener (ignored while typing in a field or with a modifier held) and
// the help dialog that lists what this role may use (`?`, or "Keyboard shortcuts" in the account menu).
import { Kbd, Modal, Table } from '@mantine/core';
import { useEffect, useRef, type ReactElement } from 'react';
import { useSession } from '../auth/SessionContext';
import { navigate } from './router';
import { isTypingTarget, nextKey, shortcutsFor, type ShortcutAction } from './shortcuts';

/** Acts on an element once the page that holds it has rendered (a MutationObserver, never a timer guess). */
function whenPresent(selector: string, act: (el: HTMLElement) => void, onPage: string): void {
  const now = document.querySelector<HTMLElement>(selector);
  if (now) {
    act(now);
    return;
  }
  const observer = new MutationObserver(() => {
    const el = document.querySelector<HTMLElement>(selector);
    if (el) {
      observer.disconnect();
      act(el);
    }
  });
  observer.observe(document.body, { childList: true, subtree: true });
  // A page that never shows it (a role without it): stop watching once the person leaves that page.
  const leave = (): void => {
    if (window.location.hash.startsWith(onPage)) return;
    observer.disconnect();
    window.removeEventListener('hashchange', leave);
  };
  window.addEventListener('hashchange', leave);
}

function perform(action: ShortcutAction, openHelp: () => void): void {
  switch (action.kind) {
    case 'help':
      openHelp();
      return;
    case 'go':
      navigate(action.page);
      return;
    case 'focus-search':
      if (!window.location.hash.startsWith('#/consents') || window.location.hash.startsWith('#/consents/access')) navigate('consents');
      whenPresent('[data-testid="consents-search"]', (el) => el.focus(), '#/consents');
      return;
    case 'new-consent':
      if (!window.location.hash.startsWith('#/consents') || window.location.hash.startsWith('#/consents/access')) navigate('consents');
      whenPresent('[data-testid="consents-grant"]', (el) => el.click(), '#/consents');
      return;
    case 'check-access':
      navigate('consents', 'access');
      whenPresent('[data-testid="access-grantee"]', (el) => el.focus(), '#/consents/access');
  }
}

export function useKeyboardShortcuts(openHelp: () => void): void {
  const { can } = useSession();
  const pending = useRef<string[]>([]);
  useEffect(() => {
    const shortcuts = shortcutsFor(can);
    const onKey = (event: KeyboardEvent): void => {
      if (event.defaultPrevented || event.ctrlKey || event.metaKey || event.altKey) return;
      if (isTypingTarget(event.target as HTMLElement | null)) return;
      // Inside an open dialog, keys belong to the dialog.
      if ((event.target as HTMLElement | null)?.closest?.('[role="dialog"]')) return;
      const step = nextKey(shortcuts, pending.current, event.key);
      pending.current = step.pending;
      if (step.action) {
        event.preventDefault();
        perform(step.action, openHelp);
      }
    };
    document.addEventListener('keydown', onKey);
    return () => document.removeEventListener('keydown', onKey);
  }, [can, openHelp]);
}

export function ShortcutsDialog({ opened, onClose }: { opened: boolean; onClose: () => void }): ReactElement {
  const { can } = useSession();
  return (
    <Modal opened={opened} onClose={onClose} title="Keyboard shortcuts" closeButtonProps={{ 'aria-label': 'Close' }} data-testid="shortcuts-dialog">
      <Table fz="sm" verticalSpacing={4}>
        <Table.Thead>
          <Table.Tr>
            <Table.Th>Keys</Table.Th>
            <Table.Th>Does</Table.Th>
          </Table.Tr>
        </Table.Thead>
        <Table.Tbody>
          {shortcutsFor(can).map((s) => (
            <Table.Tr key={s.keys.join(' ')} data-testid="shortcut-row">
              <Table.Td>
                {s.keys.map((k, i) => (
                  <span key={i}>
                    {i > 0 && ' then '}
                    <Kbd size="xs">{k}</Kbd>
                  </span>
                ))}
              </Table.Td>
              <Table.Td>{s.description}</Table.Td>
            </Table.Tr>
          ))}
        </Table.Tbody>
      </Table>
    </Modal>
  );
}
