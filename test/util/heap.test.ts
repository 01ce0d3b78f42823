// The collection `gatehouse serve` runs before listening (src/util/heap.ts).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { setImmediate as nextTurn } from 'node:timers/promises';
import { collectStartupGarbage } from '../../src/util/heap.ts';

test('collectStartupGarbage frees unreachable objects and leaves no gc function behind', async () => {
  const before = 'gc' in globalThis;
  const ref = new WeakRef({ payload: new Array(1000).fill('garbage') });
  // A WeakRef keeps its target alive until the current job ends.
  await nextTurn();
  collectStartupGarbage();
  assert.equal(ref.deref(), undefined);
  assert.equal('gc' in globalThis, before);
  // Callable again (serve runs it once, but nothing breaks if it runs twice).
  collectStartupGarbage();
});
