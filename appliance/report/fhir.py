"""Session outcomes as a FHIR R4 Bundle (type "collection") of Observations.

Heart rate is LOINC 8867-4. Every other measure, and the signal quality each figure rests on,
is coded in the product's own CodeSystem (OUTCOME_SYSTEM), documented in docs/outcomes.md:
RMSSD has no LOINC code of its own (80404-7 is the standard deviation of the R-R intervals,
SDNN, a different measure). Each measure gives two Observations, before and after, each with
the span it was measured over and its signal quality as a component. Units are UCUM.

The subject is the pseudonymous listener id, and only for a session kept with consent; a
session without consent carries no subject and only its date. Figures are rounded as shown
everywhere else (outcomes.py). Built as plain JSON: the device needs no FHIR library (the
tests validate the output with fhir.resources).
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Sequence
from datetime import datetime, timedelta, tzinfo
from typing import Any

from appliance.clock import local_time
from appliance.report.outcomes import LABELS, Measure, SessionOutcome
from appliance.signals.outcome import END_SPAN_S, START_SPAN_S

OUTCOME_SYSTEM = "urn:attune:fhir:CodeSystem:session-outcome"
LISTENER_SYSTEM = "urn:attune:listener"  # the pseudonymous id, never a name
LOINC = "http://loinc.org"
UCUM = "http://unitsofmeasure.org"
CATEGORY_SYSTEM = "http://terminology.hl7.org/CodeSystem/observation-category"
_NAMESPACE = uuid.UUID("5b0c1a52-5f1e-4c2f-9a57-0d7d0e0f2f11")  # stable resource ids

# measure → (code system, code, display, unit as shown, UCUM code)
CODES: dict[str, tuple[str, str, str, str, str]] = {
    "heart_rate": (LOINC, "8867-4", "Heart rate", "beats/minute", "/min"),
    "rmssd": (OUTCOME_SYSTEM, "rmssd", "Pulse-rate variability (RMSSD)", "ms", "ms"),
    "scl": (OUTCOME_SYSTEM, "scl", "Skin conductance level", "µS", "uS"),
    "scr_rate": (OUTCOME_SYSTEM, "scr-rate", "Skin conductance responses", "/min", "/min"),
    "arousal": (OUTCOME_SYSTEM, "arousal", "Estimated arousal (0-1)", "1", "1"),
}
SIGNAL_QUALITY = (OUTCOME_SYSTEM, "signal-quality", "Signal quality (0-1)")
TIME_TO_CALM = (OUTCOME_SYSTEM, "time-to-calm", "Time to reach the session's calm target")
COUNTS = {  # SessionOutcome field → (code, display)
    "likes": ("likes", "'I like this' presses"),
    "stops": ("stops", "Stopped by the listener"),
    "distress": ("distress", "Distress button presses"),
    "alerts": ("staff-alerts", "Staff alerts"),
}


def bundle(outcomes: Sequence[SessionOutcome], tz: tzinfo) -> dict[str, Any]:
    entries = []
    for o in outcomes:
        for resource in observations(o, tz):
            entries.append({"fullUrl": f"urn:uuid:{resource['id']}", "resource": resource})
    return {"resourceType": "Bundle", "type": "collection", "entry": entries}


def bundle_json(outcomes: Sequence[SessionOutcome], tz: tzinfo) -> bytes:
    return (json.dumps(bundle(outcomes, tz), ensure_ascii=False, indent=1) + "\n").encode()


def observations(o: SessionOutcome, tz: tzinfo) -> list[dict[str, Any]]:
    consented = o.consent  # without it the device kept no id, windows or decisions
    start = local_time(o.started_utc, tz)
    cal_start, cal_end = o.calibration
    spans = {
        "pre": (cal_start, cal_end),
        "post": (max(0.0, o.duration_s - END_SPAN_S), o.duration_s),
    }
    out = []
    for name, measure in o.measures().items():
        for part in ("pre", "post"):
            span = spans[part]
            if name == "arousal" and part == "pre":
                span = (cal_end, cal_end + START_SPAN_S)
            resource = _measure_observation(o, name, measure, part)
            if resource is not None:
                out.append(_with_context(resource, o, consented, start, span))
    if o.time_to_calm_min is not None:
        system, code, display = TIME_TO_CALM
        resource = _base(o, f"{code}", _concept(system, code, display))
        resource["valueQuantity"] = _quantity(o.time_to_calm_min, "min", "min")
        out.append(_with_context(resource, o, consented, start, (0.0, o.duration_s)))
    for field, (code, display) in COUNTS.items():
        resource = _base(o, code, _concept(OUTCOME_SYSTEM, code, display))
        resource["valueInteger"] = int(getattr(o, field))
        out.append(_with_context(resource, o, consented, start, (0.0, o.duration_s)))
    return out


def _measure_observation(
    o: SessionOutcome, name: str, measure: Measure, part: str
) -> dict[str, Any] | None:
    value = measure.shown_pre if part == "pre" else measure.shown_post
    if value is None:
        return None  # no usable signal there: nothing is claimed
    system, code, display, unit, ucum = CODES[name]
    when = "before the music (resting)" if part == "pre" else "at the end of the session"
    concept = _concept(system, code, display)
    concept["text"] = f"{LABELS[name]}, {when}"
    resource = _base(o, f"{name}-{part}", concept)
    if name == "heart_rate":
        resource["category"] = [
            {
                "coding": [
                    {"system": CATEGORY_SYSTEM, "code": "vital-signs", "display": "Vital Signs"}
                ]
            }
        ]
    resource["valueQuantity"] = _quantity(value, unit, ucum)
    quality = measure.shown_pre_quality if part == "pre" else measure.shown_post_quality
    if quality is not None:
        q_system, q_code, q_display = SIGNAL_QUALITY
        resource["component"] = [
            {
                "code": _concept(q_system, q_code, q_display),
                "valueQuantity": _quantity(quality, "1", "1"),
            }
        ]
    return resource


def _base(o: SessionOutcome, key: str, code: dict[str, Any]) -> dict[str, Any]:
    rid = str(uuid.uuid5(_NAMESPACE, f"{o.session_id}/{o.started_utc.isoformat()}/{key}"))
    return {"resourceType": "Observation", "id": rid, "status": "final", "code": code}


def _with_context(
    resource: dict[str, Any],
    o: SessionOutcome,
    consented: bool,
    start: datetime,
    span: tuple[float, float],
) -> dict[str, Any]:
    if consented:
        if o.listener_id is not None:
            resource["subject"] = {
                "identifier": {"system": LISTENER_SYSTEM, "value": o.listener_id}
            }
        resource["effectivePeriod"] = {
            "start": _instant(start + timedelta(seconds=span[0])),
            "end": _instant(start + timedelta(seconds=span[1])),
        }
    else:
        resource["effectiveDateTime"] = start.date().isoformat()  # no time of day, no subject
    return resource


def _instant(moment: datetime) -> str:
    return moment.isoformat(timespec="seconds")


def _concept(system: str, code: str, display: str) -> dict[str, Any]:
    return {"coding": [{"system": system, "code": code, "display": display}]}


def _quantity(value: float, unit: str, ucum: str) -> dict[str, Any]:
    return {"value": value, "unit": unit, "system": UCUM, "code": ucum}
