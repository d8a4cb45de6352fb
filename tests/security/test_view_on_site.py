"""The admin's "view on site" (``/admin/r/<content type>/<id>/``) for every registered model:
a redirect to a page that exists, or 404 for a model without a page; never a 500 (partner
applications raised NoReverseMatch)."""

from urllib.parse import urlsplit

from django.contrib import admin
from django.contrib.contenttypes.models import ContentType
from django.urls import Resolver404, resolve

from crm.tenancy.context import platform_wide
from crm.tenancy.models import PartnerApplication


def registered_objects():
    """One row of each model registered in the admin, where the fixtures made one."""
    with platform_wide():
        return [
            (model, model_admin, model._base_manager.order_by("pk").first())
            for model, model_admin in admin.site._registry.items()
        ]


def test_view_on_site_of_every_admin_model_redirects_to_a_page_or_is_not_found(
    bank_a, platform_admin, client_for
):
    client = client_for(platform_admin)
    walked = set()
    for model, model_admin, row in registered_objects():
        if row is None:
            continue
        content_type = ContentType.objects.get_for_model(model, for_concrete_model=False)
        url = f"/admin/r/{content_type.pk}/{row.pk}/"
        response = client.get(url)
        assert response.status_code in (302, 404), f"{url} ({model.__name__})"
        # The change page offers the link only where it leads somewhere.
        offered = model_admin.get_view_on_site_url(row)
        assert (offered is not None) == (response.status_code == 302), model.__name__
        if response.status_code == 302:
            try:
                resolve(urlsplit(response["Location"]).path)
            except Resolver404:
                raise AssertionError(f"{url} leads to no page: {response['Location']}") from None
        walked.add(model)
    assert PartnerApplication in walked
    assert len(walked) >= 10


def test_a_partner_application_has_no_page_to_view(bank_a, platform_admin, client_for):
    content_type = ContentType.objects.get_for_model(PartnerApplication)
    response = client_for(platform_admin).get(f"/admin/r/{content_type.pk}/{bank_a.partner.pk}/")
    assert response.status_code == 404
