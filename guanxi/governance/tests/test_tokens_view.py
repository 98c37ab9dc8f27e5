from __future__ import annotations

from datetime import timedelta

from django.urls import reverse
from django.utils import timezone

from guanxi.governance.models import ApiToken, AuditLog
from guanxi.governance.services import api_token_authenticate, api_token_create


def test_create_shows_key_once(client, org):
    client.force_login(org.rep)
    response = client.post(reverse("governance:tokens"), {"name": "ERP sync"}, headers={"HX-Request": "true"})
    assert response.status_code == 200
    key = response.context["new_key"]
    html = response.content.decode()
    assert key in html and "<html" not in html
    assert api_token_authenticate(key) == org.rep
    token = ApiToken.objects.get(user=org.rep)
    assert token.name == "ERP sync" and token.expires_at is None and key.startswith(token.prefix)
    # Never shown again.
    assert key not in client.get(reverse("governance:tokens")).content.decode()
    assert token.prefix in client.get(reverse("governance:tokens")).content.decode()


def test_create_with_expiry_and_validation(client, org):
    client.force_login(org.rep)
    day = timezone.localdate() + timedelta(days=10)
    client.post(reverse("governance:tokens"), {"name": "Temp", "expires_on": day.isoformat()})
    token = ApiToken.objects.get(user=org.rep)
    assert timezone.localtime(token.expires_at).date() == day + timedelta(days=1)
    response = client.post(reverse("governance:tokens"), {"name": "", "expires_on": "2001-01-01"})
    assert response.status_code == 422
    assert {"name", "expires_on"} <= set(response.context["form"].errors)
    assert ApiToken.objects.filter(user=org.rep).count() == 1


def test_revoke_own_token_only(client, org):
    mine, key = api_token_create(actor=org.rep, name="mine")
    theirs, their_key = api_token_create(actor=org.agent, name="theirs")
    client.force_login(org.rep)
    html = client.get(reverse("governance:tokens")).content.decode()
    assert "mine" in html and "theirs" not in html
    assert client.post(reverse("governance:token_revoke", args=[theirs.pk])).status_code == 404
    assert api_token_authenticate(their_key) == org.agent
    response = client.post(reverse("governance:token_revoke", args=[mine.pk]), follow=True)
    assert "Revoked" in response.content.decode()
    assert api_token_authenticate(key) is None
    assert AuditLog.objects.filter(entity="apitoken", object_id=str(mine.pk), action="delete").exists()
    assert client.get(reverse("governance:token_revoke", args=[mine.pk])).status_code == 405
