import factory

from tests.factories import OrganisationFactory
from webhooks.models import WebhookEndpoint


class WebhookEndpointFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = WebhookEndpoint

    organisation = factory.SubFactory(OrganisationFactory)
    url = "http://127.0.0.1:9/hooks"
