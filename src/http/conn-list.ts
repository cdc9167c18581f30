// The lists an HTTP server keeps its connections in (served, fresh, kept
// alive), linked through the connections themselves so that joining and
// leaving cost no allocation.

/** A member of a {@link ConnList}: the links live in the member itself. */
export interface ConnListNode {
  _lprev: ConnListNode | null;
  _lnext: ConnListNode | null;
  _list: ConnList | null;
  /** When an idle connection is closed for idling too long (ms of the run's clock); Infinity for never. */
  _deadline: number;
}

/**
 * An intrusive FIFO of connections. The HTTP server keeps three: connections
 * served by a task, fresh connections waiting for their first request, and
 * kept-alive connections waiting for their next one. Every connection of an
 * idle list got the same timeout when it joined, so the list is ordered by
 * deadline too: the reaper only ever looks at the head. Joining, leaving and
 * moving are O(1) with no allocation.
 */
export class ConnList {
  head: ConnListNode | null = null;
  tail: ConnListNode | null = null;
  length = 0;

  /** Append `n` (not in any list) with `deadline`. */
  push(n: ConnListNode, deadline: number): void {
    n._list = this;
    n._deadline = deadline;
    n._lnext = null;
    n._lprev = this.tail;
    if (this.tail === null) this.head = n;
    else this.tail._lnext = n;
    this.tail = n;
    this.length++;
  }

  /** Remove `n`, a member of this list. */
  remove(n: ConnListNode): void {
    const { _lprev: prev, _lnext: next } = n;
    if (prev === null) this.head = next;
    else prev._lnext = next;
    if (next === null) this.tail = prev;
    else next._lprev = prev;
    n._lprev = n._lnext = null;
    n._list = null;
    this.length--;
  }
}
