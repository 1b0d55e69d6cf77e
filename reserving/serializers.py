"""Serializers of the reserve-run API: read shapes (money as decimal strings) and typed inputs."""
from __future__ import annotations

from rest_framework import serializers

from reserving import cessions
from reserving.models import Regime, ReserveRun, RunDataCheck, RunEvent, RunOriginResult, RunSegmentResult


class RegimeSerializer(serializers.ModelSerializer):
    class Meta:
        model = Regime
        fields = ["id", "code", "version", "effective_from", "name", "parameters", "description"]


class OriginResultSerializer(serializers.ModelSerializer):
    class Meta:
        model = RunOriginResult
        fields = ["origin", "paid", "case", "ultimate", "ibnr", "mack_se"]


class SegmentResultSerializer(serializers.ModelSerializer):
    origins = OriginResultSerializer(many=True, read_only=True)
    ceded = serializers.SerializerMethodField()
    net = serializers.SerializerMethodField()

    class Meta:
        model = RunSegmentResult
        fields = ["segment", "currency", "upr", "rbns", "ibnr", "ulae", "premium_deficiency", "ibnr_method",
                  "earned_premium", "paid", "case", "selections", "factors", "bootstrap", "origins", "ceded", "net"]

    # the reinsurers' share and the net beside the gross keys, as in `reserve_run --json`
    def get_ceded(self, obj) -> dict:
        return cessions.ceded_and_net(obj)["ceded"]

    def get_net(self, obj) -> dict:
        return cessions.ceded_and_net(obj)["net"]


class DataCheckSerializer(serializers.ModelSerializer):
    acknowledged_by = serializers.StringRelatedField(allow_null=True)

    class Meta:
        model = RunDataCheck
        fields = ["id", "severity", "code", "message", "row_count", "rows", "acknowledged_by", "acknowledged_at"]


class EventSerializer(serializers.ModelSerializer):
    actor = serializers.CharField(source="actor.username", read_only=True, allow_null=True, default=None)

    class Meta:
        model = RunEvent
        fields = ["at", "actor", "verb", "from_status", "to_status", "note"]


class RunListSerializer(serializers.ModelSerializer):
    preparer = serializers.CharField(source="preparer.username", read_only=True, allow_null=True, default=None)
    approver = serializers.CharField(source="approver.username", read_only=True, allow_null=True, default=None)
    progress = serializers.SerializerMethodField()
    official = serializers.BooleanField(source="is_official", read_only=True,
                                        help_text="approved and not superseded: the run of record for its date and regime")

    class Meta:
        model = ReserveRun
        fields = ["id", "valuation_date", "regime_code", "regime_version", "cut_off", "status", "progress",
                  "segments_done", "segments_total", "input_fingerprint", "engine_version", "preparer", "approver",
                  "rerun_of", "superseded_by", "official", "identical", "created_at", "computed_at", "submitted_at", "decided_at", "reject_reason",
                  "error"]

    def get_progress(self, run) -> str:
        return run.progress


class RunDetailSerializer(RunListSerializer):
    segments = SegmentResultSerializer(source="segment_results", many=True, read_only=True)
    data_checks = DataCheckSerializer(many=True, read_only=True)
    events = EventSerializer(many=True, read_only=True)

    class Meta(RunListSerializer.Meta):
        fields = RunListSerializer.Meta.fields + ["parameters", "selections", "segments", "data_checks", "events"]


class RunCreateSerializer(serializers.Serializer):
    valuation_date = serializers.DateField()
    regime = serializers.CharField(default="ru")
    cut_off = serializers.DateTimeField(required=False, allow_null=True)
    parameters = serializers.DictField(required=False, default=dict)
    selections = serializers.DictField(required=False, default=dict)
    compute = serializers.BooleanField(default=True)


class RejectSerializer(serializers.Serializer):
    reason = serializers.CharField(allow_blank=True)


class SelectionSerializer(serializers.Serializer):
    segment = serializers.CharField()
    currency = serializers.CharField(max_length=3)
    selection = serializers.DictField(help_text="method, LDFs, tail, a-priori loss ratio, pattern, note")


class PeriodCloseSerializer(serializers.Serializer):
    label = serializers.RegexField(r"^\d{4}Q[1-4]$", help_text="a quarter, e.g. 2024Q4")

    def validate_label(self, value: str) -> str:
        from core.periods import Quarter

        try:
            return Quarter.parse(value).label
        except ValueError as exc:
            raise serializers.ValidationError(str(exc)) from exc
