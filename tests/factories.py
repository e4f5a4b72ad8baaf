"""Test data. People are made directly (no side effects worth having yet);
invitations go through the service, which hashes the token and sends email."""

import factory
from allauth.account.models import EmailAddress

from accounts import services
from accounts.models import Department, Role, User

PASSWORD = "correct-horse-battery-staple"


class DepartmentFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Department
        django_get_or_create = ["slug"]

    name = factory.Sequence(lambda n: f"Department {n}")
    slug = factory.LazyAttribute(lambda d: d.name.lower().replace(" ", "-"))


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        skip_postgeneration_save = True

    email = factory.Sequence(lambda n: f"person{n}@example.com")
    full_name = factory.Faker("name")
    role = Role.MEMBER
    timezone = "Europe/Berlin"
    password = factory.django.Password(PASSWORD)

    @factory.post_generation
    def departments(self, create, extracted, **kwargs):
        if create and extracted:
            self.departments.add(*extracted)

    @factory.post_generation
    def verified_email(self, create, extracted, **kwargs):
        if create:
            EmailAddress.objects.create(user=self, email=self.email, verified=True, primary=True)


def invite(actor, email="new.person@example.com", department=None, role=Role.MEMBER):
    """An invitation made through the service; returns (invitation, token)."""
    department = department or actor.departments.first()
    return services.invite(actor=actor, email=email, department=department, role=role)
