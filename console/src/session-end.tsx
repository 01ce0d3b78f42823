// Notices the end of the console's own session while it is open: the live `viewerSessionEnded`
// event (revoked, expired, password changed, account disabled or deleted: the server says which),
// or any request answering UNAUTHENTICATED. Either way the shell is told once, with a sentence
// for the sign-in page, instead of leaving pages that can no longer load anything.
import { useEffect, useRef } from 'preact/hooks';
import { onUnauthenticated } from './api.ts';
import { ConsoleViewerSessionEndedDocument, type SessionEndReason } from './generated/graphql.ts';
import { subscribe } from './live.ts';

const REASONS: Record<SessionEndReason, string> = {
  LOGOUT: 'You were signed out (in another tab or window).',
  SESSION_REVOKED: 'Your session was ended, by you elsewhere or by an administrator.',
  SESSION_EXPIRED: 'Your session expired.',
  PASSWORD_CHANGED: 'Your password was changed, which ends every session.',
  TOKEN_REVOKED: 'The access token you signed in with was revoked.',
  TOKEN_EXPIRED: 'The access token you signed in with expired.',
  USER_DISABLED: 'Your account was disabled by an administrator.',
  USER_BANNED: 'Your account was suspended by an administrator for a while.',
  USER_DELETED: 'Your account was deleted.',
};

export const sessionEndNotice = (reason: SessionEndReason): string => `${REASONS[reason] ?? 'Your session ended.'} Sign in again to go on.`;

export const UNAUTHENTICATED_NOTICE = 'Your session has ended. Sign in again to go on.';

/** Mounted inside the signed-in shell; `onEnded` runs at most once per mount. */
export function SessionEndWatch({ onEnded }: { onEnded: (notice: string) => void }) {
  const latest = useRef(onEnded);
  latest.current = onEnded;
  useEffect(() => {
    let ended = false;
    const end = (notice: string) => {
      if (ended) return;
      ended = true;
      latest.current(notice);
    };
    onUnauthenticated(() => end(UNAUTHENTICATED_NOTICE));
    const unsubscribe = subscribe(
      ConsoleViewerSessionEndedDocument,
      {},
      (data) => end(sessionEndNotice(data.viewerSessionEnded.reason)),
      // Missed the event (the socket was down when it went out)? The socket reopens anonymously
      // and the subscription is then refused as UNAUTHENTICATED.
      (error) => {
        if (Array.isArray(error) && error.some((e: { extensions?: { code?: string } }) => e?.extensions?.code === 'UNAUTHENTICATED')) end(UNAUTHENTICATED_NOTICE);
      },
    );
    return () => {
      onUnauthenticated(null);
      unsubscribe();
    };
  }, []);
  return null;
}
