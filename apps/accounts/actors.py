"""Who is acting, in which organization, with which role.

Every selector and service takes an :class:`Actor`; that is how organization scoping
is enforced in one place instead of in every view.
"""

from __future__ import annotations

from dataclasses import dataclass

from apps.common.errors import NotFound, PermissionDenied

from .models import Membership, Organization, Role

# What each role may do. Approvers decide approvals but do not edit workflows.
_PERMISSIONS: dict[str, frozenset[str]] = {
    Role.OWNER: frozenset({"view", "run", "edit", "approve", "manage"}),
    Role.ADMIN: frozenset({"view", "run", "edit", "approve", "manage"}),
    Role.EDITOR: frozenset({"view", "run", "edit"}),
    Role.APPROVER: frozenset({"view", "approve"}),
    Role.VIEWER: frozenset({"view"}),
}


def role_permissions(role: str) -> frozenset[str]:
    """What a role may do, e.g. for a token scoped to that role."""
    return _PERMISSIONS.get(role, frozenset())


@dataclass(frozen=True)
class Actor:
    organization: Organization
    role: str
    user_id: int | None = None
    label: str = ""

    def can(self, permission: str) -> bool:
        return permission in role_permissions(self.role)

    def require(self, permission: str) -> None:
        if not self.can(permission):
            raise PermissionDenied(f"the {self.role} role may not {permission}")


def actor_for_user(*, user, organization_id: int) -> Actor:
    """The user's actor in an organization they belong to; anything else is NotFound."""
    membership = (
        Membership.objects.select_related("organization")
        .filter(user_id=user.pk, organization_id=organization_id)
        .first()
    )
    if membership is None:
        raise NotFound("organization not found")
    return Actor(organization=membership.organization, role=membership.role, user_id=user.pk,
                 label=user.get_username())


def system_actor(organization: Organization, label: str = "system") -> Actor:
    """For schedules, webhooks and the CLI: acts with an editor's rights in one organization."""
    return Actor(organization=organization, role=Role.EDITOR, user_id=None, label=label)
