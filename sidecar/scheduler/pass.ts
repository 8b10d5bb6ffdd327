// One dispatch pass over the indexed queue, in the strategy's order, without
// ranking the whole queue. The queue's groups (same model, same pin) are
// split into lanes: a group's starving requests, its diversity request (the
// first of a model warm nowhere) and the rest. Inside a lane every request has
// the same flags and ranks in arrival order, so a heap holding each lane's
// next request yields the same sequence a full sort would.
//
// Skipping is what makes it cheap. When a request waits without taking a
// warm-slot forecast, the next of its lane would wait too as long as nothing
// is dispatched (the strategy's contract, strategies/strategy.ts): the lane
// closes. A dispatch changes the picture, so it reopens every closed lane at
// its first request ranked after the dispatched one; those in between were
// ranked before the dispatch, in the unchanged picture, and wait.
import type { DispatchCycle } from './cycle.ts';
import { evaluate, type Placement } from './framework.ts';
import { MinHeap } from './heap.ts';
import type { ListNode, QueueGroup, QueueIndex } from './queue-index.ts';
import { isStarving, placementOf, ranksBefore, type OrderContext, type RankKey } from './strategies/ordering.ts';
import type { Choice, Strategy } from './strategies/strategy.ts';

type Wait = Extract<Choice, { kind: 'wait' }>;
type Dispatch = Extract<Choice, { kind: 'dispatch' }>;

export interface PassHooks {
  /** Start the request (it leaves the queue); the cycle is refreshed afterwards by the pass's caller. */
  dispatch(p: Placement, choice: Dispatch): void;
  wait(p: Placement, choice: Wait): void;
}

export interface PassResult {
  /** Strict FIFO: the request everything else waits behind. */
  blocker?: string;
  /** The last reason a request of each group waited for, by group key (for those the pass skipped). */
  groupReasons: Map<string, string>;
}

type LaneKind = 'starving' | 'diversity' | 'rest';

interface Lane {
  readonly group: QueueGroup;
  readonly kind: LaneKind;
  /** The model's diversity request, kept out of the rest lane. */
  readonly diversityNode: ListNode | undefined;
  /** Last request examined, while the lane is closed. */
  last?: ListNode;
}

interface Candidate {
  readonly lane: Lane;
  readonly node: ListNode;
  readonly key: RankKey;
}

const REST = { starving: false, diversity: false, waivesStickyWindows: false } as const;

/**
 * Could a dispatch of `model` on `backend` have given a waiting request of
 * another lane (no flags) a backend? Only there, or where that request's model
 * would unload `model`: elsewhere the dispatch changed nothing the filters of
 * another model read (slots, residency, loads and demand of other models). A
 * request of the dispatched model's own lanes is always looked at again, as
 * are starving ones (their holds follow loads). Filters only, so it errs
 * towards looking again.
 */
function mayNowAdmit(strategy: Strategy, cycle: DispatchCycle, p: Placement, backend: string, model: string): boolean {
  if (p.model === model) return true;
  for (const b of cycle.backends()) {
    if (b.name !== backend) {
      const fit = b.fitOf(p.model);
      if (fit.kind !== 'evict' || fit.victim !== model) continue;
    }
    if (strategy.filters.every((f) => f.check(p, b, cycle).ok)) return true;
  }
  return false;
}

export function runPass(index: QueueIndex, strategy: Strategy, cycle: DispatchCycle, ctx: OrderContext, hooks: PassHooks): PassResult {
  const order = strategy.order;
  const div = order.diversity(ctx.settings);
  const agingMs = order.starves ? ctx.settings.agingMs : Infinity;
  const starving = (n: ListNode) => isStarving(order, n.entry, ctx);
  const keyOf = (lane: Lane, n: ListNode): RankKey => {
    const key = order.key(n.entry, lane.kind === 'starving', ctx);
    return lane.kind === 'diversity' ? { tier: div!.tier, priority: key.priority } : key;
  };
  const heap = new MinHeap<Candidate>((a, b) => ranksBefore(a.key, a.node.entry.seq, b.key, b.node.entry.seq));
  const push = (lane: Lane, n: ListNode | undefined) => {
    if (n) heap.push({ lane, node: n, key: keyOf(lane, n) });
  };
  const nextIn = (lane: Lane, n: ListNode): ListNode | undefined => {
    if (lane.kind === 'diversity') return undefined;
    const next = n.next;
    if (lane.kind === 'starving') return next && starving(next) ? next : undefined;
    return next === lane.diversityNode ? next?.next : next;
  };

  // The diversity request of each model represented nowhere: its earliest-ranked non-starving request.
  const groups = [...index.groups()];
  const firstFresh = new Map(groups.map((g) => [g, g.list.firstFresh(ctx.now, agingMs)]));
  const diversityOf = new Map<string, ListNode>();
  if (div)
    for (const g of groups) {
      const f = firstFresh.get(g);
      if (!f || ctx.isRepresented(g.model)) continue;
      const best = diversityOf.get(g.model);
      const key = (n: ListNode) => order.key(n.entry, false, ctx);
      if (!best || ranksBefore(key(f), f.entry.seq, key(best), best.entry.seq)) diversityOf.set(g.model, f);
    }

  for (const g of groups) {
    const fresh = firstFresh.get(g);
    const head = g.list.head;
    const diversityNode = fresh !== undefined && diversityOf.get(g.model) === fresh ? fresh : undefined;
    if (head && head !== fresh) push({ group: g, kind: 'starving', diversityNode }, head);
    if (diversityNode) push({ group: g, kind: 'diversity', diversityNode }, diversityNode);
    push({ group: g, kind: 'rest', diversityNode }, diversityNode ? diversityNode.next : fresh);
  }

  const result: PassResult = { groupReasons: new Map() };
  let closed: Lane[] = [];
  let rank = 0;
  for (let c = heap.pop(); c; c = heap.pop()) {
    const { lane, node } = c;
    const p = placementOf(
      node.entry,
      ctx,
      c.key,
      { starving: lane.kind === 'starving', diversity: lane.kind === 'diversity', waivesStickyWindows: lane.kind === 'diversity' && div!.waivesStickyWindows },
      rank++,
    );
    const takes = cycle.forecastTakes;
    const choice = strategy.choose(p, evaluate(strategy.filters, p, cycle), cycle);
    if (choice.kind === 'dispatch') {
      const following = nextIn(lane, node);
      hooks.dispatch(p, choice);
      push(lane, following);
      const stillClosed: Lane[] = [];
      for (const l of closed) {
        let n = nextIn(l, l.last!);
        if (n && l.kind === 'rest' && !mayNowAdmit(strategy, cycle, placementOf(n.entry, ctx, keyOf(l, n), REST, rank), choice.option.backend.name, p.model)) {
          stillClosed.push(l);
          continue;
        }
        while (n && ranksBefore(keyOf(l, n), n.entry.seq, c.key, node.entry.seq)) n = nextIn(l, n);
        l.last = undefined;
        push(l, n);
      }
      closed = stillClosed;
      continue;
    }
    hooks.wait(p, choice);
    result.groupReasons.set(lane.group.key, choice.why);
    if (strategy.headOfLineBlocks) {
      result.blocker = node.entry.req.id;
      break;
    }
    // A take changed what the next one sees: look at it. Otherwise it would wait the same way.
    if (cycle.forecastTakes !== takes) push(lane, nextIn(lane, node));
    else {
      lane.last = node;
      closed.push(lane);
    }
  }
  return result;
}
