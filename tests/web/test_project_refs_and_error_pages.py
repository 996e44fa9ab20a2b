"""Every project is reachable by the id the CLI prints (``source:source_id``) as by its number, in pages
and API paths; error pages keep the signed-in navigation and say their message once."""

from __future__ import annotations

from web_support import Web


def test_a_project_page_by_its_source_id_redirects_to_its_number(web: Web) -> None:
    web.login("admin")
    answer = web.client.get("/projects/test:P007", follow_redirects=False)
    assert answer.status_code == 307 and answer.headers["location"] == "/projects/7"
    assert "Beach cleanup project 7" in web.client.get("/projects/test:P007").text
    assert web.client.get("/projects/P007", follow_redirects=False).headers["location"] == "/projects/7"


def test_the_api_answers_a_project_by_its_source_id_as_by_its_number(web: Web) -> None:
    headers = web.token("admin")
    by_number = web.client.get("/api/v1/projects/7", headers=headers).json()
    assert web.client.get("/api/v1/projects/test:P007", headers=headers).json() == by_number
    gates = web.client.get("/api/v1/projects/test:P007/gates", headers=headers)
    assert gates.status_code == 200


def test_an_unknown_project_reference_is_a_404_that_says_how_to_name_one(web: Web) -> None:
    headers = web.token("admin")
    answer = web.client.get("/api/v1/projects/test:NOPE", headers=headers)
    assert answer.status_code == 404
    assert "source:source_id" in answer.json()["error"]
    assert web.client.get("/api/v1/projects/99999999999999999999", headers=headers).status_code == 422


def test_an_error_page_keeps_the_signed_in_navigation_and_says_its_message_once(web: Web) -> None:
    web.login("admin")
    for path in ("/no-such-page", "/projects/test:NOPE", "/projects?page=0"):
        page = web.client.get(path)
        text = page.text
        assert "Log out" in text and "Log in</a>" not in text, path
        if page.status_code >= 400:
            message = text.split('role="alert">', 1)[1].split("<", 1)[0]
            assert text.count(message) == 1, path


def test_an_anonymous_error_page_offers_to_log_in(web: Web) -> None:
    page = web.client.get("/no-such-page")
    assert page.status_code == 404 and "Log in</a>" in page.text
