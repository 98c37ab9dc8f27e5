"""The role → capability table, asserted role by role: changing what a role may do must change this test too."""

from __future__ import annotations

import pytest

from guanxi.governance import permissions as p
from guanxi.governance.models import Role

EXPECTED = {
    Role.ADMIN: {p.VIEW, p.CHANGE, p.DELETE, p.RESTORE, p.EXPORT, p.IMPORT, p.AUDIT, p.CONFIGURE, p.CLAIM,
                 p.MANAGE_POOL, p.OVERRIDE_LIMITS, p.SET_TARGETS, p.MANAGE_CAMPAIGNS, p.VIEW_REPORTS, p.HANDOVER,
                 p.REOPEN_WON, p.MANAGE_SERVICE, p.APPROVE_RETURNS, p.OVERRIDE_CLOSE, p.APPROVE_ARTICLES},
    Role.SALES_MANAGER: {p.VIEW, p.CHANGE, p.DELETE, p.RESTORE, p.EXPORT, p.IMPORT, p.CLAIM, p.MANAGE_POOL,
                         p.SET_TARGETS, p.MANAGE_CAMPAIGNS, p.VIEW_REPORTS},
    Role.SALES_REP: {p.VIEW, p.CHANGE, p.CLAIM},
    Role.SERVICE_MANAGER: {p.VIEW, p.CHANGE, p.EXPORT, p.VIEW_REPORTS, p.MANAGE_SERVICE, p.APPROVE_RETURNS,
                           p.OVERRIDE_CLOSE, p.APPROVE_ARTICLES},
    Role.SERVICE_AGENT: {p.VIEW, p.CHANGE},
    Role.MARKETING: {p.VIEW, p.EXPORT, p.MANAGE_CAMPAIGNS},
    Role.ANALYST: {p.VIEW, p.EXPORT, p.VIEW_REPORTS},
}


def test_every_role_is_in_the_table():
    assert set(p.ROLE_CAPABILITIES) == set(Role.values) == set(EXPECTED)
    assert set(p.ROLE_DEFAULT_SCOPE) == set(Role.values)


@pytest.mark.parametrize("role", list(Role.values))
def test_capabilities_of_each_role(role):
    assert set(p.ROLE_CAPABILITIES[role]) == EXPECTED[role]


def test_every_capability_is_known_and_granted_to_someone():
    constants = {v for k, v in vars(p).items() if k.isupper() and isinstance(v, str)}
    assert constants == set(p.ALL_CAPABILITIES)
    granted = set().union(*p.ROLE_CAPABILITIES.values())
    assert granted == set(p.ALL_CAPABILITIES)
    assert set(p.ROLE_CAPABILITIES[Role.ADMIN]) == set(p.ALL_CAPABILITIES)


def test_can_follows_the_table_per_user(org):
    assert p.can(org.rep, p.CLAIM) and not p.can(org.rep, p.MANAGE_POOL)
    assert p.can(org.manager, p.SET_TARGETS) and not p.can(org.manager, p.HANDOVER)
    assert p.can(org.marketing, p.MANAGE_CAMPAIGNS) and not p.can(org.agent, p.MANAGE_CAMPAIGNS)
    assert p.can(org.service_manager, p.VIEW_REPORTS) and not p.can(org.rep, p.VIEW_REPORTS)
    assert p.can(org.admin, p.REOPEN_WON) and not p.can(org.manager, p.REOPEN_WON)
    assert p.capabilities_of(org.analyst) == frozenset({p.VIEW, p.EXPORT, p.VIEW_REPORTS})


def test_departed_and_anonymous_users_may_do_nothing(org):
    from django.contrib.auth.models import AnonymousUser

    assert p.capabilities_of(AnonymousUser()) == frozenset()
    assert p.capabilities_of(None) == frozenset()
    org.rep.employee.status = "departed"
    assert not p.can(org.rep, p.VIEW)
