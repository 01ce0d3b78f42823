// Authorization model: permissions (named capabilities) grouped into roles; users hold roles.
import { defineEntity, p, type InferEntity } from '@mikro-orm/core';
import { randomUUID } from 'node:crypto';

export const Permission = defineEntity({
  name: 'Permission',
  tableName: 'permissions',
  properties: {
    id: p.string().primary().length(36).onCreate(() => randomUUID()),
    name: p.string().length(64).unique(),
    description: p.string().length(500).nullable(),
    /** Declared in code (see access/declarations.ts): synced at start, not deletable through the API. */
    builtIn: p.boolean().default(false),
    createdAt: p.datetime(),
  },
});
export type Permission = InferEntity<typeof Permission>;

export const Role = defineEntity({
  name: 'Role',
  tableName: 'roles',
  properties: {
    id: p.string().primary().length(36).onCreate(() => randomUUID()),
    name: p.string().length(64).unique(),
    description: p.string().length(500).nullable(),
    /** `admin` and `user`, and roles declared in code: they cannot be deleted. */
    builtIn: p.boolean().default(false),
    permissions: () => p.manyToMany(Permission).pivotTable('role_permissions').owner(),
    createdAt: p.datetime(),
    updatedAt: p.datetime(),
  },
});
export type Role = InferEntity<typeof Role>;
