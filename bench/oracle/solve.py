"""The exact oracle for a trace on the replay's fleet model.

Reads a problem on stdin (bench:oracle writes it from the trace and the fleet
model, so service, load and unload times are the replay's own) and prints, as
JSON, the best schedule for one question:

  --minimize makespan --loads L         the least makespan with at most L loads
  --minimize loads [--max-wait-ms W] [--max-makespan-ms M] --segments S
                                        the fewest loads with every request's
                                        wait within W and the makespan within M
  --demand-driven                       only schedules in which every load
                                        starts while a request it serves waits
                                        (no loading ahead of demand)

CP-SAT (OR-Tools) searches every schedule of the fleet model, not only those a
strategy would make:

  - A box holds up to `lanes` models at once (its model limit). Each lane runs
    a sequence of residencies ("segments"), one model each: a load (its load
    time), then the model resident until the segment ends, then an unload (its
    unload time) before the lane's next load. A box loads one model at a time.
    The search may put one model in two lanes of a box at once, which servers
    do not do (forbidding it made the search far slower); that only widens what
    it searches, so the answers stay bounds, and `oneCopyPerBox` says whether
    the schedule found is one a server could run.
    A model warm at the start is a first segment with no load. Loads = the
    segments with a load.
  - Each request runs inside one segment of its model, within the slots (per
    segment, or per box when the box's slots are shared by its models), for
    its service time on that box, no earlier than its arrival, or than its
    dependencies' ends plus its gap. Its wait is from then to its start.
  - Makespan = the last request's end.

Every schedule the virtual-time replay can produce is one of these (the replay
also waits for a model to go idle before it unloads it, and queues unloads with
loads, which only adds constraints), so each answer bounds every strategy:
none with at most L loads finishes before the least makespan for L, and none
whose waits stay within W makes fewer than the fewest loads for W. An oracle
that knows the trace in advance reaches them. When the time limit ends the
search first, `boundMs` / `boundLoads` is still a valid bound.
"""

import argparse
import json
import sys

from ortools.sat.python import cp_model


def build(problem, segments_per_lane, demand_driven):
    boxes = problem["boxes"]
    requests = problem["requests"]
    horizon = problem["horizonMs"]
    m = cp_model.CpModel()

    segments = []
    for b, box in enumerate(boxes):
        models = sorted(box["loadMs"].keys())
        loads_here = []
        for lane in range(box["lanes"]):
            warm = box["warm"][lane] if lane < len(box["warm"]) else None
            kinds = ([("warm", warm)] if warm else []) + [("load", None)] * segments_per_lane
            previous = None
            for j, (kind, warm_model) in enumerate(kinds):
                name = f"{b}_{lane}_{j}"
                used = m.NewConstant(1) if kind == "warm" else m.NewBoolVar(f"used_{name}")
                holds = {mo: (m.NewConstant(1 if mo == warm_model else 0) if kind == "warm" else m.NewBoolVar(f"holds_{name}_{mo}")) for mo in models}
                resident_from = m.NewIntVar(0, horizon, f"resident_from_{name}")
                resident_to = m.NewIntVar(0, horizon, f"resident_to_{name}")
                load_start = m.NewIntVar(0, horizon, f"load_start_{name}")
                if kind == "warm":
                    m.Add(load_start == 0)
                    m.Add(resident_from == 0)
                else:
                    m.Add(sum(holds.values()) == used)
                    load_ms = m.NewIntVar(0, max(box["loadMs"].values()), f"load_ms_{name}")
                    m.Add(load_ms == sum(box["loadMs"][mo] * holds[mo] for mo in models))
                    m.Add(resident_from == load_start + load_ms)
                    loads_here.append(m.NewOptionalIntervalVar(load_start, load_ms, resident_from, used, f"load_{name}"))
                m.Add(resident_to >= resident_from)
                if previous is not None:
                    m.AddImplication(used, previous["used"])
                    m.Add(load_start >= previous["resident_to"] + box["unloadMs"]).OnlyEnforceIf(used)
                    # Reloading the model a lane already holds never helps.
                    for mo in models:
                        m.AddBoolOr([holds[mo].Not(), previous["holds"][mo].Not()])
                seg = {"box": b, "lane": lane, "kind": kind, "used": used, "holds": holds, "load_start": load_start, "resident_from": resident_from, "resident_to": resident_to, "runs": []}
                segments.append(seg)
                previous = seg
        if len(loads_here) > 1:
            m.AddNoOverlap(loads_here)
        if box["lanes"] > 1:
            # The lanes are interchangeable: order them by their first load (or warm model) to search each arrangement once.
            here = [s for s in segments if s["box"] == b]
            firsts = [next(s for s in here if s["lane"] == lane) for lane in range(box["lanes"])]
            for a, c in zip(firsts, firsts[1:]):
                if a["kind"] == "load" and c["kind"] == "load":
                    m.Add(a["load_start"] <= c["load_start"])
    loads = sum(s["used"] for s in segments if s["kind"] == "load")

    start, end, ready = {}, {}, {}
    by_box_runs = {b: [] for b in range(len(boxes))}
    for r in requests:
        st = m.NewIntVar(0, horizon, f"start_{r['id']}")
        en = m.NewIntVar(0, horizon, f"end_{r['id']}")
        start[r["id"]], end[r["id"]] = st, en
        choices = []
        for s in segments:
            box = boxes[s["box"]]
            if r["model"] not in s["holds"]:
                continue
            service = r["serviceMs"][box["name"]]
            x = m.NewBoolVar(f"runs_{r['id']}_{s['box']}_{s['lane']}_{len(s['runs'])}")
            s.setdefault("serves", []).append((r["id"], x))
            m.AddImplication(x, s["holds"][r["model"]])
            m.Add(st >= s["resident_from"]).OnlyEnforceIf(x)
            m.Add(en <= s["resident_to"]).OnlyEnforceIf(x)
            run = m.NewOptionalIntervalVar(st, service, en, x, f"run_{r['id']}_{s['box']}_{s['lane']}_{len(s['runs'])}")
            s["runs"].append(run)
            by_box_runs[s["box"]].append(run)
            choices.append(x)
        if not choices:
            raise SystemExit(f"request {r['id']}: no box serves model {r['model']}")
        m.AddExactlyOne(choices)
    for b, box in enumerate(boxes):
        if box["slotScope"] == "server":
            if by_box_runs[b]:
                m.AddCumulative(by_box_runs[b], [1] * len(by_box_runs[b]), box["slots"])
        else:
            for s in segments:
                if s["box"] == b and s["runs"]:
                    m.AddCumulative(s["runs"], [1] * len(s["runs"]), box["slots"])
    for r in requests:
        rd = m.NewIntVar(0, horizon, f"ready_{r['id']}")
        if r["after"]:
            latest = m.NewIntVar(0, horizon, f"deps_end_{r['id']}")
            m.AddMaxEquality(latest, [end[d] for d in r["after"]])
            m.Add(rd == latest + r["gapMs"])
        else:
            m.Add(rd == (r["atMs"] or 0))
        if r["atMs"] is not None and r["after"]:
            m.Add(rd >= r["atMs"])
        m.Add(start[r["id"]] >= rd)
        ready[r["id"]] = rd

    if demand_driven:
        # Every load starts while one of the requests it serves has been released and waits.
        for s in segments:
            if s["kind"] != "load":
                continue
            triggers = []
            for rid, x in s.get("serves", []):
                t = m.NewBoolVar(f"trigger_{rid}_{s['box']}_{s['lane']}")
                m.AddImplication(t, x)
                m.Add(s["load_start"] >= ready[rid]).OnlyEnforceIf(t)
                triggers.append(t)
            m.Add(sum(triggers) >= 1).OnlyEnforceIf(s["used"])
    makespan = m.NewIntVar(0, horizon, "makespan")
    m.AddMaxEquality(makespan, list(end.values()))
    # A residency past the last end changes nothing; ending it there keeps the schedule readable.
    for s in segments:
        m.Add(s["resident_to"] <= makespan)
    return m, segments, loads, makespan, start, ready


