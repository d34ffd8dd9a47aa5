"""lines_for_user: the one scoping helper every section uses."""

import pytest
from django.http import Http404

from accounts.roles import Capability, Profile
from accounts.selectors import lines_for_user
from lines.selectors import line_get_for_user
from tests.conftest import World


def scoped(world: World, profile: Profile, cap: Capability) -> set[int]:
    user = world.by_profile(profile)
    return set(lines_for_user(user=user, capability=cap).values_list("pk", flat=True))


def company_line_ids(world: World) -> set[int]:
    return {
        line.pk
        for line in (
            world.lr_line,
            world.full_line,
            world.light_line,
            world.user_line,
            world.delegated_line,
            world.spare_line,
            world.fixed_line,
        )
    }


@pytest.mark.parametrize("profile", [Profile.LR, Profile.FULL])
def test_lr_and_full_reach_every_line_of_the_company(profile: Profile, world: World) -> None:
    assert scoped(world, profile, Capability.VIEW_USAGE) == company_line_ids(world)


def test_light_reaches_own_lines_plus_referente_delegations(world: World) -> None:
    assert scoped(world, Profile.LIGHT, Capability.VIEW_USAGE) == {
        world.light_line.pk,
        world.delegated_line.pk,
    }


def test_user_reaches_only_own_lines(world: World) -> None:
    assert scoped(world, Profile.USER, Capability.TOP_UP) == {
        world.user_line.pk,
        world.fixed_line.pk,
    }


def test_delegation_counts_only_for_light(world: World) -> None:
    from guardian.shortcuts import assign_perm

    assign_perm("accounts.act_as_referente", world.user, world.spare_line)
    assert world.spare_line.pk not in scoped(world, Profile.USER, Capability.VIEW_USAGE)


def test_without_the_capability_no_line_is_in_scope(world: World) -> None:
    assert scoped(world, Profile.USER, Capability.VIEW_SERVICES) == set()


def test_another_companys_line_is_never_in_scope(world: World) -> None:
    for profile in Profile:
        assert world.outsider_line.pk not in scoped(world, profile, Capability.VIEW_USAGE)
    with pytest.raises(Http404):
        line_get_for_user(user=world.lr, pk=world.outsider_line.pk)


def test_out_of_scope_line_is_404_like_a_missing_one(world: World) -> None:
    with pytest.raises(Http404):
        line_get_for_user(user=world.light, pk=world.lr_line.pk)
    with pytest.raises(Http404):
        line_get_for_user(user=world.light, pk=10**9)
    assert line_get_for_user(user=world.light, pk=world.light_line.pk) == world.light_line


def test_scoped_query_count_does_not_grow(world: World, django_assert_num_queries) -> None:  # type: ignore[no-untyped-def]
    with django_assert_num_queries(1):
        list(lines_for_user(user=world.light, capability=Capability.VIEW_USAGE))
