from django.urls import reverse


def test_forbidden_page_uses_the_layout_with_a_phone_viewport(client, org, customers):
    client.force_login(org.analyst)
    response = client.post(reverse("customers:interaction_create", args=[customers.own.pk]), {"summary": "x"})
    assert response.status_code == 403
    body = response.content.decode()
    assert 'data-testid="error-403"' in body and 'name="viewport"' in body


def test_not_found_page_uses_the_layout(client, org, customers):
    client.force_login(org.rep)
    response = client.get(reverse("customers:detail", args=[customers.other_dept.pk]))
    assert response.status_code == 404
    assert 'data-testid="error-404"' in response.content.decode()
