// Server-wide settings that must survive restarts, one JSON value per key (the maintenance state
// is the first; it lives under MAINTENANCE_KEY in service.ts).
import { defineEntity, p, type InferEntity } from '@mikro-orm/core';

export const SystemSetting = defineEntity({
  name: 'SystemSetting',
  tableName: 'system_settings',
  properties: {
    key: p.string().primary().length(64),
    value: p.json<Record<string, unknown>>(),
    updatedAt: p.datetime(),
    /** The email of whoever changed it last; null for the command line or the server itself. */
    updatedBy: p.string().length(320).nullable(),
  },
});
export type SystemSetting = InferEntity<typeof SystemSetting>;
