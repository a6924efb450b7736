"""A running run's heartbeat: beaten by the launcher while its processes live, so only a dead or hung one stalls;
and the run's page says when a run counts as stalled."""
import json
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from tests.training.factories import RunFactory
from training import services
from training.ml import launcher
from training.models import RunStatus, TrainingRun


class ProcessAliveFor:
    """A stand-in for the torchrun process: alive for `polls` polls, then exited with 0."""

    def __init__(self, polls):
        self.polls = polls

    def poll(self):
        self.polls -= 1
        return None if self.polls >= 0 else 0


def follow(tmp_path, polls, alive_seconds):
    job = tmp_path / "job"
    job.mkdir()
    (job / launcher.RESULT_FILE).write_text(json.dumps({"metrics": {}, "samples_per_s": 1.0, "wall_seconds": 1.0,
                                                         "device": "cpu", "steps": 3, "output_dir": str(tmp_path)}))
    beats = []
    result = launcher.job_follow(ProcessAliveFor(polls), job, on_alive=lambda: beats.append(1), poll_seconds=0,
                                 alive_seconds=alive_seconds)
    return result, len(beats)


def test_the_launcher_beats_while_the_processes_live_without_a_progress_report(tmp_path):
    result, beats = follow(tmp_path, polls=4, alive_seconds=0)
    assert result.steps == 3 and beats == 4  # one a poll while alive, none once exited


def test_the_launcher_beats_at_most_every_alive_seconds(tmp_path):
    _result, beats = follow(tmp_path, polls=50, alive_seconds=3600)
    assert beats == 0


@pytest.mark.django_db
def test_a_beating_run_is_not_marked_stalled_but_a_failed_one_is_not_revived(settings, tmp_path):
    settings.TRAINING_DIR = str(tmp_path)
    long_ago = timezone.now() - timedelta(seconds=settings.TRAINING_STALL_SECONDS + 60)
    beating = RunFactory(status=RunStatus.RUNNING, heartbeat_at=long_ago)
    silent = RunFactory(status=RunStatus.RUNNING, heartbeat_at=long_ago)
    services.RunReporter(beating).beat()

    assert services.training_runs_fail_stalled() == 1
    assert TrainingRun.objects.get(pk=beating.pk).status == RunStatus.RUNNING
    silent.refresh_from_db()
    assert silent.status == RunStatus.FAILED
    services.RunReporter(silent).beat()  # a launcher still alive after its run was marked failed
    assert TrainingRun.objects.get(pk=silent.pk).heartbeat_at == silent.heartbeat_at


@pytest.mark.django_db
@pytest.mark.parametrize("seconds_ago, said", [
    (10, "after 300 s without one the run is marked failed, then it can be resumed"),
    (120, "a live run beats at least every 30 s): its worker may have died. With none by {fails_at} the run is marked failed"),
    (400, "No heartbeat since {beat}, more than 300 s ago: the run is stalled"),
])
def test_a_running_runs_page_says_when_it_counts_as_stalled(client, admin_user, settings, tmp_path, seconds_ago, said):
    settings.TRAINING_DIR, settings.TRAINING_STALL_SECONDS = str(tmp_path), 300
    heartbeat = timezone.now() - timedelta(seconds=seconds_ago)
    run = RunFactory(status=RunStatus.RUNNING, heartbeat_at=heartbeat)
    client.force_login(admin_user)
    page = client.get(reverse("admin:training_trainingrun_change", args=[run.pk])).content.decode()
    fails_at = timezone.localtime(heartbeat + timedelta(seconds=300))
    assert said.format(beat=f"{timezone.localtime(heartbeat):%H:%M:%S}", fails_at=f"{fails_at:%H:%M:%S}") in page
