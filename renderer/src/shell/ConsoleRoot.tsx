// Which screen the window shows for its session: checking, set-up, sign-in, the lock screen, or the console.
// The console is keyed by staff member, so a different person signing in never sees the previous one's screen state.
import type { ReactElement } from 'react';
import { ForcedPasswordChangeScreen } from '../auth/ForcedPasswordChangeScreen';
import { LockScreen } from '../auth/LockScreen';
import { useSession } from '../auth/SessionContext';
import { SetupScreen } from '../auth/SetupScreen';
import { SignInScreen } from '../auth/SignInScreen';
import { CheckingScreen, UnreachableScreen } from '../auth/UnreachableScreen';
import { DEFAULT_PAGE_ID, PAGES } from '../pages/registry';
import { AppFrame } from './AppFrame';
import { AuthFrame } from './AuthFrame';
import { useRoute } from './router';

export function ConsoleRoot(): ReactElement {
  const { state, recheck } = useSession();
  const route = useRoute();
  switch (state.kind) {
    case 'signed-in':
      return <AppFrame key={state.principal.id} />;
    case 'must-change-password':
      return (
        <AuthFrame>
          <ForcedPasswordChangeScreen />
        </AuthFrame>
      );
    case 'checking':
      return (
        <AuthFrame>
          <CheckingScreen />
        </AuthFrame>
      );
    case 'unreachable':
      return (
        <AuthFrame>
          <UnreachableScreen error={state.error} onRetry={recheck} />
        </AuthFrame>
      );
    case 'setup':
      return (
        <AuthFrame>
          <SetupScreen />
        </AuthFrame>
      );
    case 'signed-out':
      return (
        <AuthFrame>
          <SignInScreen notice={state.notice} />
        </AuthFrame>
      );
    case 'locked': {
      const page = PAGES.find((p) => p.id === (route || DEFAULT_PAGE_ID));
      return (
        <AuthFrame>
          <LockScreen returnTo={page?.label ?? null} />
        </AuthFrame>
      );
    }
  }
}
