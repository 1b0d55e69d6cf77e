"""`reserve_run --valuation-date D [--regime ru] [--json] [--rerun ID]`: create and compute a
quarter-end run through Celery (eager when no broker) and print its results: per segment the
gross figures and, beside them, `ceded` and `net` objects (reinsurers' share; net = gross − ceded)."""
from __future__ import annotations

import json
import time
from datetime import date

from django.core.management.base import BaseCommand, CommandError

from core.errors import DomainError
from core.roles import system_actor
from reserving import cessions, selectors, services


class Command(BaseCommand):
    help = "Create and compute a quarter-end reserve run (or rerun one) and print the results."

    def add_arguments(self, parser):
        parser.add_argument("--valuation-date", type=date.fromisoformat)
        parser.add_argument("--regime", default="ru")
        parser.add_argument("--rerun", type=int, help="id of the run to repeat with its cut-off and parameters")
        parser.add_argument("--json", action="store_true")
        parser.add_argument("--wait", type=float, default=600.0, help="seconds to wait for the workers")

    def handle(self, *args, **opts):
        actor = system_actor()
        try:
            if opts["rerun"]:
                run = services.run_rerun(run=selectors.run_get(run_id=opts["rerun"]), actor=actor)
            elif opts["valuation_date"]:
                run = services.run_create(valuation_date=opts["valuation_date"], regime=opts["regime"], actor=actor)
                run = services.run_compute(run=run, actor=actor)
            else:
                raise CommandError("give --valuation-date or --rerun")
        except DomainError as exc:
            raise CommandError(exc.message) from exc
        deadline = time.monotonic() + opts["wait"]
        while run.status == "computing" and time.monotonic() < deadline:
            time.sleep(0.5)
            run = selectors.run_get(run_id=run.pk)
        data = selectors.run_as_dict(run=run)
        # beside the gross keys: the reinsurers' share and the net, per segment (issue 17 §3)
        shares = {(r.segment, r.currency): cessions.ceded_and_net(r) for r in selectors.run_segment_results(run=run)}
        for s in data["segments"]:
            s.update(shares.get((s["segment"], s["currency"]), {}))
        if run.rerun_of_id:
            data["rerun_of"], data["identical"] = run.rerun_of_id, run.identical
        if opts["json"]:
            self.stdout.write(json.dumps(data, indent=2, ensure_ascii=False))
            return
        self.stdout.write(f"run {run.pk} {run.regime_code} {run.valuation_date} {run.status} "
                          f"fingerprint {run.input_fingerprint[:16]}")
        for s in data["segments"]:
            self.stdout.write(f"  {s['segment']:<28} {s['currency']}  UPR {s['upr']:>16}  RBNS {s['rbns']:>16}  "
                              f"IBNR {s['ibnr']:>16} ({s['ibnr_method']})  ULAE {s['ulae']:>14}  PD {s['premium_deficiency']}")
            if "ceded" in s and any(v not in ("0", "0.00") for v in s["ceded"].values()):
                c = s["ceded"]
                self.stdout.write(f"  {'  ceded':<28}      UPR {c['upr']:>16}  RBNS {c['rbns']:>16}  "
                                  f"IBNR {c['ibnr']:>16}  ULAE {c['ulae']:>14}  PD {c['premium_deficiency']}")
        if run.status == "failed":
            raise CommandError(run.error)
