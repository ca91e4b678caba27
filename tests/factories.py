from __future__ import annotations

import factory
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group

ARTICLE_TEXT = (
    "NATO Secretary General Mark Rutte said Monday that North Korean troops were sent to "
    "Russia's Kursk region.\n\n"
    "Rutte said more than 600,000 Russian soldiers have been killed or wounded since the "
    "full-scale invasion began.\n\n"
    "Zelensky has claimed North Korea is training 10,000 soldiers to support Russia."
)


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = get_user_model()
        django_get_or_create = ("username",)
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    email = factory.LazyAttribute(lambda u: f"{u.username}@example.org")
    password = factory.PostGenerationMethodCall("set_password", "pw")

    @factory.post_generation
    def role(self, create: bool, extracted: str | None, **kwargs: object) -> None:
        if create and extracted:
            self.groups.add(Group.objects.get(name=extracted))
        if create:
            self.save()


def article_create(*, by, text: str = ARTICLE_TEXT, url: str | None = None, title: str = "T"):
    from annotations.services.articles import article_submit

    return article_submit(by=by, title=title, text=text, url=url).article


def claim_create(*, article, by, exact: str, **kwargs):
    from annotations.services.claims import claim_create as create

    return create(article=article, by=by, exact=exact, **kwargs)
