// Subscriptions executed once per event for all their subscribers. A subscription field whose
// events look the same to every viewer with the same permissions (`maintenanceModeChanged`)
// declares it with `extensions: SHARED_PER_ACCESS`. Subscribers of such a field with the same
// document, operation, variables and access form a group: the group subscribes once (with the
// first member's context) and every event is executed once, then handed to each member. Without
// it, each of 10,000 subscribers ran the whole executor (Pothos, scope-auth, envelop) per event.
//
// Everything per subscriber still happens per subscriber: the envelop hooks before subscribe (the
// maintenance gate, validation, limits), the ones on the result (error masking, ending revoked SSE
// subscriptions) and the transport. A member that joins a running group gets the group's latest
// result first, as a subscriber of the field gets the current state first.
import { Kind, getOperationAST, type DocumentNode, type ExecutionResult, type GraphQLSchema } from 'graphql';
import { isAsyncIterable, type Plugin } from 'graphql-yoga';
import { viewerAccess, type RequestScope } from '../context.ts';

const SHARED_EXTENSION = 'gatehouseSharedPerAccess';

/** Field extension: the field's events depend only on the event and the viewer's permissions. */
export const SHARED_PER_ACCESS = { [SHARED_EXTENSION]: true } as const;

/** Members handed an event per macrotask, so a large fan-out lets other I/O (and its own writes) through. */
const DELIVERY_CHUNK = 512;

type Result = ExecutionResult;

interface SubscribeArgs {
  schema: GraphQLSchema;
  document: DocumentNode;
  operationName?: string | null | undefined;
  variableValues?: Record<string, unknown> | null | undefined;
  contextValue?: unknown;
}

type SubscribeFn = (args: never) => unknown;

/** One subscriber's view of a group: results in order, from the moment it joined. */
class Member implements AsyncIterableIterator<Result> {
  readonly #queue: Result[] = [];
  #waiting: ((result: IteratorResult<Result>) => void) | null = null;
  #failed: ((error: unknown) => void) | null = null;
  #error: { error: unknown } | null = null;
  #done = false;
  readonly #leave: (member: Member) => void;

  constructor(leave: (member: Member) => void) {
    this.#leave = leave;
  }

