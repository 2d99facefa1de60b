"""The engine caches each host's class per policy: answers must not leak from one policy to another."""

from __future__ import annotations

from typing import cast

from bot.policy import PolicyBundle
from bot.rules import Action, AuthorFacts, Engine, LinkClass, MessageFacts, Policy, Reason
from bot.rules import engine as engine_module

ESTABLISHED = AuthorFacts(user_id=1, approved_posts=5)
GUILD = 4242


def _classes(engine: Engine, text: str, policy: Policy, guild_id: int | None = None) -> list[LinkClass]:
    verdict = engine.evaluate(ESTABLISHED, MessageFacts(text, guild_id=guild_id), policy)
    return [link.link_class for link in verdict.links]


def test_alternating_policies_keep_their_own_classes(shipped: PolicyBundle) -> None:
    engine = Engine(shipped.lists)  # a fresh engine: nothing cached yet
    plain = Policy()
    allowing = Policy(allowed_domains=frozenset({"example.org"}))
    owning = Policy(internal_domains=frozenset({"example.org"}))
    for _ in range(3):
        assert _classes(engine, "see blog.example.org", plain) == [LinkClass.EXTERNAL]
        assert _classes(engine, "see blog.example.org", allowing) == [LinkClass.ALLOWED]
        assert _classes(engine, "see blog.example.org", owning) == [LinkClass.INTERNAL]
        assert _classes(engine, "see spine-health.com", owning) == [LinkClass.EXTERNAL]
        assert _classes(engine, "see spine-health.com", plain) == [LinkClass.INTERNAL]


def test_equal_sets_in_new_objects_share_answers(shipped: PolicyBundle) -> None:
    engine = Engine(shipped.lists)
    for _ in range(3):
        # A new frozenset each time, as a policy rebuilt per message would have.
        policy = Policy(allowed_domains=frozenset(["example.org"]))
        assert _classes(engine, "example.org/x", policy) == [LinkClass.ALLOWED]


def test_discord_links_are_judged_by_their_path_every_time(shipped: PolicyBundle) -> None:
    engine = Engine(shipped.lists)
    policy = Policy()
    for _ in range(2):
        assert _classes(engine, "https://discord.com/invite/x", policy) == [LinkClass.INVITE]
        assert _classes(engine, f"https://discord.com/channels/{GUILD}/1/2", policy, GUILD) == [LinkClass.INTERNAL]
        assert _classes(engine, "https://discord.com/channels/999/1/2", policy, GUILD) == [LinkClass.EXTERNAL]
        assert _classes(engine, f"https://discord.com/channels/{GUILD}/1/2", policy, None) == [LinkClass.EXTERNAL]


def test_mutable_sets_in_a_hand_built_policy_still_work(shipped: PolicyBundle) -> None:
    engine = Engine(shipped.lists)
    # The type says frozenset; a caller that passes a set gets correct, uncached answers.
    policy = Policy(allowed_domains=cast("frozenset[str]", {"example.org"}))
    for _ in range(2):
        verdict = engine.evaluate(ESTABLISHED, MessageFacts("example.org and webmd.com"), policy)
        assert [link.link_class for link in verdict.links] == [LinkClass.ALLOWED, LinkClass.MEDICAL]
        assert verdict.action is Action.BLOCK
        assert verdict.reasons == (Reason.MEDICAL_SITE,)


def test_host_cache_stays_bounded(shipped: PolicyBundle) -> None:
    # A long-running bot with one policy sees an unbounded stream of hosts; the per-policy
    # cache must not grow with it. (Reads the engine's private cache: a leak shows nowhere else.)
    engine = Engine(shipped.lists)
    policy = Policy()
    for number in range(engine_module._LISTED_CACHE_SIZE + 50):
        assert _classes(engine, f"see site{number}.example.net", policy) == [LinkClass.EXTERNAL]
    assert all(len(classes) <= engine_module._LISTED_CACHE_SIZE for classes in engine._host_classes.values())
