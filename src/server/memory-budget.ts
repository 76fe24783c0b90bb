/**
 * The bytes a socket server lets its clients make it hold, per connection and
 * for the whole server: frames being received or whose calls still run
 * (counted at their announced size, from the header on), and replies written
 * but not yet taken by the peer. A connection over its share stops being read;
 * a reply that doesn't fit is refused by the caller of `mayWrite`.
 */

/** Bytes any connection may hold whatever the server holds: small calls pass while big ones wait. */
export const FLOOR_BYTES = 1024 * 1024;
/** What a call in flight costs besides its frame (context, promise, timers: measured ~2.5 KB): the least a frame counts for. */
export const MIN_FRAME_COST = 64 * 1024;

export interface BudgetLimits {
  /** Most bytes one connection may hold. */
  connectionBytes: number;
  /** Most bytes all connections together may hold (connections under their floor may go a little beyond). */
  serverBytes: number;
}

/** The server-wide account. */
export class MemoryBudget {
  readonly limits: BudgetLimits;
  /** Bytes held by all connections. */
  held = 0;
  private shares = 0;
  // Connections waiting for room for their next frame, in arrival order.
  private readonly waiting = new Set<ConnectionShare>();
  private waking = false;
  // Connections with streams waiting for room to produce their next item.
  private readonly roomWaiters = new Set<ConnectionShare>();

  constructor(limits: BudgetLimits) {
    this.limits = limits;
  }

  /** A new connection's account. */
  open(): ConnectionShare {
    this.shares++;
    return new ConnectionShare(this);
  }

  /** Bytes a connection may hold even when the server is over its budget: a slice of it, at most FLOOR_BYTES. */
  floor(): number {
    return Math.min(FLOOR_BYTES, this.limits.serverBytes / Math.max(1, this.shares));
  }

  /** @internal */ closed(share: ConnectionShare): void {
    this.shares--;
    this.waiting.delete(share);
    this.roomWaiters.delete(share);
  }

  /** @internal */ wait(share: ConnectionShare): void {
    this.waiting.add(share);
  }

  /** @internal */ waitRoom(share: ConnectionShare): void {
    this.roomWaiters.add(share);
  }

  /** Room was made: wakes waiting streams, grants the waiting frames that now fit, oldest first. */
  /** @internal */ freed(): void {
    if (this.roomWaiters.size > 0) {
      const shares = [...this.roomWaiters];
      this.roomWaiters.clear();
      for (const share of shares) share.roomMade();
    }
    if (this.waiting.size === 0 || this.waking) return;
    this.waking = true;
    try {
      for (const share of this.waiting) {
        if (share.tryGrant()) this.waiting.delete(share);
      }
    } finally {
      this.waking = false;
    }
  }
}

/** One connection's part of the budget. */
export class ConnectionShare {
  private readonly budget: MemoryBudget;
  /** Frames reserved: being received, or owned by calls still running. */
  frames = 0;
  /** Reply bytes written and not yet taken by the peer (as last sampled). */
  backlog = 0;
  private wantBytes = 0;
  private onGranted: (() => void) | undefined;
  private open = true;
  // One promise for all of this connection's streams waiting for room.
  private room: Promise<void> | undefined;
  private wakeRoom: (() => void) | undefined;

  constructor(budget: MemoryBudget) {
    this.budget = budget;
  }

  /** What a frame of `bodyBytes` counts for while it is received and while its call runs. */
  costOf(bodyBytes: number): number {
    return Math.max(bodyBytes, MIN_FRAME_COST);
  }

  /** Everything this connection holds. */
  get held(): number {
    return this.frames + this.backlog;
  }

  /**
   * Reserves a frame of `bytes` if the connection may read it now. If not, `granted`
   * is called once it may (the frame is then reserved), and false is returned.
   */
  reserveFrame(bytes: number, granted: () => void): boolean {
    if (this.fitsFrame(bytes)) {
      this.add(bytes);
      return true;
    }
    this.wantBytes = bytes;
    this.onGranted = granted;
    this.budget.wait(this);
    return false;
  }

  /**
   * Adds `bytes` to what the connection holds for a running call (a stream's values being
   * collected), if they fit now; the call gives them back with `release` when it ends.
   */
  tryHold(bytes: number): boolean {
    const own = this.held;
    if (own + bytes > this.budget.limits.connectionBytes || !this.withinServer(bytes)) return false;
    this.add(bytes);
    return true;
  }

  /** Gives back `bytes` of frames (a call ended, or a frame was handled). */
  release(bytes: number): void {
    if (bytes === 0) return;
    this.frames -= bytes;
    this.budget.held -= bytes;
    this.freed();
  }

  /** The bytes written and not yet taken by the peer, as the socket reports them now. */
  setBacklog(bytes: number): void {
    const delta = bytes - this.backlog;
    if (delta === 0) return;
    this.backlog = bytes;
    this.budget.held += delta;
    if (delta < 0) this.freed();
  }

  /** Whether a reply of `bytes` may be written now. */
  mayWrite(bytes: number): boolean {
    const own = this.held;
    if (own > 0 && own + bytes > this.budget.limits.connectionBytes) return false;
    return this.withinServer(bytes);
  }

  /** Whether a stream may produce its next item: its replies are being taken and the server has room. */
  mayStream(): boolean {
    return this.backlog < this.budget.limits.connectionBytes / 2 && this.withinServer(0);
  }

  /** Resolves the next time room is made anywhere in the server, or this connection closes. */
  whenRoom(): Promise<void> {
    if (!this.open) return Promise.resolve();
    this.room ??= new Promise((resolve) => {
      this.wakeRoom = resolve;
      this.budget.waitRoom(this);
    });
    return this.room;
  }

  /** @internal */ roomMade(): void {
    const wake = this.wakeRoom;
    this.room = undefined;
    this.wakeRoom = undefined;
    wake?.();
  }

  /** The connection is gone: its backlog no longer counts. Frames owned by running calls stay counted until released. */
  close(): void {
    if (!this.open) return;
    this.open = false;
    this.onGranted = undefined;
    this.setBacklog(0);
    this.budget.closed(this);
    this.roomMade();
  }

  /** @internal Grants the waiting frame if it now fits. */
  tryGrant(): boolean {
    const granted = this.onGranted;
    if (!granted) return true;
    if (!this.fitsFrame(this.wantBytes)) return false;
    this.add(this.wantBytes);
    this.onGranted = undefined;
    this.wantBytes = 0;
    granted();
    return true;
  }

  private fitsFrame(bytes: number): boolean {
    const limits = this.budget.limits;
    const own = this.held;
    if (own > 0) {
      // Replies the peer doesn't take: stop reading its requests well before its replies must be refused.
      if (this.backlog >= limits.connectionBytes / 2) return false;
      if (own + bytes > limits.connectionBytes) return false;
    }
    return this.withinServer(bytes);
  }

  private withinServer(bytes: number): boolean {
    return this.budget.held + bytes <= this.budget.limits.serverBytes || this.held + bytes <= this.budget.floor();
  }

  private add(bytes: number): void {
    this.frames += bytes;
    this.budget.held += bytes;
  }

  private freed(): void {
    this.budget.freed();
  }
}
