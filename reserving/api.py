"""REST API of reserve runs (/api/v1/reserve-runs/, /api/v1/regimes/, /api/v1/period-close/).
Views type the input and call reserving.services / selectors; roles are checked by the services
and refusals come back as 403 with a field map (core.api.exception_handler). Reading runs needs
the reserving view permission (the reserving roles and the auditor), as in the admin."""
from __future__ import annotations

from django_filters.rest_framework import DjangoFilterBackend
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.generics import get_object_or_404
from rest_framework.permissions import BasePermission
from rest_framework.response import Response
from rest_framework.views import APIView

from core.api import JsonApi, validated
from core.roles import can_read_reserves
from reserving import selectors, services
from reserving.models import Regime, RunDataCheck
from reserving.serializers import (PeriodCloseSerializer, RegimeSerializer, RejectSerializer, RunCreateSerializer,
                                   RunDetailSerializer, RunListSerializer, SelectionSerializer)


class ReservingAccess(BasePermission):
    """A reader of reserve runs (core.roles.can_read_reserves); what a user may change the
    services decide."""

    def has_permission(self, request, view) -> bool:
        return can_read_reserves(request.user)


class ReserveRunViewSet(JsonApi, mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """Quarter-end reserve runs: create (and compute), follow progress, submit, approve, reject,
    rerun, selections with a preview, data-check acknowledgement."""

    permission_classes = [ReservingAccess]
    filter_backends = [DjangoFilterBackend]
    filterset_fields = ["status", "regime_code", "valuation_date"]

    def get_queryset(self):
        return selectors.runs_list()

    def get_serializer_class(self):
        return RunDetailSerializer if self.action == "retrieve" else RunListSerializer

    def _run(self):
        # DRF's get_object_or_404: an id that is no integer ("true") is a 404, not a 500.
        return get_object_or_404(selectors.runs_list(), pk=self.kwargs["pk"])

    def _answer(self, run, code=status.HTTP_200_OK):
        return Response(RunDetailSerializer(selectors.run_get(run_id=run.pk)).data, status=code)

    @extend_schema(request=RunCreateSerializer, responses=RunDetailSerializer)
    def create(self, request):
        data = validated(RunCreateSerializer, request)
        run = services.run_create(valuation_date=data["valuation_date"], regime=data["regime"],
                                  cut_off=data.get("cut_off"), parameters=data["parameters"],
                                  selections=data["selections"], actor=request.user)
        if data["compute"]:
            run = services.run_compute(run=run, actor=request.user)
        return self._answer(run, status.HTTP_201_CREATED)

    @extend_schema(request=None, responses={200: dict})
    @action(detail=True, methods=["get"])
    def progress(self, request, pk=None):
        run = self._run()
        return Response({"id": run.pk, "status": run.status, "segments_done": run.segments_done,
                         "segments_total": run.segments_total, "error": run.error})

    @extend_schema(request=None, responses=RunDetailSerializer)
    @action(detail=True, methods=["post"])
    def compute(self, request, pk=None):
        return self._answer(services.run_compute(run=self._run(), actor=request.user))

    @extend_schema(request=None, responses=RunDetailSerializer)
    @action(detail=True, methods=["post"])
    def retry(self, request, pk=None):
        return self._answer(services.run_retry(run=self._run(), actor=request.user))

    @extend_schema(request=None, responses=RunDetailSerializer)
    @action(detail=True, methods=["post"])
    def submit(self, request, pk=None):
        return self._answer(services.run_submit(run=self._run(), actor=request.user))

    @extend_schema(request=None, responses=RunDetailSerializer)
    @action(detail=True, methods=["post"])
    def approve(self, request, pk=None):
        return self._answer(services.run_approve(run=self._run(), actor=request.user))

    @extend_schema(request=RejectSerializer, responses=RunDetailSerializer)
    @action(detail=True, methods=["post"])
    def reject(self, request, pk=None):
        data = validated(RejectSerializer, request)
        return self._answer(services.run_reject(run=self._run(), actor=request.user, reason=data["reason"]))

    @extend_schema(request=None, responses={201: RunDetailSerializer})
    @action(detail=True, methods=["post"])
    def rerun(self, request, pk=None):
        return self._answer(services.run_rerun(run=self._run(), actor=request.user), status.HTTP_201_CREATED)

    @extend_schema(request=SelectionSerializer, responses=RunDetailSerializer)
    @action(detail=True, methods=["post"])
    def selections(self, request, pk=None):
        data = validated(SelectionSerializer, request)
        return self._answer(services.run_selection_set(run=self._run(), segment=data["segment"], currency=data["currency"],
                                                       selection=data["selection"], actor=request.user))

    @extend_schema(request=SelectionSerializer, responses={200: dict})
    @action(detail=True, methods=["post"])
    def preview(self, request, pk=None):
        data = validated(SelectionSerializer, request)
        return Response(services.run_selection_preview(run=self._run(), segment=data["segment"],
                                                       currency=data["currency"], selection=data["selection"]))

    @extend_schema(request=None, responses=RunDetailSerializer)
    @action(detail=True, methods=["post"], url_path=r"checks/(?P<check_id>\d+)/acknowledge")
    def acknowledge(self, request, pk=None, check_id=None):
        check = get_object_or_404(RunDataCheck.objects.select_related("run"), pk=check_id, run_id=pk)
        services.run_check_acknowledge(check=check, actor=request.user)
        return self._answer(check.run)


class RegimeViewSet(JsonApi, mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    permission_classes = [ReservingAccess]
    serializer_class = RegimeSerializer
    queryset = Regime.objects.all()


class PeriodCloseView(JsonApi, APIView):
    permission_classes = [ReservingAccess]

    @extend_schema(request=PeriodCloseSerializer, responses={200: dict})
    def post(self, request):
        data = validated(PeriodCloseSerializer, request)
        period = services.period_close(label=data["label"], actor=request.user)
        return Response({"label": period.label, "status": period.status, "closed_at": period.closed_at})
