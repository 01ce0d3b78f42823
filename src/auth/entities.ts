// Sign-in: the devices (browser family + network) an account has signed in from, so a sign-in
// from a new one can be told to its owner. Only a keyed hash of what identifies the device is kept.
import { defineEntity, p, type InferEntity } from '@mikro-orm/core';
import { randomUUID } from 'node:crypto';
import { User } from '../accounts/entities.ts';

export const KnownDevice = defineEntity({
  name: 'KnownDevice',
  tableName: 'known_devices',
  uniques: [{ properties: ['user', 'deviceHash'] }],
  properties: {
    id: p.string().primary().length(36).onCreate(() => randomUUID()),
    user: () => p.manyToOne(User).deleteRule('cascade'),
    /** HMAC (SECRETS_KEY) of the browser and OS family and the network prefix of the address. */
    deviceHash: p.string().length(64),
    firstSeenAt: p.datetime(),
    lastSeenAt: p.datetime(),
  },
});
export type KnownDevice = InferEntity<typeof KnownDevice>;
