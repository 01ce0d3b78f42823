// The gate every request passes before it touches the database, so the database can be swapped
// under a running server: `exclusive` holds new requests at the gate, waits (a bounded time) for
// the ones inside to finish, runs the swap, and lets the held requests through afterwards.
import { AsyncLocalStorage } from 'node:async_hooks';

interface Ticket {
  released: boolean;
}

export class DatabaseGate {
  readonly #inside = new Set<Ticket>();
  readonly #current = new AsyncLocalStorage<Ticket>();
  #closed: Promise<void> | null = null;
  #drained: (() => void) | null = null;

  /** True while a swap holds the gate. */
  get closed(): boolean {
    return this.#closed !== null;
  }

  /** How many requests are inside. */
  get inside(): number {
    return this.#inside.size;
  }

  /** Runs `work` inside the gate: after any swap in progress, and before the next one starts. */
  async run<T>(work: () => Promise<T>): Promise<T> {
    // Already inside (a nested call): waiting here would wait for our own swap.
    if (this.#holding()) return work();
    const ticket = await this.enter();
    return this.within(ticket, work);
  }

  /** Enters, for work whose start and end are in different callbacks; `within` runs and leaves. */
  async enter(): Promise<Ticket> {
    while (this.#closed) await this.#closed;
    const ticket: Ticket = { released: false };
    this.#inside.add(ticket);
    return ticket;
  }

  /** Runs `work` as the holder of `ticket`, then leaves the gate. */
  async within<T>(ticket: Ticket, work: () => Promise<T>): Promise<T> {
    try {
      return await this.#current.run(ticket, work);
    } finally {
      this.leave(ticket);
    }
  }

  /**
   * Runs `work` with the caller out of the gate (if it was in), so that a swap does not wait for a
   * request that itself waits — e.g. for a backup queued behind the restore doing the swap. The
   * caller is back inside when this returns; its EntityManager may belong to a replaced database.
   */
  async outside<T>(work: () => Promise<T>): Promise<T> {
    const ticket = this.#holding();
    if (!ticket) return work();
    this.#inside.delete(ticket);
    this.#drained?.();
    try {
      return await work();
    } finally {
      while (this.#closed) await this.#closed;
      if (!ticket.released) this.#inside.add(ticket);
    }
  }

  /** The caller's ticket while it is inside. */
  #holding(): Ticket | null {
    const ticket = this.#current.getStore();
    // Continuations of a request outlive its ticket (an SSE stream): a released one holds nothing.
    return ticket && !ticket.released && this.#inside.has(ticket) ? ticket : null;
  }

  leave(ticket: Ticket): void {
    if (ticket.released) return;
    ticket.released = true;
    this.#inside.delete(ticket);
    this.#drained?.();
  }

  /**
   * Closes the gate, waits up to `drainMs` for the requests inside (except the caller's own) to
   * leave, runs `swap`, and reopens. Returns how many requests were still inside when it ran.
   */
  async exclusive<T>(drainMs: number, swap: (stragglers: number) => Promise<T>): Promise<T> {
    while (this.#closed) await this.#closed;
    let reopen!: () => void;
    this.#closed = new Promise<void>((resolve) => (reopen = resolve));
    try {
      const stragglers = await this.#drain(drainMs);
      return await swap(stragglers);
    } finally {
      this.#closed = null;
      reopen();
    }
  }

  async #drain(drainMs: number): Promise<number> {
    // A swap started by a request (restoreBackup) waits for everyone but that request.
    const own = this.#current.getStore();
    const others = () => this.#inside.size - (own && this.#inside.has(own) ? 1 : 0);
    if (others() === 0) return 0;
    await new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, drainMs);
      this.#drained = () => {
        if (others() > 0) return;
        clearTimeout(timer);
        resolve();
      };
    });
    this.#drained = null;
    return others();
  }
}
