"""The exact oracle for a trace on boxes that hold one model at a time.

Reads a problem (bench/oracle.ts writes it from the trace and the fleet model,
so service and load times are the replay's own) on stdin, and a budget of
loads on the command line; prints, as JSON, the least makespan any schedule
reaches with at most that many loads, and that schedule. CP-SAT (OR-Tools)
searches every schedule of the fleet model, not only those a strategy would
make:

  - Each box runs a sequence of residencies ("segments"), one model each: a
    load (its load time), then the model is resident until the segment ends.
    Between two segments the box unloads (its unload time). A model warm at
    the start is a first segment with no load. Loads = segments with a load.
  - Each request runs inside one segment of its model, on that box's slots
    (at most `slots` at once per segment), for its service time on that box,
    no earlier than its arrival, or than its dependencies' ends plus its gap.
  - Makespan = the last request's end. Minimised.

Every schedule the virtual-time replay can produce is one of these (it also
waits for a box to go idle before a swap, which only adds constraints), so
the optimum is a lower bound for any strategy with at most that many loads,
and it is reached by an oracle that knows the trace in advance. When the
time limit ends the search first, `boundMs` is still a valid lower bound.

  python3 bench/oracle/solve.py --loads 7 [--time-limit 60] < problem.json
"""

import argparse
import json
import sys

from ortools.sat.python import cp_model


def solve(problem, max_loads, time_limit_s):
    boxes = problem["boxes"]
    requests = problem["requests"]
    horizon = problem["horizonMs"]
    m = cp_model.CpModel()

    # Segments per box: a warm first one if any, then up to max_loads loaded ones (no box can use more).
    segments = []
    for b, box in enumerate(boxes):
        previous = None
        models = sorted(box["loadMs"].keys())
        slots = [("warm", box["warm"])] if box["warm"] else []
        slots += [("load", None)] * max_loads
        for j, (kind, warm) in enumerate(slots):
            used = m.NewConstant(1) if kind == "warm" else m.NewBoolVar(f"used_{b}_{j}")
            holds = {mo: (m.NewConstant(1 if mo == warm else 0) if kind == "warm" else m.NewBoolVar(f"holds_{b}_{j}_{mo}")) for mo in models}
            if kind == "load":
                m.Add(sum(holds.values()) == used)
            load_start = m.NewIntVar(0, horizon, f"load_start_{b}_{j}")
            resident_from = m.NewIntVar(0, horizon, f"resident_from_{b}_{j}")
            resident_to = m.NewIntVar(0, horizon, f"resident_to_{b}_{j}")
            if kind == "warm":
                m.Add(load_start == 0)
                m.Add(resident_from == 0)
            else:
                m.Add(resident_from == load_start + sum(box["loadMs"][mo] * holds[mo] for mo in models))
            m.Add(resident_to >= resident_from)
            if previous is not None:
                m.AddImplication(used, previous["used"])
                m.Add(load_start >= previous["resident_to"] + box["unloadMs"]).OnlyEnforceIf(used)
                # Reloading the model a box already holds never helps.
                for mo in models:
                    m.AddBoolOr([holds[mo].Not(), previous["holds"][mo].Not()])
            seg = {"box": b, "kind": kind, "used": used, "holds": holds, "load_start": load_start, "resident_from": resident_from, "resident_to": resident_to, "runs": []}
            segments.append(seg)
            previous = seg
    m.Add(sum(s["used"] for s in segments if s["kind"] == "load") <= max_loads)

    start, end = {}, {}
    for r in requests:
        services = r["serviceMs"]
        st = m.NewIntVar(0, horizon, f"start_{r['id']}")
        en = m.NewIntVar(0, horizon, f"end_{r['id']}")
        start[r["id"]], end[r["id"]] = st, en
        choices = []
        for s in segments:
            box = boxes[s["box"]]
            if r["model"] not in s["holds"]:
                continue
            x = m.NewBoolVar(f"runs_{r['id']}_{s['box']}_{len(s['runs'])}")
            m.AddImplication(x, s["holds"][r["model"]])
            m.Add(st >= s["resident_from"]).OnlyEnforceIf(x)
            m.Add(en <= s["resident_to"]).OnlyEnforceIf(x)
            m.Add(en == st + services[box["name"]]).OnlyEnforceIf(x)
            s["runs"].append(m.NewOptionalIntervalVar(st, services[box["name"]], en, x, f"run_{r['id']}_{s['box']}_{len(s['runs'])}"))
            choices.append(x)
        if not choices:
            raise SystemExit(f"request {r['id']}: no box serves model {r['model']}")
        m.AddExactlyOne(choices)
    for s in segments:
        if s["runs"]:
            m.AddCumulative(s["runs"], [1] * len(s["runs"]), boxes[s["box"]]["slots"])
    for r in requests:
        if r["atMs"] is not None:
            m.Add(start[r["id"]] >= r["atMs"])
        for d in r["after"]:
            m.Add(start[r["id"]] >= end[d] + r["gapMs"])

    makespan = m.NewIntVar(0, horizon, "makespan")
    m.AddMaxEquality(makespan, list(end.values()))
    # A residency past the last end changes nothing; ending it there keeps the schedule readable.
    for s in segments:
        m.Add(s["resident_to"] <= makespan)
    m.Minimize(makespan)

    solver = cp_model.CpSolver()
    solver.parameters.max_time_in_seconds = time_limit_s
    solver.parameters.num_workers = 2
    status = solver.Solve(m)
    found = status in (cp_model.OPTIMAL, cp_model.FEASIBLE)
    out = {
        "loads": max_loads,
        "status": solver.StatusName(status).lower(),
        "makespanMs": solver.Value(makespan) if found else None,
        "boundMs": int(solver.BestObjectiveBound()) if status != cp_model.INFEASIBLE else None,
        "solveS": round(solver.WallTime(), 2),
        "segments": [],
    }
    if found:
        for s in segments:
            if not solver.Value(s["used"]):
                continue
            model = next(mo for mo, h in s["holds"].items() if solver.Value(h))
            out["segments"].append({"box": boxes[s["box"]]["name"], "model": model, "loaded": s["kind"] == "load", "loadStartMs": solver.Value(s["load_start"]), "residentFromMs": solver.Value(s["resident_from"]), "residentToMs": solver.Value(s["resident_to"])})
        out["loadsUsed"] = sum(1 for s in out["segments"] if s["loaded"])
    return out


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--loads", type=int, required=True)
    parser.add_argument("--time-limit", type=float, default=60.0)
    args = parser.parse_args()
    json.dump(solve(json.load(sys.stdin), args.loads, args.time_limit), sys.stdout)
    sys.stdout.write("\n")


if __name__ == "__main__":
    main()