  push(result: Result): void {
    if (this.#done) return;
    const waiting = this.#waiting;
    if (waiting) {
      this.#waiting = this.#failed = null;
      waiting({ done: false, value: result });
    } else this.#queue.push(result);
  }

  /** The group ended: queued results are still delivered, then the end (or the error). */
  end(error?: { error: unknown }): void {
    if (this.#done) return;
    this.#done = true;
    this.#error = error ?? null;
    if (this.#waiting) this.#settle();
  }

  #settle(): void {
    const waiting = this.#waiting!;
    const failed = this.#failed!;
    this.#waiting = this.#failed = null;
    if (this.#error) failed(this.#error.error);
    else waiting({ done: true, value: undefined });
  }

  next(): Promise<IteratorResult<Result>> {
    if (this.#queue.length) return Promise.resolve({ done: false, value: this.#queue.shift()! });
    if (this.#done) {
      const error = this.#error;
      this.#error = null;
      return error ? Promise.reject(error.error) : Promise.resolve({ done: true, value: undefined });
    }
    return new Promise((resolve, reject) => {
      this.#waiting = resolve;
      this.#failed = reject;
    });
  }

  async return(): Promise<IteratorResult<Result>> {
    this.#queue.length = 0;
    if (!this.#done) {
      this.#done = true;
      this.#leave(this);
    }
    if (this.#waiting) this.#settle();
    return { done: true, value: undefined };
  }

  async throw(error: unknown): Promise<IteratorResult<Result>> {
    await this.return();
    throw error;
  }

  [Symbol.asyncIterator](): this {
    return this;
  }
}

class Group {
  readonly members = new Set<Member>();
  /** The latest result, handed first to members that join later. */
  latest: Result | null = null;
  source: AsyncIterator<Result> | null = null;
  ended = false;
  readonly #remove: () => void;

  constructor(remove: () => void) {
    this.#remove = remove;
  }

  join(): Member {
    const member = new Member((m) => this.leave(m));
    this.members.add(member);
    if (this.latest) member.push(this.latest);
    return member;
  }

  leave(member: Member): void {
    this.members.delete(member);
    if (this.members.size === 0) this.end();
  }

  /** Stops the source and forgets the group; members still in it end after what they have queued. */
  end(error?: { error: unknown }): void {
    if (this.ended) return;
    this.ended = true;
    this.#remove();
    for (const member of this.members) member.end(error);
    void this.source?.return?.()?.then(undefined, () => undefined);
  }

  /** What the underlying subscribe gave: the stream the group pumps, or an error result. */
  started!: Promise<unknown>;

  start(subscribe: () => unknown): void {
    this.started = (async () => subscribe())();
    this.started.then(
      (result) => (isAsyncIterable(result) ? void this.#pump(result as AsyncIterable<Result>) : this.end()),
      () => this.end(),
    );
  }

  async #pump(source: AsyncIterable<Result>): Promise<void> {
    const iterator = (this.source = source[Symbol.asyncIterator]());
    if (this.ended) {
      void iterator.return?.()?.then(undefined, () => undefined);
      return;
    }
    try {
      for (;;) {
        const step = await iterator.next();
        if (this.ended) return;
        if (step.done) return this.end();
        this.latest = step.value;
        deliver([...this.members], step.value);
      }
    } catch (error) {
      this.end({ error });
    }
  }
}

/** Hands `result` to each member, DELIVERY_CHUNK per macrotask (each member keeps its own order). */
function deliver(members: Member[], result: Result): void {
  let next = 0;
  const step = () => {
    const end = Math.min(next + DELIVERY_CHUNK, members.length);
    for (; next < end; next++) members[next]!.push(result);
    if (next < members.length) setImmediate(step);
  };
  step();
}

/** The subscription field an operation selects, when it is selected directly (no fragment at the root). */
function rootField(args: SubscribeArgs): string | null {
  const operation = getOperationAST(args.document, args.operationName ?? undefined);
  if (operation?.operation !== 'subscription' || operation.selectionSet.selections.length !== 1) return null;
  const selection = operation.selectionSet.selections[0]!;
  return selection.kind === Kind.FIELD ? selection.name.value : null;
}

async function accessKey(scope: RequestScope): Promise<string> {
  if (!scope.viewer) return 'anonymous';
  const access = await viewerAccess(scope);
  return access.isAdmin ? 'admin' : `permissions:${[...access.permissions].sort().join(',')}`;
}

export interface SharedSubscriptions {
  plugin: Plugin;
  /** How many groups run (for tests). */
  readonly groups: number;
}

/**
 * An envelop plugin: list it after the plugins whose onSubscribe may refuse an operation (they
 * run for each subscriber before it joins a group).
 */
export function createSharedSubscriptions(): SharedSubscriptions {
  // Per document (the parser cache hands out one DocumentNode per query text): groups by the rest of the key.
  const groups = new WeakMap<DocumentNode, Map<string, Group>>();
  let count = 0;

  const plugin: Plugin = {
    async onSubscribe({ args, subscribeFn, setSubscribeFn }) {
      const field = rootField(args);
      if (!field) return;
      const definition = args.schema.getSubscriptionType()?.getFields()[field];
      if (definition?.extensions?.[SHARED_EXTENSION] !== true) return;
      const key = JSON.stringify([args.operationName ?? null, args.variableValues ?? null, await accessKey(args.contextValue as unknown as RequestScope)]);
      const underlying = subscribeFn as SubscribeFn;
      setSubscribeFn(async (subscribeArgs) => {
        let byKey = groups.get(args.document);
        if (!byKey) groups.set(args.document, (byKey = new Map()));
        let group = byKey.get(key);
        if (!group) {
          const created: Group = new Group(() => {
            count--;
            if (byKey.get(key) === created) byKey.delete(key);
          });
          byKey.set(key, created);
          count++;
          // The first subscriber starts the group with its own arguments (same permissions as every later member).
          created.start(() => underlying(subscribeArgs as never));
          group = created;
        }
        const member = group.join();
        const started = await group.started;
        if (isAsyncIterable(started)) return member;
        // No stream (an error result): every member that waited for this start gets the same result.
        void member.return();
        return started;
      });
    },
  };
  return {
    plugin,
    get groups() {
      return count;
    },
  };
}
