// Who is signed in, for every page: `can(permission)` decides what the console offers (the server
// enforces the same rules; the console only hides what would be refused).
import { createContext } from 'preact';
import { useContext } from 'preact/hooks';
import type { ConsoleStartQuery } from './generated/graphql.ts';

export type Viewer = NonNullable<ConsoleStartQuery['viewer']>;

export interface ViewerContextValue {
  viewer: Viewer;
  can: (permission: string) => boolean;
  /** Reads the viewer again (after a change to their own roles, profile or password). */
  reload: () => Promise<void>;
}

export const ViewerContext = createContext<ViewerContextValue | null>(null);

export function useViewer(): ViewerContextValue {
  const value = useContext(ViewerContext);
  if (!value) throw new Error('useViewer outside the signed-in console');
  return value;
}

export const canFor =
  (viewer: Viewer) =>
  (permission: string): boolean =>
    viewer.isAdmin || viewer.permissions.includes(permission);
