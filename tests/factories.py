"""Test data. Each persona is a factory, so related objects stay consistent (a reviewer is staff and in the
Reviewers group, an annotator has a worker profile and a verified email)."""

import factory
from django.contrib.auth.models import Group
from allauth.account.models import EmailAddress

from accounts import services
from accounts.models import (
    Membership, MembershipRole, Organisation, PoolGroup, Qualification, Role, User, VerificationStatus, WorkerProfile,
)


PASSWORD = "correct-horse-battery"  # every factory user's: the browser tests log in with it


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    email = factory.LazyAttribute(lambda u: f"{u.username}@example.com")
    password = factory.PostGenerationMethodCall("set_password", PASSWORD)
    role = Role.ANNOTATOR

    @factory.post_generation
    def with_role(user, create, extracted, **kwargs):
        if create:
            user.save()
            services.organisation_default()  # a fresh install has its organisation: integrators join it
            services.user_set_role(user=user, role=user.role)
            EmailAddress.objects.create(user=user, email=user.email, verified=True, primary=True)


class AdminFactory(UserFactory):
    role = Role.ADMIN


class ReviewerFactory(UserFactory):
    role = Role.REVIEWER


class ProjectManagerFactory(UserFactory):
    role = Role.PROJECT_MANAGER


class AnnotatorFactory(UserFactory):
    role = Role.ANNOTATOR


class IntegratorFactory(UserFactory):
    role = Role.INTEGRATOR


def token_for(user: User, **limits) -> str:
    """A new API token's key for the user (`project_id=`, `read_only=` limit it)."""
    return services.api_token_create(user=user, name="test", **limits)[1]


class OrganisationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Organisation

    name = factory.Sequence(lambda n: f"Organisation {n}")
    slug = factory.Sequence(lambda n: f"org-{n}")


def default_organisation() -> Organisation:
    return services.organisation_default()


def member_of(organisation: Organisation, user: User, role: str = MembershipRole.INTEGRATOR) -> User:
    """The user, made a member of `organisation` only (their other memberships dropped)."""
    Membership.objects.filter(user=user).exclude(organisation=organisation).delete()
    services.membership_add(user=user, organisation=organisation, role=role)
    return user


def pending_profile(user: User | None = None) -> WorkerProfile:
    user = user or AnnotatorFactory()
    profile = user.worker_profile
    profile.verification_status = VerificationStatus.PENDING
    profile.verification_note = "my certificate"
    profile.save()
    return profile


class QualificationFactory(factory.django.DjangoModelFactory):
    """A qualification of the default organisation (where ProjectFactory's projects are), or of `organisation`."""

    class Meta:
        model = Qualification

    organisation = factory.LazyFunction(services.organisation_default)
    name = factory.Sequence(lambda n: f"Qualification {n}")


class GroupFactory(factory.django.DjangoModelFactory):
    """An annotator pool of the default organisation, or of `organisation=`'s (`organisation=False`: nobody's)."""

    class Meta:
        model = Group
        skip_postgeneration_save = True

    name = factory.Sequence(lambda n: f"Pool {n}")

    @factory.post_generation
    def organisation(group, create, extracted, **kwargs):
        if create and extracted is not False:
            PoolGroup.objects.create(group=group, organisation=extracted or services.organisation_default())


def verified_worker(weight=1.0, **kwargs) -> User:
    """An annotator whose verification was approved, with weight W = `weight`."""
    worker = AnnotatorFactory(**kwargs)
    profile = worker.worker_profile
    profile.verification_status = VerificationStatus.VERIFIED
    profile.weight = weight
    profile.save()
    return worker
