"""Link pre-approvals: what a member's grants let through, and which counted grant a message spends (pure)."""

from __future__ import annotations

from bot.models import LinkPreapproval, MemberRecord
from bot.rules import Action, LinkClass, Policy, Verdict


def covers_any_domain(record: MemberRecord) -> bool:
    """True when the member may post any non-medical outside link (the old flag or an any-domain grant)."""
    return record.links_preapproved or any(grant.domain is None and grant.active for grant in record.preapprovals)


def covered_domains(record: MemberRecord) -> frozenset[str]:
    """The registrable domains the member's active grants name."""
    return frozenset(grant.domain for grant in record.preapprovals if grant.domain is not None and grant.active)


def grants_to_spend(record: MemberRecord, verdict: Verdict, policy: Policy) -> tuple[int, ...]:
    """The counted grants an allowed message passed on, one use each; () when nothing needs spending.

    A use is one message: a message with several links a grant covers spends it once. A
    standing grant (or the member's old any-domain flag) is preferred, then a grant for the
    link's own domain, then an any-domain one, so the narrowest counted grant is spent first.
    """
    if verdict.action is not Action.ALLOW or policy.link_actions[LinkClass.EXTERNAL] is Action.ALLOW:
        return ()  # outside links pass anyway: no grant was needed
    external = dict.fromkeys(link.domain for link in verdict.links if link.link_class is LinkClass.EXTERNAL)
    if not external or record.links_preapproved:
        return ()
    active = [grant for grant in record.preapprovals if grant.active]
    spent: dict[int, None] = {}
    for domain in external:
        grant = _best_grant(active, domain)
        if grant is not None and not grant.standing:
            spent[grant.id] = None
    return tuple(sorted(spent))


def _best_grant(grants: list[LinkPreapproval], domain: str) -> LinkPreapproval | None:
    matching = [grant for grant in grants if grant.domain in (domain, None)]
    if not matching:
        return None
    # Standing first, then the grant for this domain, then the oldest.
    return min(matching, key=lambda grant: (not grant.standing, grant.domain is None, grant.id))
