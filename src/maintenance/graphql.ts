// GraphQL for maintenance mode: the public state (`maintenance`), its live feed
// (`maintenanceModeChanged`, over graphql-ws and SSE) and the switch (`setMaintenanceMode`).
import { builder } from '../schema/builder.ts';
import { ValidationFailedError } from '../errors.ts';
import { PERMISSIONS } from '../access/declarations.ts';
import { SHARED_PER_ACCESS } from '../realtime/shared-subscriptions.ts';
import { maintenanceStates, MAINTENANCE_MESSAGE_MAX, setMaintenanceMode, type MaintenanceState } from './service.ts';

const anyone = { public: true } as const;
const canWrite = { permission: PERMISSIONS.maintenanceWrite } as const;
const canChange = { $all: { permission: PERMISSIONS.maintenanceWrite, recentSignIn: true } } as const;

export const MaintenanceStateRef = builder.objectRef<MaintenanceState>('MaintenanceState').implement({
  description:
    'Whether the server is in maintenance mode. While it is, operations of everyone but admins fail with ' +
    '`MAINTENANCE_MODE`, except `maintenance`, `maintenanceModeChanged`, `viewerSessionEnded`, `login`, `logout`, ' +
    '`setupStatus`, `viewer`, `oauthProviders`, `startOAuthLogin`, `completeOAuthLogin`, `startPasskeyLogin` and `finishPasskeyLogin`.',
  fields: (t) => ({
    enabled: t.exposeBoolean('enabled', { authScopes: anyone }),
    message: t.exposeString('message', { nullable: true, authScopes: anyone, description: 'What users are told while the mode is on.' }),
    endsAt: t.expose('endsAt', {
      type: 'DateTime',
      nullable: true,
      authScopes: anyone,
      description: 'The announced end, if any. Informational: the mode stays on until an admin turns it off.',
    }),
    updatedAt: t.expose('updatedAt', {
      type: 'DateTime',
      nullable: true,
      authScopes: anyone,
      description: 'When the mode was last changed; null if it never was.',
    }),
    updatedBy: t.exposeString('updatedBy', {
      nullable: true,
      authScopes: canWrite,
      // Others get null rather than an error, so one selection works for every viewer.
      unauthorizedResolver: () => null,
      description: 'The email of the admin who changed it last (null for the command line). Null for viewers without the permission.',
    }),
  }),
});

builder.queryFields((t) => ({
  maintenance: t.field({
    type: MaintenanceStateRef,
    authScopes: anyone,
    description: 'The maintenance state. Allowed while maintenance mode is on.',
    resolve: (_root, _args, ctx) => ctx.services.maintenance.current,
  }),
}));

builder.mutationFields((t) => ({
  setMaintenanceMode: t.fieldWithInput({
    type: MaintenanceStateRef,
    nullable: true,
    authScopes: canChange,
    description:
      'Turns maintenance mode on or off (off clears the message and end time). Audited as `maintenance.on` / ' +
      '`maintenance.off`; every `maintenanceModeChanged` subscriber receives the new state.',
    errors: { types: [ValidationFailedError] },
    input: {
      enabled: t.input.boolean({ required: true }),
      message: t.input.string({ description: `Shown to users; at most ${MAINTENANCE_MESSAGE_MAX} characters.` }),
      endsAt: t.input.field({ type: 'DateTime', description: 'The announced end; must be in the future.' }),
    },
    resolve: (_root, { input }, ctx) => setMaintenanceMode(ctx, input),
  }),
}));

builder.subscriptionFields((t) => ({
  maintenanceModeChanged: t.field({
    type: MaintenanceStateRef,
    nullable: true,
    authScopes: anyone,
    description:
      'The maintenance state now, then after every change (by an admin, the command line or another process). ' +
      'Over graphql-ws on /graphql or over SSE (`Accept: text/event-stream`).',
    subscribe: (_root, _args, ctx) => maintenanceStates(ctx.services),
    resolve: (state) => state,
    // The same for every viewer with the same permissions: executed once per event for all of them.
    extensions: SHARED_PER_ACCESS,
  }),
}));
