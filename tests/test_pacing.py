"""Outbox pacing and error verdicts: pure, no network and no clock."""

from __future__ import annotations

import pytest
from telegram.error import BadRequest, ChatMigrated, Forbidden, NetworkError, RetryAfter, TimedOut

from bot.pacing import Action, Pacer, SendLimits, judge


def test_overall_rate_spaces_slots_evenly() -> None:
    """At 30 messages a second, each slot comes 1/30 s after the previous one."""
    pacer, now, slots = Pacer(SendLimits(overall_per_second=30)), 100.0, []
    for _ in range(4):
        now = pacer.overall_ready_at(now)
        slots.append(now)
        pacer.take(now)
    assert slots == pytest.approx([100, 100 + 1 / 30, 100 + 2 / 30, 100 + 3 / 30])


def test_burst_lets_messages_leave_back_to_back_then_paces() -> None:
    """With a burst of 3, three messages leave at once after a pause, the fourth waits."""
    pacer = Pacer(SendLimits(overall_per_second=10, overall_burst=3))
    slots = []
    for _ in range(4):
        slots.append(pacer.overall_ready_at(50.0))
        pacer.take(slots[-1])
    assert slots == pytest.approx([50, 50, 50, 50.1])


@pytest.mark.parametrize(("chat_id", "interval"), [(42, 1.0), (-100, 3.0), (-1001234567890, 3.0)])
def test_chat_waits_its_interval_after_an_answer(chat_id: int, interval: float) -> None:
    """A private chat gets one message a second; a group or channel one every three seconds."""
    pacer = Pacer(SendLimits(overall_per_second=30))
    pacer.answered(chat_id, 10.0)
    assert pacer.chat_ready_at(chat_id) == 10.0 + interval


def test_one_chats_spacing_leaves_other_chats_free() -> None:
    """A chat waiting for its turn does not delay any other chat."""
    pacer = Pacer(SendLimits(overall_per_second=30))
    pacer.answered(-100, 10.0)
    pacer.flooded(42, 10.0, retry_after=30)
    assert pacer.chat_ready_at(7) < 10.0


def test_429_holds_the_chat_and_halves_the_rate() -> None:
    """A 429 makes the chat wait retry_after and halves the overall rate."""
    pacer = Pacer(SendLimits(overall_per_second=30))
    pacer.flooded(42, 10.0, retry_after=5)
    assert pacer.chat_ready_at(42) == 15.0
    assert pacer.rate(10.0) == 15.0


def test_429s_answered_together_slow_down_once() -> None:
    """429s within one retry_after window are one event: the rate halves once."""
    pacer = Pacer(SendLimits(overall_per_second=30))
    for chat_id in range(1, 11):
        pacer.flooded(chat_id, 10.0 + chat_id / 100, retry_after=1)
    assert pacer.rate(10.1) == pytest.approx(15.0, abs=0.2)


def test_rate_climbs_back_after_a_429() -> None:
    """After a 429 the overall rate recovers to full over flood_recovery seconds."""
    pacer = Pacer(SendLimits(overall_per_second=30, flood_recovery=30))
    pacer.flooded(42, 0.0, retry_after=1)
    assert [pacer.rate(t) for t in (0, 15, 30, 300)] == pytest.approx([15, 22.5, 30, 30])


def test_repeated_429s_never_stop_sending() -> None:
    """However many 429s come, the overall rate stays at least one message a second."""
    pacer = Pacer(SendLimits(overall_per_second=30))
    for second in range(20):
        pacer.flooded(42, float(second * 2), retry_after=1)
    assert pacer.rate(40.0) >= 1.0


@pytest.mark.parametrize(("failures", "delay"), [(1, 2), (2, 4), (3, 8), (7, 128), (20, 3600)])
def test_retry_delay_doubles_and_caps(failures: int, delay: float) -> None:
    """Network retries wait 2 s, then twice as long each time, at most an hour."""
    assert SendLimits().retry_delay(failures) == delay


@pytest.mark.parametrize(
    ("error", "failures", "action", "delay"),
    [
        (RetryAfter(7), 0, Action.RETRY, 7),
        (Forbidden("Forbidden: bot was blocked by the user"), 0, Action.DEACTIVATE, 0),
        (BadRequest("Bad Request: chat not found"), 0, Action.DEACTIVATE, 0),
        (BadRequest("Bad Request: can't parse entities: Unclosed tag"), 0, Action.FAIL, 0),
        (BadRequest("Bad Request: message is too long"), 0, Action.FAIL, 0),
        (ChatMigrated(-1001), 0, Action.MIGRATE, 0),
        (TimedOut(), 0, Action.RETRY, 2),
        (NetworkError("httpx.ConnectError: refused"), 2, Action.RETRY, 8),
        (NetworkError("httpx.ConnectError: refused"), 7, Action.FAIL, 0),
        (RuntimeError("a bug"), 0, Action.RETRY, 2),
    ],
)
def test_judge_maps_errors_to_actions(
    error: Exception, failures: int, action: Action, delay: float
) -> None:
    """Each Telegram error leads to its action: retry, give up the message, or the chat."""
    verdict = judge(error, failures, SendLimits(max_attempts=8))
    assert (verdict.action, verdict.delay) == (action, delay)
    assert verdict.flood == isinstance(error, RetryAfter)


def test_judge_gives_a_migrated_groups_new_id() -> None:
    """A group that became a supergroup: the verdict carries the supergroup's id."""
    assert judge(ChatMigrated(-1001234), 0, SendLimits()).new_chat_id == -1001234
