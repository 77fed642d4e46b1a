from __future__ import annotations

import json
import time

from django.core.management.base import BaseCommand, CommandError

from apps.automations.selectors import workflow_get_by_name
from apps.common.cli import cli_actor, parse_inputs
from apps.common.errors import ServiceError
from apps.runs.models import FINISHED, Run, TriggerKind
from apps.runs.services import run_create


class Command(BaseCommand):
    help = "Start a run of a workflow; with --wait, follow it to the end and print the outcome."

    def add_arguments(self, parser):
        parser.add_argument("workflow", help="the workflow's name")
        parser.add_argument("--org", help="organization slug (default: the only one)")
        parser.add_argument("--input", action="append", default=[], metavar="KEY=VALUE",
                            help="an input; VALUE is JSON if it parses, @FILE reads a file")
        parser.add_argument("--wait", action="store_true", help="wait until the run finishes or pauses")
        parser.add_argument("--timeout", type=float, default=1800.0)
        parser.add_argument("--idempotency-key")
        parser.add_argument("--approve-as", metavar="USERNAME",
                            help="with --wait: approve each pending approval as this member (recorded in the "
                                 "audit log under their name); for scripted and demo runs")

    def handle(self, *args, **opts):
        actor = cli_actor(opts["org"])
        try:
            workflow = workflow_get_by_name(actor=actor, name=opts["workflow"])
            run = run_create(actor=actor, workflow_id=workflow.pk, inputs=parse_inputs(opts["input"]),
                             trigger=TriggerKind.CLI, idempotency_key=opts["idempotency_key"])
        except ServiceError as exc:
            raise CommandError(str(exc)) from None
        self.stdout.write(f"run {run.pk} queued (workflow {workflow.name!r} v{run.version.number})")
        if not opts["wait"]:
            return
        approver = self._approver(actor, opts["approve_as"])
        deadline = time.monotonic() + opts["timeout"]
        while True:
            run = Run.objects.get(pk=run.pk)
            if run.status == "waiting_approval" and approver is not None:
                self._approve_pending(run, approver)
                continue
            if run.status in FINISHED or run.status == "waiting_approval":
                break
            if time.monotonic() > deadline:
                raise CommandError(f"run {run.pk} still {run.status} after {opts['timeout']:.0f}s")
            time.sleep(0.2)
        self.stdout.write(f"status: {run.status}")
        if run.error:
            self.stdout.write(f"error: {run.error}")
        self.stdout.write("outputs: " + json.dumps(run.outputs, indent=2, ensure_ascii=False, default=str))
        self.stdout.write(f"model calls: {run.model_calls}, tool calls: {run.tool_calls}, "
                          f"tokens: {run.prompt_tokens} prompt ({run.cached_tokens} cached), "
                          f"{run.completion_tokens} completion")
        for artifact in run.artifacts.all():
            self.stdout.write(f"artifact: {artifact.name} ({artifact.media_type}, {artifact.size} bytes) "
                              f"id {artifact.pk}")
        self.stdout.write(f"trace: /runs/{run.pk}/ on the dashboard, or `manage.py show_run {run.pk}`")
        if run.status == "waiting_approval":
            self.stdout.write("waiting for approval: decide in the dashboard under Approvals, or pass --approve-as")
        if run.status == "failed":
            raise CommandError("the run failed")

    def _approver(self, actor, username):
        if not username:
            return None
        from django.contrib.auth import get_user_model

        from apps.accounts.actors import actor_for_user

        user = get_user_model().objects.filter(username=username).first()
        if user is None:
            raise CommandError(f"--approve-as: no user {username!r}")
        try:
            approver = actor_for_user(user=user, organization_id=actor.organization.pk)
        except ServiceError:
            raise CommandError(f"--approve-as: {username!r} is not a member of {actor.organization.slug}") from None
        if not approver.can("approve"):
            raise CommandError(f"--approve-as: {username!r} is a {approver.role}, who may not approve")
        return approver

    def _approve_pending(self, run, approver):
        from apps.runs.models import ApprovalStatus
        from apps.runs.services import approval_decide

        for approval in run.approvals.filter(status=ApprovalStatus.PENDING):
            self.stdout.write(f"approving as {approver.label}: {approval.title}")
            approval_decide(actor=approver, approval_id=approval.pk, approve=True, reason="approved from the CLI")