def solve(problem, args):
    segments_per_lane = args.loads if args.minimize == "makespan" else args.segments
    m, segments, loads, makespan, start, ready = build(problem, segments_per_lane, args.demand_driven)
    if args.max_wait_ms is not None:
        for rid in start:
            m.Add(start[rid] <= ready[rid] + args.max_wait_ms)
    if args.max_makespan_ms is not None:
        m.Add(makespan <= args.max_makespan_ms)
    if args.minimize == "makespan":
        m.Add(loads <= args.loads)
        m.Minimize(makespan)
    else:
        m.Minimize(loads)

    solver = cp_model.CpSolver()
    solver.parameters.max_time_in_seconds = args.time_limit
    solver.parameters.num_workers = 2
    status = solver.Solve(m)
    found = status in (cp_model.OPTIMAL, cp_model.FEASIBLE)
    bound = int(round(solver.BestObjectiveBound())) if status not in (cp_model.INFEASIBLE, cp_model.MODEL_INVALID) else None
    out = {
        "minimize": args.minimize,
        "demandDriven": args.demand_driven,
        "loads": args.loads if args.minimize == "makespan" else (solver.Value(loads) if found else None),
        "status": solver.StatusName(status).lower(),
        "makespanMs": solver.Value(makespan) if found else None,
        "boundMs": bound if args.minimize == "makespan" else None,
        "boundLoads": bound if args.minimize == "loads" else None,
        "maxWaitMs": (max(solver.Value(start[r]) - solver.Value(ready[r]) for r in start) if found else None),
        "solveS": round(solver.WallTime(), 2),
        "segments": [],
    }
    if found:
        for s in segments:
            if not solver.Value(s["used"]):
                continue
            model = next(mo for mo, h in s["holds"].items() if solver.Value(h))
            out["segments"].append({"box": problem["boxes"][s["box"]]["name"], "model": model, "loaded": s["kind"] == "load", "loadStartMs": solver.Value(s["load_start"]), "residentFromMs": solver.Value(s["resident_from"]), "residentToMs": solver.Value(s["resident_to"])})
        out["loadsUsed"] = sum(1 for s in out["segments"] if s["loaded"])
        out["oneCopyPerBox"] = not any(
            a["box"] == c["box"] and a["model"] == c["model"] and a["loadStartMs"] < c["residentToMs"] and c["loadStartMs"] < a["residentToMs"]
            for i, a in enumerate(out["segments"]) for c in out["segments"][i + 1:]
        )
    return out


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--minimize", choices=["makespan", "loads"], default="makespan")
    parser.add_argument("--loads", type=int, help="the budget of loads (--minimize makespan)")
    parser.add_argument("--segments", type=int, default=8, help="residencies per lane searched (--minimize loads)")
    parser.add_argument("--max-wait-ms", type=int)
    parser.add_argument("--max-makespan-ms", type=int)
    parser.add_argument("--demand-driven", action="store_true")
    parser.add_argument("--time-limit", type=float, default=60.0)
    args = parser.parse_args()
    if args.minimize == "makespan" and args.loads is None:
        parser.error("--minimize makespan needs --loads")
    json.dump(solve(json.load(sys.stdin), args), sys.stdout)
    sys.stdout.write("\n")


if __name__ == "__main__":
    main()
